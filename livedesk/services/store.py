"""Opening the customer store: where it lives, checking it, migrating it.

``open_store`` is the only way the app, the CLI and the tests get an engine and a
session factory. A file that is not a LiveDesk database is refused untouched; a store is
created only where the caller says so (``create``); an existing database is backed up
(``services.backups``) before any migration. Every refusal is a ``StoreError`` whose
``code`` (``store_problems``) says what happened: damaged, disk full, read-only, locked…

A unit of work is either ``store.read()`` or ``store.write(actor)``: a writing one begins
as a writer (see ``models.engine``), records its change set in the change log and tells
``store.listeners`` after it commits.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models.adapters import adapter_for, sqlcipher
from livedesk.models.engine import (
    StoreBusy,
    WritePolicy,
    is_sqlite,
    make_engine,
    make_session_factory,
    write_engine,
)
from livedesk.services import changes, team
from livedesk.services.changes import ChangeSet

T = TypeVar("T")

log = logging.getLogger(__name__)

APP_NAME = "LiveDesk"
# The newest migration this build knows. Checked against Alembic's head by a test, so
# start-up can skip importing Alembic when the store is already current.
HEAD_REVISION = "0009"
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


_writing = threading.local()  # the store this thread has a writing unit open on

__all__ = ["ChangeSet", "Op", "Store", "StoreBusy", "StoreError", "open_store"]


def new_origin() -> str:
    """This process's name in the change log: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Op:
    """What a write returns: its result and the change set it committed."""

    result: Any
    changes: ChangeSet


