"""Live comment feeds: capture-tool adapters, the source runner, and viewer matching.

Plain asyncio, no Qt and no threads: the app runs these coroutines in the qasync loop
on the UI thread. ``formats.open_source`` builds a runnable source for a format;
``matching.ViewerIndex`` recognises customers without touching the database.
"""
