"""Encryption at rest for the SQLite store (part of the SQLite adapter): SQLCipher keys and connections.

An encrypted store is an SQLCipher 4 file: every page, of the file and of its WAL, is AES-256
encrypted, and the first 16 bytes are the file's random salt instead of "SQLite format 3".
The key is SQLCipher's own passphrase KDF (PBKDF2-HMAC-SHA512, 256,000 iterations, 32 bytes,
the file's salt), computed here with ``hashlib`` once per passphrase and salt and handed to
SQLCipher as a raw key ``x'<key><salt>'``: the same key SQLCipher derives from
``PRAGMA key = 'passphrase'`` (so the sqlcipher shell opens the file with the passphrase), without
paying 0.1-0.3 s of KDF on every new connection (the change feed, backups and quick checks open
their own). A store's backups are written with the store's key *and salt*, so one passphrase
opens them all.

The passphrases this process was given (the app's dialog or the OS keyring, the CLI's
``LIVEDESK_PASSPHRASE`` or prompt) live in one ``KeyAgent`` (``AGENT``), like an ssh-agent:
every piece of code that opens a store file (the engine, the change feed, backups, restore,
recover, checks) asks it for the file's key by the file's path, instead of threading a key
through every call. Nothing is written to disk; ``AGENT.forget()`` drops everything.

Plain stores keep the standard ``sqlite3`` driver; only an encrypted file is opened through
``sqlcipher3``. The two drivers have separate exception classes: catch ``ERRORS`` /
``DATABASE_ERRORS`` / ``OPERATIONAL_ERRORS`` where either may be raised.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

try:  # the bundled SQLCipher wheel; a build without it still opens plain stores
    from sqlcipher3 import dbapi2 as sqlcipher
except ImportError:  # pragma: no cover - sqlcipher3-binary is a dependency
    sqlcipher = None  # type: ignore[assignment]

SQLITE_MAGIC = b"SQLite format 3\x00"
SALT_BYTES = 16
KDF_ITERATIONS = 256_000  # SQLCipher 4's default: keep equal, or the passphrase alone won't open the file
KEY_BYTES = 32
MIN_PAGE = 512  # an SQLCipher file is a whole number of pages; anything else is not one

ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,) + ((sqlcipher.Error,) if sqlcipher else ())
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,) + (
    (sqlcipher.DatabaseError,) if sqlcipher else ())
INTEGRITY_ERRORS: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,) + (
    (sqlcipher.IntegrityError,) if sqlcipher else ())
OPERATIONAL_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError,) + (
    (sqlcipher.OperationalError,) if sqlcipher else ())

# Codes, as store_problems words them.
PASSPHRASE_NEEDED = "passphrase_needed"
WRONG_PASSPHRASE = "wrong_passphrase"
NO_CIPHER = "no_cipher"


class CipherError(Exception):
    """An encrypted file that cannot be opened here; ``code`` says why (see the codes above)."""

    def __init__(self, message: str, *, code: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path


def available() -> bool:
    return sqlcipher is not None


_headers: dict[tuple[str, int, int], bytes] = {}  # (path, device, inode) -> the file's first 16 bytes
_headers_lock = threading.Lock()


def header(path: Path) -> bytes:
    """The file's first 16 bytes: "SQLite format 3" or an SQLCipher file's salt.

    Read once per file (path and inode) and remembered: opening and closing the file here while
    this process has an SQLite connection to it would drop that connection's POSIX locks (they
    belong to the process and go with any descriptor of the file that is closed), and another
    process would then take itself for the last one and delete the WAL under it ("disk I/O
    error"). A converted store is a new inode, so it is read again. Only whole-page files are
    remembered (a new, still-empty store gets its header later).
    """
    st = os.stat(path)
    key = (str(path), st.st_dev, st.st_ino)
    with _headers_lock:
        known = _headers.get(key)
    if known is not None:
        return known
    with open(path, "rb") as fh:
        found = fh.read(len(SQLITE_MAGIC))
    if st.st_size >= MIN_PAGE:
        with _headers_lock:
            _headers[key] = found
    return found


def looks_encrypted(path: Path) -> bool:
    """A non-empty file that is not a plain SQLite file but has the size of SQLCipher pages.

    A foreign file of such a size (rare) is then asked for a passphrase, and refused with
    "wrong passphrase or not a LiveDesk store": SQLCipher cannot tell the two apart.
    """
    try:
        size = path.stat().st_size
        if size < MIN_PAGE or size % MIN_PAGE:
            return False
        return header(path) != SQLITE_MAGIC
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def derive(passphrase: str, salt: bytes) -> bytes:
    """SQLCipher 4's passphrase KDF."""
    return hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), salt, KDF_ITERATIONS, KEY_BYTES)