@dataclass
class Store:
    engine: Engine
    session_factory: sessionmaker[Session]  # reading units
    url: str
    path: Path | None  # the SQLite file, None for a server database
    backup: Path | None = None  # made before this opening's migration, if any
    origin: str = field(default_factory=new_origin)
    write_policy: WritePolicy = field(default_factory=WritePolicy)
    # Called after each local commit with its change set, on the committing thread.
    listeners: list[Callable[[ChangeSet], None]] = field(default_factory=list)
    # The team member this process acts as (team.Actor): every writing unit carries it.
    actor: Any = None

    def __post_init__(self) -> None:
        self.write_factory = make_session_factory(write_engine(self.engine, self.write_policy))
        hooks = {}
        if self.engine.dialect.name == "postgresql":
            from livedesk.services.change_feed import pg_log_in_order, pg_notify

            hooks = {"before_log": pg_log_in_order, "notify": pg_notify}
        changes.install(self.write_factory, self.origin, self.listeners, **hooks)
        # Sessions a long job takes straight from write_factory (the importer's) act as the
        # store's member too: their notes and audit entries are signed like write()'s. (Before
        # team.install, whose own after_begin hook reads who acts.)
        event.listen(self.write_factory, "after_begin",
                     lambda session, _tx, _conn: session.info.setdefault("actor", self.actor))
        team.install(self.write_factory)
        event.listen(self.session_factory, "before_flush", _refuse_writes)
        event.listen(self.session_factory, "do_orm_execute", _refuse_bulk_writes)

    def ping(self) -> None:
        """One round trip to the store: raises what a lost server raises."""
        with self.read() as session:
            session.execute(text("SELECT 1"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A reading unit of work: it never takes the write lock and may not write."""
        with self.session_factory.begin() as session:
            session.info["read_only"] = True
            session.info["actor"] = self.actor  # reads are checked too: who may export everyone
            yield session

    @contextmanager
    def write(self, actor: Any = None) -> Iterator[Session]:
        """A writing unit of work: begins as a writer, commits on success, rolls back on error.

        ``actor`` (a ``team.Actor``, by default the store's) is who is acting: services read it
        for authorship, audit entries and role checks.
        """
        if getattr(_writing, "store", None) is self:
            # A second writing unit on this thread would wait for the first one's lock for ever.
            raise RuntimeError("a writing unit of work is already open on this thread: pass its session on")
        _writing.store = self
        try:
            with self.write_factory.begin() as session:
                session.info["actor"] = actor if actor is not None else self.actor
                yield session
        finally:
            _writing.store = None

    def apply(self, operation: Callable[..., T], *args: Any, actor: Any = None, **kwargs: Any) -> Op:
        """Run ``operation(session, *args, **kwargs)`` as one writing unit; return it with its changes."""
        with self.write(actor) as session:
            result = operation(session, *args, **kwargs)
        return Op(result, session.info.pop("livedesk_committed", None) or ChangeSet(origin=self.origin))

    def dispose(self) -> None:
        self.engine.dispose()


_READ_ONLY = "a reading unit of work tried to write: open it with store.write()"


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise RuntimeError(_READ_ONLY)


def _refuse_bulk_writes(state: Any) -> None:
    if state.session.info.get("read_only") and (state.is_insert or state.is_update or state.is_delete):
        raise RuntimeError(_READ_ONLY)


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
    try:
        engine = make_engine(url)
    except sqlcipher.CipherError as exc:
        raise StoreError(str(exc), code=exc.code, path=path) from exc
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
            upgrade(store, expected=current)
        if path is not None and migrate:
            ensure_incremental_vacuum(store)
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
        header = sqlcipher.header(path)  # remembered: another connection of ours may hold the file's locks
    except OSError as exc:
        raise _problem(path, f"{path} cannot be read", exc) from exc
    encrypted = sqlcipher.looks_encrypted(path)
    if header != SQLITE_MAGIC and not encrypted:
        raise StoreError(f"{path} is not a LiveDesk database: it is not an SQLite file. It was left unchanged.",
                         code="foreign", path=path)
    try:
        from livedesk.services import sqlite_files

        sqlite_files.roll_back_hot_journal(path)  # an SQLite file (header checked): what any opening does
        conn = sqlcipher.open_file(path, read_only=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" in tables:
                # Read it here, read-only: the engine's first connection switches the file to WAL,
                # which rewrites its header before the damage would show.
                conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlcipher.CipherError as exc:
        raise StoreError(f"{exc}. It was left unchanged.", code=exc.code, path=path) from exc
    except sqlcipher.ERRORS as exc:
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
    except sqlcipher.CipherError as exc:
        raise StoreError(str(exc), code=exc.code, path=path) from exc
    except sqlcipher.ERRORS as exc:
        from livedesk.services import store_problems

        if store_problems.classify(exc) == store_problems.DAMAGED:
            return [str(exc)]
        raise _problem(path, f"{path} cannot be checked", exc) from exc


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return _revision_on(conn)


def _revision_on(conn) -> str | None:
    if not conn.dialect.has_table(conn, "alembic_version"):
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


def auto_vacuum_mode(store: Store) -> int:
    """SQLite's ``PRAGMA auto_vacuum``: 0 none, 1 full, 2 incremental."""
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() or 0)


def ensure_incremental_vacuum(store: Store) -> bool:
    """Convert a store made before erasure existed to ``auto_vacuum=INCREMENTAL``, once.

    New stores get it from the engine's connect pragma before their first table. An older
    store needs one VACUUM (it rewrites the whole file; seconds for a large store), which also
    drops every stale copy of deleted data that free space still held. It runs after the
    migration (VACUUM cannot run inside its transaction) and after the pre-migration backup.
    Another program holding the store makes it wait for the next opening: erasure then does a
    full VACUUM itself. Returns whether a conversion ran.
    """
    if auto_vacuum_mode(store) == 2:
        return False
    raw = store.engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        dbapi.execute("PRAGMA auto_vacuum=INCREMENTAL")
        dbapi.execute("VACUUM")
    except sqlcipher.OPERATIONAL_ERRORS as exc:
        log.warning("store %s: auto_vacuum not converted yet (%s); next opening tries again", store.path, exc)
        return False
    finally:
        raw.close()
    log.info("store %s converted to auto_vacuum=INCREMENTAL", store.path)
    return True


@dataclass(frozen=True)
class Scrub:
    """What overwriting the freed pages did: ``complete`` is False when another program kept
    the WAL from being emptied (then a later erasure or closing every program finishes it)."""

    complete: bool
    method: str  # incremental_vacuum | vacuum | not_sqlite
    wal_bytes: int  # the -wal file's size afterwards (0 when complete)
    file_bytes: int


def scrub_freed_pages(store: Store) -> Scrub:
    """After an erasure committed: move every freed page out of the file and empty the WAL.

    The erasing transaction ran with ``secure_delete`` on, so what it freed is zeros, but the
    old page versions still sit in the main file until a checkpoint and in the WAL until it is
    truncated. Order: the vacuum first (it writes moved pages through the WAL), then a
    TRUNCATE checkpoint copies every frame home and cuts the WAL to 0 bytes. SQLite adapter
    only; a server database answers ``not_sqlite``.
    """
    if store.path is None:
        return Scrub(False, "not_sqlite", 0, 0)
    method = "incremental_vacuum" if auto_vacuum_mode(store) == 2 else "vacuum"
    raw = store.engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        if method == "vacuum":
            dbapi.execute("PRAGMA auto_vacuum=INCREMENTAL")
            dbapi.execute("VACUUM")
        else:
            dbapi.execute("PRAGMA incremental_vacuum").fetchall()  # every step: every free page
        busy, _frames, _moved = dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    wal = store.path.with_name(store.path.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    return Scrub(busy == 0 and wal_bytes == 0, method, wal_bytes, store.path.stat().st_size)
