"""Backups of the SQLite store and restoring one: verified, complete or absent, kept by tier.

A backup is SQLite's online backup of the store into ``backups/`` beside it, under a hidden
temporary name; the copy is checked (``PRAGMA integrity_check``), its schema revision and row
counts read, synced, and only then renamed to ``<stem>-<UTC stamp>-<reason>.sqlite3`` with a
``.json`` sidecar (written first) that records when, why, size, verified, revision, counts and
the store's file stamp (so "nothing changed since" can be told without reading the store).
A killed or failed backup leaves only a ``.partial`` file, which never counts and is removed
by the next backup. The store is ``quick_check``-ed before it is copied: a damaged store is not
copied over good backups.

Retention: the rotating backups (manual, automatic, before an operation) keep the newest
``RECENT`` plus the newest of each of the last ``DAILY`` days, ``WEEKLY`` weeks and
``MONTHLY`` months; copies taken before a migration or a restore are kept apart
(``KEPT_APART`` of each), so no number of manual backups evicts them.

Restore holds the store's write lock (``BEGIN EXCLUSIVE``) from its safety copy to the swap,
and swaps inside that one transaction: another process's write lands before the safety copy
or waits for the restore, and a killed restore rolls back. A corrupt, foreign or newer-schema
file is refused before anything is touched.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from livedesk.models.adapters import sqlcipher
from livedesk.services import sqlite_files as files
from livedesk.services import store_problems as problems
from livedesk.services.store import SQLITE_MAGIC, StoreError, known_revisions

log = logging.getLogger(__name__)

RECENT, DAILY, WEEKLY, MONTHLY = 10, 7, 4, 12
BEFORE_RESTORE, BEFORE_MIGRATION = "before-restore", "before-migration"
KEPT_APART = {BEFORE_RESTORE: 5, BEFORE_MIGRATION: 5}
# Why a backup was made. The UI words each; "before-erase" is for the erasure service.
REASONS = ("manual", "auto", "daily", "close", "before-import", "before-revert", "before-merge", "before-erase",
           "before-encrypt", "before-decrypt", "before-rekey", BEFORE_RESTORE, BEFORE_MIGRATION)
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
PARTIAL = ".partial"


class BackupError(StoreError):
    """A backup or restore that could not be done; ``code`` says why (store_problems)."""


@dataclass
class BackupInfo:
    path: Path
    created_at: datetime  # UTC
    reason: str
    size: int
    verified: bool | None  # None: made by an older LiveDesk, never checked
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    source_stamp: list[int] | None = None

    @property
    def kept_apart(self) -> bool:
        return self.reason in KEPT_APART

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"], d["created_at"] = str(self.path), self.created_at.isoformat()
        return d


@dataclass
class RestoreResult:
    restored_from: Path
    revision: str | None
    counts: dict[str, int]
    safety: BackupInfo | None  # where the replaced store is (None: there was none)


def backups_folder(store_path: Path) -> Path:
    return store_path.parent / "backups"


def source_stamp(store_path: Path) -> list[int]:
    """Size and modification time of the store and its WAL: equal stamps, same contents."""
    stamp: list[int] = []
    for p in (store_path, store_path.with_name(store_path.name + "-wal")):
        try:
            st = p.stat()
            stamp += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            stamp += [-1, -1]
    return stamp


# -- making ------------------------------------------------------------------------------------

def make_backup(store_path: Path, reason: str = "manual", folder: Path | None = None) -> BackupInfo:
    """Back up the store now: checked first, verified copy, published only when complete."""
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}")
    folder = folder or backups_folder(store_path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        clean_leftovers(folder)
    except OSError as exc:
        raise _failed("back up", store_path, exc, folder) from exc
    created = datetime.now(timezone.utc)
    final = folder / f"{store_path.stem}-{created.strftime(STAMP_FORMAT)}-{reason}.sqlite3"
    temp = _temp_name(final)
    try:
        stamp = source_stamp(store_path)
        with files.opened_ro(store_path) as src:
            found = files.check(src, full=False)
            if found:
                raise BackupError(f"{store_path} is damaged ({found[0]}); it was not copied over the backups. "
                                  "Restore a backup or run `livedesk recover`.", code=problems.DAMAGED,
                                  path=store_path)
            _create_private(temp)
            dst = files.connect_like(store_path, temp)  # an encrypted store's backup: same key
            try:
                src.backup(dst)
                info = _verify(dst, final, created, reason, stamp)
            finally:
                dst.close()
        info.size = temp.stat().st_size
        _publish(temp, final, info)
    except BackupError:
        _discard(temp)
        raise
    except sqlcipher.CipherError as exc:
        _discard(temp)
        raise BackupError(f"could not back up {exc}", code=exc.code, path=store_path) from exc
    except (OSError, *sqlcipher.ERRORS) as exc:
        _discard(temp)
        raise _failed("back up", store_path, exc, folder) from exc
    log.info("backed up %s to %s (%s, %d bytes)", store_path, final, reason, info.size)
    prune(folder, store_path.stem)
    return info


def _verify(conn: Any, final: Path, created: datetime, reason: str,
            stamp: list[int] | None) -> BackupInfo:
    conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, readable read-only
    found = files.check(conn, full=True)
    if found:
        raise BackupError(f"the copy did not pass SQLite's integrity check ({found[0]}); nothing was kept",
                          code=problems.DAMAGED)
    return BackupInfo(final, created, reason, 0, True, files.revision(conn), files.row_counts(conn), stamp)


def _publish(temp: Path, final: Path, info: BackupInfo) -> None:
    """The sidecar first, then the copy: a backup file in place always has its record."""
    sidecar, sidecar_temp = _sidecar(final), _temp_name(_sidecar(final))
    record = info.as_dict()
    record.pop("path")
    _create_private(sidecar_temp)
    sidecar_temp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        files.publish(sidecar_temp, sidecar)
        files.publish(temp, final)
    except BaseException:
        _discard(sidecar_temp)
        sidecar.unlink(missing_ok=True)
        raise


def _create_private(path: Path) -> None:
    # Phone numbers live in there: private from the first byte.
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}{PARTIAL}")


def _sidecar(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _discard(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", p)


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove what killed backups left: partial files of dead processes, records without a copy."""
    removed = []
    for p in folder.glob(f".*{PARTIAL}"):
        pid = p.name[: -len(PARTIAL)].rsplit(".", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and process_alive(int(pid)):
            continue  # another process is writing it now
        if pid.isdigit() and int(pid) == os.getpid():
            continue
        p.unlink(missing_ok=True)
        removed.append(p)
    for sidecar in folder.glob("*.sqlite3.json"):
        # A record is published a moment before its copy: leave a fresh one to its writer.
        if not sidecar.with_name(sidecar.name[: -len(".json")]).exists() and _age_s(sidecar) > 60:
            sidecar.unlink(missing_ok=True)
            removed.append(sidecar)
    return removed


def _age_s(path: Path) -> float:
    try:
        return datetime.now().timestamp() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (its partial file is still being written)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _failed(what: str, store_path: Path, exc: BaseException, folder: Path | None = None) -> BackupError:
    log.warning("could not %s %s: %r", what, store_path, exc)  # the driver's words, for the log
    code = problems.classify(exc)
    if code == problems.OTHER and folder is not None and folder.is_dir():
        code = problems.folder_problem(folder) or problems.OTHER
    where = folder if code in (problems.DISK_FULL, problems.READ_ONLY) and folder else store_path
    return BackupError(f"could not {what} {store_path}: {problems.describe(code)} ({where}). "
                       "Nothing was kept of the attempt.", code=code, path=store_path)


# -- listing and retention -------------------------------------------------------------------

def list_backups(store_path: Path, folder: Path | None = None) -> list[BackupInfo]:
    """The store's backups, newest first (partial files are never listed)."""
    folder = folder or backups_folder(store_path)
    if not folder.is_dir():
        return []
    found = [_read_info(p) for p in folder.glob(f"{store_path.stem}-*.sqlite3")]
    return sorted((i for i in found if i is not None), key=lambda i: i.created_at, reverse=True)


def _read_info(path: Path) -> BackupInfo | None:
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        return BackupInfo(path, datetime.fromisoformat(record["created_at"]), record["reason"], record["size"],
                          record["verified"], record.get("revision"), record.get("counts") or {},
                          record.get("source_stamp"))
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError, OSError):
        log.warning("unreadable backup record for %s", path)
    try:  # a backup made before records existed: name and file only, never verified
        st = path.stat()
    except OSError:
        return None
    reason = path.stem.rsplit("-", 1)[-1] if "-before-" not in path.stem else "before-" + path.stem.split("-before-")[-1]
    if reason.startswith("before-0"):
        reason = BEFORE_MIGRATION
    return BackupInfo(path, datetime.fromtimestamp(st.st_mtime, timezone.utc), reason, st.st_size, None)


