"""Data shipped with LiveDesk: translations, shop presets, word lists, recorded feeds."""
