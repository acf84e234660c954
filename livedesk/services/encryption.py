"""Encryption at rest of the SQLite store: turning it on or off, changing the passphrase.

The keys and the connections are ``models.sqlcipher``'s; this module converts a store file.
``encrypt`` and ``decrypt`` write the store anew with ``sqlcipher_export`` into a hidden file
beside it, check that copy (``integrity_check``, every table's row count equal to the store's,
the schema revision), sync it and only then rename it over the store. The store's own
connection holds it exclusively (``BEGIN EXCLUSIVE``, journal out of WAL) from the export to the
rename, so no write lands in the old file meanwhile, and a conversion killed or failed at any
point leaves the store as it was. A backup (``before-encrypt`` / ``before-decrypt``) is made
first. ``change_passphrase`` re-encrypts in place with ``PRAGMA rekey`` (SQLCipher rewrites every
page in one transaction).

The file is swapped under every connection, so every other LiveDesk window on this store must
be closed first (the app reopens itself after converting). After ``encrypt`` the store's older
backups are still plain files: ``plain_backups`` lists them for deletion, as after an erasure.

Only the owner converts (``team.require(session, "encrypt_store")``, checked by ``authorize``
with an audit entry that never holds the passphrase).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from livedesk.models import AuditEntry
from livedesk.models.adapters import sqlcipher
from livedesk.services import backups, sqlite_files, team

log = logging.getLogger(__name__)

PERMISSION = "encrypt_store"
MIN_PASSPHRASE = 8  # characters; a short passphrase is guessed offline from a stolen laptop's file
ENCRYPT, DECRYPT, REKEY = "encrypt", "decrypt", "change_passphrase"
CONVERTING = ".converting"  # the hidden copy being written: .<store name>.<pid>.converting
EMPTY_KEY = "''"  # ATTACH ... KEY '': the attached file is plain


class EncryptionError(Exception):
    """A conversion that was not made; ``code`` says why, the store is unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # already | not_encrypted | short | mismatch | locked | + store_problems' codes


@dataclass
class Conversion:
    path: Path
    encrypted: bool  # after the conversion
    counts: dict[str, int]
    backup: Path | None  # the copy made before it
    plain_backups: list[Path] = field(default_factory=list)  # still unencrypted (after encrypt)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "encrypted": self.encrypted, "counts": self.counts,
                "backup": str(self.backup) if self.backup else None,
                "plain_backups": [str(p) for p in self.plain_backups]}


def is_encrypted(path: Path) -> bool:
    return sqlite_files.is_encrypted(path)


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise EncryptionError("short", f"a passphrase needs at least {MIN_PASSPHRASE} characters")


def authorize(session: Session, action: str) -> None:
    """The owner only; audited (which conversion, never the passphrase). In a writing unit."""
    team.require(session, "encrypt_store")  # PERMISSION, spelled out: a test finds every guard
    session.add(AuditEntry(actor=team.actor_name(session), action=f"store_{action}", entity="store", entity_id=None,
                           detail=None))


def plain_backups(path: Path) -> list[Path]:
    """The store's backups that are not encrypted (made before encryption was turned on)."""
    return [Path(b.path) for b in backups.list_backups(path) if not sqlite_files.is_encrypted(Path(b.path))]


def encrypt(path: Path, passphrase: str, agent: sqlcipher.KeyAgent | None = None) -> Conversion:
    """Encrypt the plain store at ``path`` with ``passphrase`` (remembered by the agent)."""
    agent = agent or sqlcipher.AGENT
    check_passphrase(passphrase)
    if is_encrypted(path):
        raise EncryptionError("already", f"{path} is already encrypted")
    before = _backup(path, "before-encrypt")
    agent.add(passphrase)
    counts = _convert(path, agent.key_with(passphrase))
    return Conversion(path, True, counts, before, plain_backups(path))


def decrypt(path: Path, agent: sqlcipher.KeyAgent | None = None) -> Conversion:
    """Write the encrypted store at ``path`` back as a plain SQLite file (its passphrase must be known)."""
    if not is_encrypted(path):
        raise EncryptionError("not_encrypted", f"{path} is not encrypted")
    before = _backup(path, "before-decrypt")
    counts = _convert(path, None, agent)
    return Conversion(path, False, counts, before)