def newest_verified(store_path: Path, folder: Path | None = None) -> BackupInfo | None:
    return next((b for b in list_backups(store_path, folder) if b.verified), None)


def prune(folder: Path, stem: str, now: datetime | None = None) -> list[Path]:
    """Apply the retention tiers; returns the backups removed."""
    backups = list_backups(folder / f"{stem}.sqlite3", folder)
    keep: set[Path] = set()
    for reason, count in KEPT_APART.items():
        keep.update(b.path for b in [b for b in backups if b.reason == reason][:count])
    rotating = [b for b in backups if not b.kept_apart]
    keep.update(b.path for b in rotating[:RECENT])
    for bucket, count in ((_day, DAILY), (_week, WEEKLY), (_month, MONTHLY)):
        seen: list[Any] = []
        for b in rotating:  # newest first: the first of each bucket is its newest
            key = bucket(b.created_at)
            if key not in seen:
                seen.append(key)
                if len(seen) > count:
                    break
                keep.add(b.path)
    removed = [b.path for b in backups if b.path not in keep]
    for p in removed:
        _sidecar(p).unlink(missing_ok=True)
        p.unlink(missing_ok=True)
    return removed


def _day(t: datetime) -> Any:
    return t.date()


def _week(t: datetime) -> Any:
    return t.isocalendar()[:2]


