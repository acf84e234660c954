"""The Qt layer: windows, pages, item models and the controllers that run services off the UI thread."""
