"""What went wrong with a store file, as a code: disk full, read-only, locked, damaged…

Storage errors arrive as ``OSError`` (an errno) or ``sqlite3.Error`` / ``sqlcipher3``'s (an SQLite result code),
sometimes wrapped by SQLAlchemy. ``classify`` reads those numbers, never the English text,
so a full disk is not reported as a damaged store. The CLI prints ``describe``'s English;
the UI words the same codes itself (translated).
"""

from __future__ import annotations

import errno

from livedesk.models.adapters import sqlcipher

DISK_FULL = "disk_full"
READ_ONLY = "read_only"
LOCKED = "locked"
DAMAGED = "damaged"
MISSING = "missing"  # no store at that path (a store is created only on purpose)
EMPTY = "empty"  # a 0-byte file where a store should be
FOREIGN = "foreign"  # a file that is not a LiveDesk store
NEWER = "newer"  # made by a newer LiveDesk
PASSPHRASE_NEEDED = sqlcipher.PASSPHRASE_NEEDED  # an encrypted store, no passphrase given
WRONG_PASSPHRASE = sqlcipher.WRONG_PASSPHRASE  # an encrypted file the passphrase given does not open
NO_CIPHER = sqlcipher.NO_CIPHER  # an encrypted file, and this build has no SQLCipher
OTHER = "other"

# SQLite primary result codes (the low byte of an extended code).
_SQLITE_CODES = {
    5: LOCKED,  # SQLITE_BUSY
    6: LOCKED,  # SQLITE_LOCKED
    8: READ_ONLY,  # SQLITE_READONLY
    11: DAMAGED,  # SQLITE_CORRUPT
    13: DISK_FULL,  # SQLITE_FULL
    26: DAMAGED,  # SQLITE_NOTADB
}
_ERRNOS = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EFBIG: DISK_FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: READ_ONLY,
    errno.EPERM: READ_ONLY,
    errno.ENOENT: MISSING,
}
SQLITE_CANTOPEN = 14
SQLITE_IOERR = 10


def classify(exc: BaseException) -> str:
    """The problem code of a storage error (looking through SQLAlchemy's and our own wrapping)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "code", None)
        if isinstance(code, str) and code in _WORDS:
            return code
        if isinstance(current, sqlcipher.ERRORS):
            number = getattr(current, "sqlite_errorcode", None)
            if number is None:  # raised without SQLite's code (older Pythons, wrapped copies): its words
                text = str(current).lower()
                for words, meaning in (("full", DISK_FULL), ("locked", LOCKED), ("busy", LOCKED),
                                       ("readonly", READ_ONLY), ("read-only", READ_ONLY)):
                    if words in text:
                        return meaning
            if number is not None:
                primary = number & 0xFF
                if primary in _SQLITE_CODES:
                    return _SQLITE_CODES[primary]
                if primary in (SQLITE_CANTOPEN, SQLITE_IOERR):
                    return _from_os_state(current)
        if isinstance(current, OSError) and current.errno in _ERRNOS:
            return _ERRNOS[current.errno]
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return OTHER


def _from_os_state(_exc: BaseException) -> str:
    # SQLite's CANTOPEN / IOERR do not carry the errno through Python; the caller checks the
    # folder itself (``folder_problem``) where it matters. Unknown here.
    return OTHER


def folder_problem(folder) -> str | None:
    """Why files cannot be written in ``folder`` (read-only or full), or None if they can."""
    import os
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".livedesk-probe-") as fh:
            fh.write(b"\0" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return _ERRNOS.get(exc.errno or 0, OTHER)
    return None


_WORDS = {
    DISK_FULL: "the disk is full",
    READ_ONLY: "the folder or file is read-only",
    LOCKED: "another program is using it (it is locked)",
    DAMAGED: "it is damaged",
    MISSING: "there is no store there",
    EMPTY: "the file is empty (0 bytes), not a store",
    FOREIGN: "it is not a LiveDesk database",
    NEWER: "it was made by a newer LiveDesk",
    PASSPHRASE_NEEDED: "it is encrypted: give its passphrase (LIVEDESK_PASSPHRASE, or type it when asked)",
    WRONG_PASSPHRASE: "the passphrase is wrong (or it is not a LiveDesk store)",
    NO_CIPHER: "it is encrypted and this LiveDesk has no SQLCipher",
    OTHER: "an unexpected storage error",
}


def describe(code: str) -> str:
    """English words for the command line (the UI has its own, translated)."""
    return _WORDS.get(code, _WORDS[OTHER])