def _month(t: datetime) -> Any:
    return (t.year, t.month)


# -- automatic backups -------------------------------------------------------------------------

def backup_if_changed(store_path: Path, reason: str = "auto") -> BackupInfo | None:
    """Back up unless a verified backup already holds exactly the store's current contents."""
    newest = newest_verified(store_path)
    if newest is not None and newest.source_stamp == source_stamp(store_path):
        return None
    return make_backup(store_path, reason)


def backup_if_older_than(store_path: Path, hours: float = 24, reason: str = "daily") -> BackupInfo | None:
    """The daily safety copy: made unless a verified backup younger than ``hours`` exists."""
    newest = newest_verified(store_path)
    if newest is not None and datetime.now(timezone.utc) - newest.created_at < timedelta(hours=hours):
        return None
    return make_backup(store_path, reason)


def store_file(bind: Any) -> Path | None:
    """The SQLite file behind a Session, Connection, Engine or session factory (None: a server)."""
    if hasattr(bind, "get_bind"):
        bind = bind.get_bind()
    if hasattr(bind, "kw"):  # a sessionmaker
        bind = bind.kw.get("bind")
    url = getattr(getattr(bind, "engine", bind), "url", None)
    if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def before_destructive(bind: Any, reason: str) -> BackupInfo | None:
    """The backup every destructive operation takes first (merge, revert, bulk import, erase).

    Called by the services themselves, so the app and the CLI both get it. Skipped when a
    verified backup already holds the current contents; a server database is backed up by
    its own tools. A backup that fails stops the operation (BackupError).
    """
    path = store_file(bind)
    if path is None:
        return None
    return backup_if_changed(path, reason)


