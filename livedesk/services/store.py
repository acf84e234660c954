"""Opening the customer store: where it lives, checking it, migrating it.

``open_store`` is the only way the app, the CLI and the tests get an engine and a
session factory. A file that is not a LiveDesk database is refused untouched; a store is
created only where the caller says so (``create``); an existing database is backed up
(``services.backups``) before any migration. Every refusal is a ``StoreError`` whose
``code`` (``store_problems``) says what happened: damaged, disk full, read-only, locked…
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models.engine import is_sqlite, make_engine, make_session_factory

log = logging.getLogger(__name__)

APP_NAME = "LiveDesk"
# The newest migration this build knows. Checked against Alembic's head by a test, so
# start-up can skip importing Alembic when the store is already current.
HEAD_REVISION = "0003"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "models" / "migrations"
SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """The store cannot be opened; the message says which file and why, for a person.

    ``code`` is one of ``store_problems``' codes, for the UI to word in its language.
    """

    def __init__(self, message: str, *, code: str = "other", path: Path | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path


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


def resolve_url(db: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> str:
    """``--db PATH`` wins, then LIVEDESK_DB, then LIVEDESK_DATABASE_URL, then the default file."""
    env = os.environ if env is None else env
    if db:
        return sqlite_url(Path(db))
    if env.get("LIVEDESK_DB"):
        return sqlite_url(Path(env["LIVEDESK_DB"]))
    if env.get("LIVEDESK_DATABASE_URL"):
        return env["LIVEDESK_DATABASE_URL"]
    return sqlite_url(default_db_path())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def open_store(url: str, *, migrate: bool = True, backup: bool = True, create: bool = True) -> Store:
    """Check, back up and migrate the store at ``url``, then return it ready to use.

    With ``create=False`` a missing or 0-byte file is refused (code ``missing``/``empty``):
    the CLI and the app pass it, so a mistyped path never becomes a new empty store.
    """
    path: Path | None = None
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise StoreError("LiveDesk needs a database file, not an in-memory database")
        path = Path(database)
        _prepare_sqlite_file(path, create)
    engine = make_engine(url)
    store = Store(engine, make_session_factory(engine), url, path)
    try:
        current = current_revision(store)
        if current != HEAD_REVISION:
            _check_known(current, url)
            if not migrate:
                raise StoreError(f"{_where(store)} needs upgrading to schema {HEAD_REVISION} (it is at {current})")
            if path is not None and current is not None and backup:
                from livedesk.services.backups import BEFORE_MIGRATION, make_backup

                store.backup = make_backup(path, reason=BEFORE_MIGRATION).path
            upgrade(store)
    except StoreError:
        engine.dispose()
        raise
    except Exception as exc:  # a driver or OS error: say which, in words
        engine.dispose()
        raise _problem(store.path, f"{_where(store)} cannot be opened", exc) from exc
    return store


def _problem(path: Path | None, what: str, exc: BaseException) -> StoreError:
    from livedesk.services import store_problems

    code = store_problems.classify(exc)
    if code == store_problems.OTHER and path is not None and path.parent.is_dir():
        code = store_problems.folder_problem(path.parent) or code
    # The driver's own words after ours, without SQLAlchemy's SQL echo and help link.
    return StoreError(f"{what}: {store_problems.describe(code)} ({getattr(exc, 'orig', None) or exc})",
                      code=code, path=path)


def _where(store: Store) -> str:
    return str(store.path) if store.path else make_url(store.url).render_as_string(hide_password=True)


def _prepare_sqlite_file(path: Path, create: bool) -> None:
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file", code="foreign", path=path)
        if path.stat().st_size == 0 and not create:
            raise StoreError(f"{path} is an empty file (0 bytes), not a LiveDesk store. To make a new store "
                             f"there: livedesk init {path}", code="empty", path=path)
        _check_sqlite_file(path)
        return
    if not create:
        raise StoreError(f"there is no LiveDesk store at {path}. Check the path; to make a new store there: "
                         f"livedesk init {path}", code="missing", path=path)
    # Phone numbers live here: keep the folder and the file private to this user
    # (SQLite gives its -wal and -shm files the database file's permissions).
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
    except OSError as exc:
        raise _problem(path, f"{path} cannot be created", exc) from exc


def _check_sqlite_file(path: Path) -> None:
    """Refuse anything that is not a LiveDesk SQLite store, without writing to it."""
    if path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise _problem(path, f"{path} cannot be read", exc) from exc
    if header != SQLITE_MAGIC:
        raise StoreError(f"{path} is not a LiveDesk database: it is not an SQLite file. It was left unchanged.",
                         code="foreign", path=path)
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
    except sqlite3.Error as exc:
        raise _problem(path, f"{path} cannot be read; it was left unchanged", exc) from exc
    if tables and "alembic_version" not in tables:
        raise StoreError(
            f"{path} is an SQLite file but not a LiveDesk database (it has tables "
            f"{', '.join(sorted(tables)[:5])}). It was left unchanged.", code="foreign", path=path
        )


def quick_check(path: Path) -> list[str]:
    """SQLite's ``quick_check`` of a store file, read-only: the problems found ([] when sound).

    Reads every page (about 4 s for a 900 MB store), so the app runs it off the UI thread.
    """
    from livedesk.services import sqlite_files

    try:
        with sqlite_files.opened_ro(path) as conn:
            return sqlite_files.check(conn, full=False)
    except sqlite3.Error as exc:
        from livedesk.services import store_problems

        if store_problems.classify(exc) == store_problems.DAMAGED:
            return [str(exc)]
        raise _problem(path, f"{path} cannot be checked", exc) from exc


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        if not store.engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def _check_known(revision: str | None, url: str) -> None:
    if revision is None:
        return
    if revision not in known_revisions():
        raise StoreError(
            f"{make_url(url).database or url} was made by a newer LiveDesk (schema {revision}); "
            "update LiveDesk to open it. It was left unchanged.", code="newer"
        )


def alembic_config():  # -> alembic.config.Config, imported lazily to keep start-up fast
    from alembic.config import Config

    config = Config()
    # Built in code, not from alembic.ini: a frozen app finds its scripts next to this module.
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(store: Store, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    log.info("store %s migrated to %s", _where(store), revision)