def change_passphrase(path: Path, new: str, agent: sqlcipher.KeyAgent | None = None) -> Conversion:
    """Re-encrypt the store with ``new`` in place (``PRAGMA rekey``); its older backups keep the old one."""
    agent = agent or sqlcipher.AGENT
    check_passphrase(new)
    if not is_encrypted(path):
        raise EncryptionError("not_encrypted", f"{path} is not encrypted")
    before = _backup(path, "before-rekey")
    salt = sqlcipher.header(path)  # the file keeps its salt: the new passphrase alone opens it
    conn = sqlite_files.connect_rw(path, timeout=sqlite_files.BUSY_TIMEOUT_S)
    try:
        counts = sqlite_files.row_counts(conn)
        conn.execute(f"PRAGMA rekey = {agent.key_with(new, salt)}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlcipher.ERRORS as exc:
        raise _refused(path, exc) from exc
    finally:
        conn.close()
    agent.add(new)
    _verify(path, counts, agent.key_for(path))
    log.info("store %s: passphrase changed", path)
    return Conversion(path, True, counts, before)


def _backup(path: Path, reason: str) -> Path | None:
    return backups.make_backup(path, reason).path


def _convert(path: Path, new_key: str | None, agent: sqlcipher.KeyAgent | None = None) -> dict[str, int]:
    """Export the store into a new file with ``new_key`` (None: plain), verify it, swap it in."""
    temp = path.with_name(f".{path.name}.{os.getpid()}{CONVERTING}")
    _clean_leftovers(path)
    source_key = (agent or sqlcipher.AGENT).key_for(path)
    # sqlcipher3 opens a plain file too (no key) and has sqlcipher_export for both directions.
    conn = sqlcipher.sqlcipher.connect(str(path), isolation_level=None, timeout=sqlite_files.BUSY_TIMEOUT_S)
    try:
        if source_key is not None:
            sqlcipher.apply_key(conn, source_key)
        try:
            # Out of WAL: the checkpoint puts every commit in the main file and no -wal is left
            # to be replayed into the new one; refused while another connection is reading.
            conn.execute("PRAGMA journal_mode=DELETE").fetchone()
            os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            conn.execute(f"ATTACH DATABASE ? AS converted KEY {new_key or EMPTY_KEY}", (str(temp),))
            conn.execute("PRAGMA converted.auto_vacuum = INCREMENTAL")  # erasure's vacuum (before any table)
            conn.execute("BEGIN EXCLUSIVE")
            counts = sqlite_files.row_counts(conn)
            user_version = conn.execute("PRAGMA main.user_version").fetchone()[0]
            conn.execute("SELECT sqlcipher_export('converted')").fetchall()
            conn.execute(f"PRAGMA converted.user_version = {int(user_version)}")
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE converted")
            conn.execute("BEGIN EXCLUSIVE")  # held until the swap: nobody writes the old file meanwhile
        except sqlcipher.ERRORS as exc:
            raise _refused(path, exc) from exc
        _verify(temp, counts, new_key)
        sqlite_files.publish(temp, path)
        for extra in ("-wal", "-shm"):
            path.with_name(path.name + extra).unlink(missing_ok=True)
    finally:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            conn.close()
            temp.unlink(missing_ok=True)
    log.info("store %s converted (%s)", path, "encrypted" if new_key else "plain")
    return counts


def _clean_leftovers(path: Path) -> None:
    """What a killed conversion left beside the store (never the file of one still running)."""
    for leftover in path.parent.glob(f".{path.name}.*{CONVERTING}*"):
        pid = leftover.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and (int(pid) == os.getpid() or not backups.process_alive(int(pid))):
            leftover.unlink(missing_ok=True)


def _verify(path: Path, counts: dict[str, int], key: str | None) -> None:
    """The converted file opens with ``key``, passes ``integrity_check`` and holds every row."""
    conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", key=key, uri=True, isolation_level=None)
    try:
        problems = sqlite_files.check(conn, full=True)
        got = sqlite_files.row_counts(conn)
    finally:
        conn.close()
    if problems or got != counts:
        differ = sorted(t for t in set(got) | set(counts) if got.get(t) != counts.get(t))
        raise EncryptionError("mismatch", f"the converted copy of {path} did not check out "
                                          f"({problems[:1] or differ[:5]}); the store is unchanged")


def _refused(path: Path, exc: BaseException) -> EncryptionError:
    from livedesk.services import store_problems

    code = store_problems.classify(exc)
    return EncryptionError(code, f"{path} was not converted: {store_problems.describe(code)} ({exc}); "
                                 "it is unchanged. Close LiveDesk on every other screen and try again.")