# -- restoring ---------------------------------------------------------------------------------

def inspect_backup(path: Path) -> BackupInfo:
    """Check a file before it replaces the store: whole, a LiveDesk store, a schema this build knows."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist", code=problems.MISSING, path=path)
    if path.stat().st_size == 0:
        raise BackupError(f"{path} is empty (0 bytes): it is not a backup", code=problems.EMPTY, path=path)
    if sqlcipher.header(path) != SQLITE_MAGIC and not files.is_encrypted(path):
        raise BackupError(f"{path} is not a LiveDesk backup: it is not an SQLite file", code=problems.FOREIGN,
                          path=path)
    try:
        with files.opened_ro(path) as conn:
            found = files.check(conn, full=True)
            if found:
                raise BackupError(f"{path} is damaged ({found[0]}): it cannot be restored",
                                  code=problems.DAMAGED, path=path)
            revision, counts = files.revision(conn), files.row_counts(conn)
    except sqlcipher.CipherError as exc:
        words = {sqlcipher.PASSPHRASE_NEEDED: "it is encrypted and no passphrase was given",
                 sqlcipher.WRONG_PASSPHRASE: "it is encrypted and the passphrase given does not decrypt it "
                                             "(made before the passphrase was changed, or from another store)"}
        raise BackupError(f"{path} cannot be restored: {words.get(exc.code, str(exc))}", code=exc.code,
                          path=path) from exc
    except sqlcipher.ERRORS as exc:
        code = problems.classify(exc)
        raise BackupError(f"{path} cannot be read: {problems.describe(code)} ({exc})", code=code, path=path) from exc
    if revision is None:
        raise BackupError(f"{path} is an SQLite file but not a LiveDesk backup", code=problems.FOREIGN, path=path)
    if revision not in known_revisions():
        raise BackupError(f"{path} was made by a newer LiveDesk (schema {revision}); update LiveDesk to restore it",
                          code=problems.NEWER, path=path)
    existing = _read_info(path)
    info = existing if existing is not None and existing.verified else BackupInfo(
        path, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), "manual", path.stat().st_size, True)
    info.verified, info.revision, info.counts = True, revision, counts
    return info


def restore(backup: Path, target: Path) -> RestoreResult:
    """Put ``backup`` in place of the store at ``target``, keeping the replaced store aside.

    Refused (BackupError, store untouched) for a damaged, foreign or newer file. The store's
    write lock is held from the safety copy to the swap. Other processes may keep the store
    open: their next reads see the restored contents. A store too damaged to be copied row by
    row is moved aside whole (as its ``before-restore`` copy, marked unverified).
    """
    try:
        checked = inspect_backup(backup)
    except BackupError as exc:
        exc.args = (f"{exc.args[0]}. The store was left unchanged.",)
        raise
    if target.exists() and target.resolve() == backup.resolve():
        raise BackupError(f"{backup} is the store itself", code=problems.OTHER, path=backup)
    folder = backups_folder(target)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        clean_leftovers(folder)
        if not target.exists():
            _create_private(target)
    except OSError as exc:
        raise _unchanged(_failed("restore", target, exc, folder)) from exc
    try:
        safety = _restore_locked(backup, target, folder)
    except _TooDamaged:
        safety = _restore_over_damaged(backup, target, folder)
    except BackupError as exc:
        raise _unchanged(exc)
    except sqlcipher.CipherError as exc:
        raise _unchanged(BackupError(f"could not restore {exc}. Nothing was kept of the attempt.", code=exc.code,
                                     path=target)) from exc
    except (OSError, *sqlcipher.ERRORS) as exc:
        raise _unchanged(_failed("restore", target, exc, folder)) from exc
    log.info("restored %s from %s; the replaced store is %s", target, backup, safety.path if safety else None)
    return RestoreResult(backup, checked.revision, checked.counts, safety)


def restore_as_member(store: Any, backup: Path) -> RestoreResult:
    """``restore`` over an open store, by whoever acts on it: a role that may restore (the owner).

    A store too damaged to open cannot say who may; its rescue (the recovery screen, the CLI's
    ``restore`` of a damaged file) calls ``restore`` itself.
    """
    from livedesk.services import team

    with store.read() as session:
        team.require(session, "restore")
    return restore(backup, store.path)


class _TooDamaged(Exception):
    pass


def _unchanged(error: BackupError) -> BackupError:
    error.args = (str(error.args[0]).replace("Nothing was kept of the attempt.", "The store was left unchanged."),)
    return error


def _restore_locked(backup: Path, target: Path, folder: Path) -> BackupInfo | None:
    live = files.connect_rw(target, timeout=files.BUSY_TIMEOUT_S)
    try:
        try:
            # Waits for a writer in progress (its commit lands before the safety copy); writers
            # that come later wait for the swap.
            live.execute("BEGIN EXCLUSIVE")
            safety = None
            if target.stat().st_size > 0:
                try:
                    safety = _safety_copy(live, target, folder)
                except sqlcipher.DATABASE_ERRORS as exc:
                    if problems.classify(exc) == problems.DAMAGED:
                        raise _TooDamaged() from exc
                    raise
            with files.opened_ro(backup) as src:
                files.replace_contents(src, live)
            live.execute("COMMIT")
        except BaseException:
            if live.in_transaction:
                live.rollback()
            raise
        try:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlcipher.ERRORS:
            pass  # a reader elsewhere: the WAL is folded in later
    except sqlcipher.DATABASE_ERRORS as exc:
        if problems.classify(exc) == problems.DAMAGED:
            raise _TooDamaged() from exc
        raise
    finally:
        live.close()
    return safety


def _restore_over_damaged(backup: Path, target: Path, folder: Path) -> BackupInfo:
    """The store cannot be read: move its files aside whole, then put a copy of the backup in place."""
    created = datetime.now(timezone.utc)
    aside = folder / f"{target.stem}-{created.strftime(STAMP_FORMAT)}-{BEFORE_RESTORE}.sqlite3"
    copy = _temp_name(target)
    try:
        _create_private(copy)
        with files.opened_ro(backup) as src:
            dst = files.connect_like(backup, copy)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        info = BackupInfo(aside, created, BEFORE_RESTORE, target.stat().st_size, False)
        record = info.as_dict()
        record.pop("path")
        _sidecar(aside).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        for suffix in ("-wal", "-shm"):  # the damaged store's journal goes with it
            extra = target.with_name(target.name + suffix)
            if extra.exists():
                os.replace(extra, aside.with_name(aside.name + suffix))
        os.replace(target, aside)
        files.publish(copy, target)
    except BaseException:
        _discard(copy)
        raise
    return info


def _safety_copy(live: Any, target: Path, folder: Path) -> BackupInfo:
    """Copy the store as it is under the lock (rows, not pages: the lock's own connection reads it)."""
    created = datetime.now(timezone.utc)
    final = folder / f"{target.stem}-{created.strftime(STAMP_FORMAT)}-{BEFORE_RESTORE}.sqlite3"
    temp = _temp_name(final)
    try:
        _create_private(temp)
        copy = files.connect_like(target, temp)
        try:
            copy.execute("BEGIN")
            files.replace_contents(live, copy)
            copy.execute("COMMIT")
            info = _verify(copy, final, created, BEFORE_RESTORE, None)
        finally:
            copy.close()
        info.size = temp.stat().st_size
        _publish(temp, final, info)
    except BaseException:
        _discard(temp)
        raise
    prune(folder, target.stem)
    return info
