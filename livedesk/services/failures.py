"""What kind of failure of the machine (not of the data) an exception is, for a person to be told.

A full disk, a store another program holds locked, a folder that cannot be written: no
command can help them, and a traceback or a driver's SQL says nothing useful. ``kind``
names them (through ``store_problems.classify``, the one classifier); the CLI and the UI word
the name in their own language. None: none of those (a bug, or an error the caller explains).
"""

from __future__ import annotations

from livedesk.services.store_problems import DISK_FULL, LOCKED, READ_ONLY, classify

__all__ = ["DISK_FULL", "LOCKED", "READ_ONLY", "kind"]


def kind(exc: BaseException) -> str | None:
    code = classify(exc)
    return code if code in (DISK_FULL, LOCKED, READ_ONLY) else None
