"""Opening the customer store: where it lives, checking it, backing it up, migrating it.

``open_store`` is the only way the app, the CLI and the tests get an engine and a
session factory. A file that is not a LiveDesk database is refused untouched; an
existing database is copied aside (SQLite online backup) before any migration.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models.adapters import adapter_for
from livedesk.models.engine import is_sqlite, make_engine, make_session_factory

log = logging.getLogger(__name__)

APP_NAME = "LiveDesk"
# The newest migration this build knows. Checked against Alembic's head by a test, so
# start-up can skip importing Alembic when the store is already current.
HEAD_REVISION = "0004"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "models" / "migrations"
SQLITE_MAGIC = b"SQLite format 3\x00"
BACKUPS_KEPT = 10


class StoreError(Exception):
    """The store cannot be opened; the message says which file and why, for a person."""


@dataclass
class Store:
    engine: Engine
    session_factory: sessionmaker[Session]
    url: str
    path: Path | None  # the SQLite file, None for a server database
    backup: Path | None = None  # made before this opening's migration, if any

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        with self.session_factory.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return default_data_dir() / "livedesk.sqlite3"


def resolve_url(db: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                db_url: str | None = None, saved: bool = True) -> str:
    """``--db PATH`` wins, then ``--db-url URL``, LIVEDESK_DB, LIVEDESK_DATABASE_URL, the
    server saved in 设置 (``saved``), then the default file."""
    env = os.environ if env is None else env
    if db:
        return sqlite_url(Path(db))
    if db_url:
        return db_url
    if env.get("LIVEDESK_DB"):
        return sqlite_url(Path(env["LIVEDESK_DB"]))
    if env.get("LIVEDESK_DATABASE_URL"):
        return env["LIVEDESK_DATABASE_URL"]
    if saved:
        from livedesk.services.store_location import saved_url

        chosen = saved_url()
        if chosen:
            return chosen
    return sqlite_url(default_db_path())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def open_store(url: str, *, migrate: bool = True, backup: bool = True) -> Store:
    """Check, back up and migrate the store at ``url``, then return it ready to use."""
    path: Path | None = None
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise StoreError("LiveDesk needs a database file, not an in-memory database")
        path = Path(database)
        _prepare_sqlite_file(path)
    engine = make_engine(url)
    store = Store(engine, make_session_factory(engine), url, path)
    try:
        current = current_revision(store)
        if current != HEAD_REVISION:
            _check_known(current, url)
            if not migrate:
                raise StoreError(f"{_where(store)} needs upgrading to schema {HEAD_REVISION} (it is at {current})")
            if path is not None and current is not None and backup:
                store.backup = backup_sqlite(path, reason=f"before-{HEAD_REVISION}")
            upgrade(store, expected=current)
    except StoreError:
        engine.dispose()
        raise
    except Exception as exc:  # a driver error on a damaged file: say so plainly
        engine.dispose()
        # The driver's own words, without SQLAlchemy's SQL echo and help link.
        raise StoreError(f"{_where(store)} cannot be opened: {getattr(exc, 'orig', None) or exc}") from exc
    return store


def _where(store: Store) -> str:
    return str(store.path) if store.path else make_url(store.url).render_as_string(hide_password=True)


def _prepare_sqlite_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file")
        _check_sqlite_file(path)
        return
    # Phone numbers live here: keep the folder and the file private to this user
    # (SQLite gives its -wal and -shm files the database file's permissions).
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600)


def _check_sqlite_file(path: Path) -> None:
    """Refuse anything that is not a LiveDesk SQLite store, without writing to it."""
    if path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        raise StoreError(f"{path} is not a LiveDesk database: it is not an SQLite file. It was left unchanged.")
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" in tables:
                # Read it here, read-only: the engine's first connection switches the file to WAL,
                # which rewrites its header before the damage would show.
                conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is damaged and cannot be read ({exc}). It was left unchanged.") from exc
    if tables and "alembic_version" not in tables:
        raise StoreError(
            f"{path} is an SQLite file but not a LiveDesk database (it has tables "
            f"{', '.join(sorted(tables)[:5])}). It was left unchanged."
        )


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return _revision_on(conn)


def _revision_on(conn) -> str | None:
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _check_known(revision: str | None, url: str) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    if revision not in {s.revision for s in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}:
        raise StoreError(
            f"{make_url(url).database or url} was made by a newer LiveDesk (schema {revision}); "
            "update LiveDesk to open it. It was left unchanged."
        )


def alembic_config():  # -> alembic.config.Config, imported lazily to keep start-up fast
    from alembic.config import Config

    config = Config()
    # Built in code, not from alembic.ini: a frozen app finds its scripts next to this module.
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(store: Store, revision: str = "head", expected: str | None | bool = False) -> None:
    """Migrate to ``revision`` in one transaction, under the adapter's migration lock.

    Two clients opening an empty server database together: the second waits for the lock,
    then finds the schema moved on from what it read before (``expected``) and leaves it."""
    from alembic import command

    config = alembic_config()
    with store.engine.begin() as conn:
        with adapter_for(conn).migration_lock(conn):
            if expected is not False and _revision_on(conn) != expected:
                log.info("store %s was migrated by another client meanwhile", _where(store))
                return
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    log.info("store %s migrated to %s", _where(store), revision)


def backup_sqlite(path: Path, *, reason: str = "manual", folder: Path | None = None) -> Path:
    """Copy a live SQLite file with the online backup API (safe while it is open)."""
    folder = folder or path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}-{stamp}-{reason}.sqlite3"
    src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    target.chmod(0o600)
    _prune_backups(folder, path.stem)
    log.info("backed up %s to %s", path, target)
    return target


def latest_backup(path: Path, folder: Path | None = None) -> Path | None:
    folder = folder or path.parent / "backups"
    backups = sorted(folder.glob(f"{path.stem}-*.sqlite3")) if folder.is_dir() else []
    return backups[-1] if backups else None


def backup_if_older_than(path: Path, hours: float = 24) -> Path | None:
    """The daily safety copy: back up unless a backup younger than ``hours`` exists."""
    newest = latest_backup(path)
    if newest is not None and (datetime.now().timestamp() - newest.stat().st_mtime) < hours * 3600:
        return None
    return backup_sqlite(path, reason="daily")


def restore_sqlite(backup: Path, target: Path) -> Path | None:
    """Put ``backup`` in place of ``target``; the current ``target`` is backed up first.

    Returns the safety copy of what was replaced (None if there was no store yet).
    Close every connection to ``target`` before calling this.
    """
    if not backup.is_file():
        raise StoreError(f"{backup} does not exist")
    _check_sqlite_file(backup)
    if backup.stat().st_size == 0:
        raise StoreError(f"{backup} is empty: it is not a backup")
    safety = backup_sqlite(target, reason="before-restore") if target.exists() else None
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    src = sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page by page into the live file, so its WAL stays consistent
    finally:
        dst.close()
        src.close()
    log.info("restored %s from %s", target, backup)
    return safety


def _prune_backups(folder: Path, stem: str) -> None:
    backups = sorted(folder.glob(f"{stem}-*.sqlite3"))
    for old in backups[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
