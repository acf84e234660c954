"""What kind of failure of the machine (not of the data) an exception is, for a person to be told.

A full disk, a store another program holds locked, a folder that cannot be written: no
command can help them, and a traceback or a driver's SQL says nothing useful. ``kind``
names them; the CLI and the UI word the name in their own language. None: none of those
(a bug, or an error the caller explains itself).
"""

from __future__ import annotations

import errno
import sqlite3

DISK_FULL, LOCKED, READ_ONLY = "disk_full", "locked", "read_only"


def kind(exc: BaseException) -> str | None:
    from sqlalchemy.exc import OperationalError

    cause = exc.orig if isinstance(exc, OperationalError) else exc
    if isinstance(cause, sqlite3.OperationalError) or isinstance(exc, OperationalError):
        text = str(cause).lower()
        if "disk is full" in text or "disk full" in text:
            return DISK_FULL
        if "locked" in text or "busy" in text:
            return LOCKED
        if "readonly" in text or "read-only" in text:
            return READ_ONLY
        return None
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return DISK_FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
    return None