def raw_key(key: bytes, salt: bytes) -> str:
    """The ``PRAGMA key`` value of a raw key with its salt (a new file takes that salt)."""
    return f"\"x'{key.hex()}{salt.hex()}'\""


class KeyAgent:
    """The passphrases given to this process, and the keys derived from them (per salt)."""

    def __init__(self) -> None:
        self._passphrases: list[str] = []
        self._keys: dict[tuple[str, bytes], bytes] = {}
        self._lock = threading.Lock()

    def add(self, passphrase: str) -> None:
        """Know ``passphrase`` from now on (tried first)."""
        if not passphrase:
            raise ValueError("an empty passphrase")
        with self._lock:
            if passphrase in self._passphrases:
                self._passphrases.remove(passphrase)
            self._passphrases.insert(0, passphrase)

    def discard(self, passphrase: str) -> None:
        """Drop one passphrase (a wrong one typed in a dialog)."""
        with self._lock:
            if passphrase in self._passphrases:
                self._passphrases.remove(passphrase)
            self._keys = {k: v for k, v in self._keys.items() if k[0] != passphrase}

    def forget(self) -> None:
        with self._lock:
            self._passphrases.clear()
            self._keys.clear()

    def known(self) -> bool:
        return bool(self._passphrases)

    def _key(self, passphrase: str, salt: bytes) -> bytes:
        with self._lock:
            key = self._keys.get((passphrase, salt))
        if key is None:
            key = derive(passphrase, salt)
            with self._lock:
                self._keys[(passphrase, salt)] = key
        return key

    def key_for(self, path: Path) -> str | None:
        """The ``PRAGMA key`` value that opens ``path``; None for a plain (or new) file.

        Raises ``CipherError``: no passphrase given yet (PASSPHRASE_NEEDED), none of those
        given opens it (WRONG_PASSPHRASE), or this build has no SQLCipher (NO_CIPHER).
        """
        if not looks_encrypted(path):
            return None
        if sqlcipher is None:
            raise CipherError(f"{path} is encrypted and this LiveDesk has no SQLCipher", code=NO_CIPHER, path=path)
        with self._lock:
            candidates = list(self._passphrases)
        if not candidates:
            raise CipherError(f"{path} is encrypted: its passphrase is needed", code=PASSPHRASE_NEEDED, path=path)
        salt = header(path)
        for passphrase in candidates:
            value = raw_key(self._key(passphrase, salt), salt)
            if opens(path, value):
                return value
        raise CipherError(f"{path} does not open with the passphrase given (a wrong passphrase, or not a "
                          "LiveDesk store)", code=WRONG_PASSPHRASE, path=path)

    def key_with(self, passphrase: str, salt: bytes | None = None) -> str:
        """A key for a new file: ``passphrase`` with ``salt`` (a fresh random one by default)."""
        salt = salt if salt is not None else os.urandom(SALT_BYTES)
        return raw_key(self._key(passphrase, salt), salt)


AGENT = KeyAgent()


def opens(path: Path, key: str) -> bool:
    """Whether ``key`` decrypts ``path`` (reads its schema, read-only)."""
    try:
        conn = _keyed(sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None), key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlcipher.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", 26) & 0xFF == 26:  # SQLITE_NOTADB: not this key
            return False
        raise
    return True


def _keyed(conn: Any, key: str) -> Any:
    # SQLCipher logs a failed key to stderr by default; the caller words the failure itself.
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key}")
    return conn


def apply_key(dbapi_connection: Any, key: str) -> None:
    """The engine's connect listener: the key first, before any other statement."""
    _keyed(dbapi_connection, key)


def connect(database: str | Path, *, key: str | None = None, uri: bool = False, **kwargs: Any) -> Any:
    """A DB-API connection to ``database``: ``sqlite3`` without a key, ``sqlcipher3`` with one."""
    if key is None:
        return sqlite3.connect(database, uri=uri, **kwargs)
    return _keyed(sqlcipher.connect(str(database), uri=uri, **kwargs), key)


def open_file(path: Path, *, read_only: bool = False, agent: KeyAgent | None = None, **kwargs: Any) -> Any:
    """Open a store (or backup) file with the key the agent knows for it (none for a plain file)."""
    key = (agent or AGENT).key_for(path)
    if read_only:
        return connect(f"{path.resolve().as_uri()}?mode=ro", key=key, uri=True, **kwargs)
    return connect(path, key=key, **kwargs)
