"""The SQLite adapter: every SQLite-only statement and setting of LiveDesk lives here.

Connection set-up (PRAGMAs, our own BEGIN, the SQLCipher key of an encrypted store: ``sqlcipher.py``), the compiled SQL functions, and the bulk-write
path the importer and the demo use: ids taken under the write lock, multi-row INSERTs,
secondary indexes dropped before a bulk load and built after, a progress handler that lets
a cancel stop a long statement. ``postgresql.py`` has the same functions for the server.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles

from livedesk.models.adapters import sqlcipher
from livedesk.models.adapters.functions import PACK_NULL, PACK_SEPARATOR, day_number, packed, utc_hour
from livedesk.models.writes import WRITE_OPTION, StoreBusy, WritePolicy

NAME = "sqlite"
PROGRESS_OPS = 20_000  # VM steps between two looks at the cancel flag inside a statement
MULTI_ROW_VARIABLES = 32_000  # parameters per multi-row INSERT, at most the build's limit
CAN_PACK = True
SNAPSHOT_OPTIONS: dict[str, str] = {}  # a read transaction in WAL mode already sees one snapshot
BUSY_TIMEOUT_MS = 10_000  # readers and commits: WAL makes waits rare and short
WAIT_SLICE_MS = 200  # a waiting writer reports this often
IN_CHUNK = 2000  # values per ``member_of``: bound parameters per IN (...), under SQLite's 32,766


class StatementCancelled(Exception):
    """A long statement was stopped because the caller asked to cancel."""


# -- engine -------------------------------------------------------------------------------------


def normalize_url(url: Any) -> Any:
    return url


def _file_key(url: Any) -> str | None:
    """The SQLCipher key of an encrypted store file (None for a plain one): see ``sqlcipher``."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return sqlcipher.AGENT.key_for(Path(database))


def engine_options(url: Any) -> dict[str, Any]:
    # An encrypted store is opened through SQLCipher's driver (raises sqlcipher.CipherError
    # when no passphrase given to this process opens it).
    return {"module": sqlcipher.sqlcipher} if _file_key(url) is not None else {}


def _begin_immediate(dbapi_connection: Any, policy: WritePolicy) -> None:
    """Take the write lock before reading anything, waiting in short slices (see models.writes)."""
    started = time.monotonic()
    dbapi_connection.execute(f"PRAGMA busy_timeout={WAIT_SLICE_MS}")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlcipher.OPERATIONAL_ERRORS as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            waited = time.monotonic() - started
            if waited >= policy.limit_s:
                raise StoreBusy(waited)
            if policy.on_wait is not None:
                policy.on_wait(waited)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def configure(engine: Engine) -> None:
    key = _file_key(engine.url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if key is not None:  # an encrypted store: the key before anything reads the file
            sqlcipher.apply_key(dbapi_connection, key)
        # pysqlite's own transaction handling commits before DDL, so a failed
        # migration would leave half a schema; take over BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Erasure (PIPL) must leave no trace in the file: every delete and update zeroes the
        # bytes it frees, on every connection. Only on the erasing one would leave the stale
        # copies that earlier updates (a recompute rewriting a customer's row) left in free
        # space. The cost is a memset per freed cell and writing freed pages as zeros.
        cursor.execute("PRAGMA secure_delete=ON")
        # Freed pages leave the file at the next incremental vacuum (erasure runs one). Set on a
        # new, empty file only: it must come before the first table, and on an existing store
        # the pragma opens a write transaction (it rewrites a header field) on every connect,
        # which makes other connections' read-then-write units fail with "database is locked".
        # Older stores are converted once by a VACUUM in store.ensure_incremental_vacuum.
        if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        # Customer data must survive a power cut: WAL with FULL sync.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writing unit (models.writes.write_engine) begins with BEGIN IMMEDIATE.
        policy = connection.get_execution_options().get(WRITE_OPTION)
        if policy is None:
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(connection.connection.dbapi_connection, policy)


@contextmanager
def migration_lock(conn: Any) -> Iterator[None]:
    """One machine, one file: the file's own write lock orders two openers (nothing to add)."""
    yield


def settings_report(conn: Any) -> dict[str, Any]:
    """The connection's durability settings, for the self-test and the tests."""
    return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous")}


# -- compiled functions ------------------------------------------------------------------------


@compiles(utc_hour, "sqlite")
def _utc_hour(element: utc_hour, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' naive UTC text: the prefix is the hour.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


@compiles(packed, "sqlite")
def _packed(element: packed, compiler: Any, **kw: Any) -> str:
    # Literal separators: char(30) would be a function call per row.
    value = compiler.process(element.clauses, **kw)
    return f"group_concat(ifnull({value}, '{PACK_NULL}'), '{PACK_SEPARATOR}')"


@compiles(day_number, "sqlite")
def _day_number(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


def member_of(column: Any, values: list[Any]) -> Any:
    """``column IN (values)``, one bound parameter per value (callers chunk by ``IN_CHUNK``)."""
    return column.in_(list(values))


# -- ids and sequences -----------------------------------------------------------------------


def reserve_ids(conn: Any, table: Any, count: int) -> np.ndarray:
    """``count`` new ids for ``table``. The unit of work holds the file's only write lock, so
    the ids after the largest are ours to take (RETURNING in parameter order would run one
    statement per row here)."""
    first = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
    return np.arange(first, first + count, dtype=np.int64)


def sync_sequences(conn: Any) -> dict[str, int]:
    """SQLite's rowids follow the largest id by themselves: nothing to move."""
    return {}


# -- bulk writes -----------------------------------------------------------------------------


def analyze(conn: Any, tables: list[Any]) -> None:
    """Nothing: LiveDesk's SQLite queries are written for the planner without statistics
    (an sqlite_stat1 table would change plans that were measured without one)."""


class BulkWriter:
    """Rows of one INSERT (or UPDATE) handed to the driver with values in storage form.

    ``statement`` is compiled once; an INSERT goes a few thousand rows per statement (each
    execution of a statement sets up its cursors and foreign-key lookups again), the SQL text
    of each batch size made once and kept by the driver as a prepared statement.
    """

    def __init__(self, conn: Any, statement: Any, keys: list[str], table: Any = None,
                 fixed: dict[str, Any] | None = None) -> None:
        self.conn, self.keys = conn, keys
        compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
        self.sql, self.positional = compiled.string, compiled.positional
        self.order = [keys.index(name) for name in (compiled.positiontup or [])] if self.positional else []
        head, values, one = self.sql.rpartition(" VALUES ")
        self.multi = statement.is_insert and bool(values) and bool(self.order)
        if self.multi:
            self.head, self.one = head + values, one
            self.per = max(1, min(MULTI_ROW_VARIABLES, _variable_limit(conn)) // len(self.order))
            self.texts: dict[int, str] = {}

    def run(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.positional:
            self.conn.exec_driver_sql(self.sql, [dict(zip(self.keys, row)) for row in rows])
            return
        if self.order != list(range(len(self.keys))):
            rows = [tuple(row[i] for i in self.order) for row in rows]
        if not self.multi:
            self.conn.exec_driver_sql(self.sql, rows)
            return
        for a in range(0, len(rows), self.per):
            part = rows[a:a + self.per]
            sql = self.texts.get(len(part))
            if sql is None:
                sql = self.texts[len(part)] = self.head + ", ".join([self.one] * len(part))
            self.conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(part)))

    def close(self) -> None:
        pass


def _variable_limit(conn: Any) -> int:
    """How many parameters one statement may have (999 in old builds)."""
    getlimit = getattr(conn.connection.dbapi_connection, "getlimit", None)
    if getlimit is None:
        return 999
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def secondary_indexes(conn: Any, table: Any, steady: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(name, CREATE statement)`` of ``table``'s non-unique indexes, except those on
    ``steady`` columns only (see the importer's ``_drop_indexes``)."""
    found = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                 "AND sql IS NOT NULL ORDER BY name", (table.name,)).all()
    return [(name, sql) for name, sql in found if not sql.upper().startswith("CREATE UNIQUE")
            and not {row[2] for row in conn.exec_driver_sql(f'PRAGMA index_info("{name}")')} <= set(steady)]


def drop_index(conn: Any, name: str) -> None:
    conn.exec_driver_sql(f'DROP INDEX "{name}"')


@contextmanager
def cancellable(conn: Any, should_stop: Callable[[], bool]) -> Iterator[None]:
    """A cancel stops a long statement (settling points, building an index) instead of
    waiting for its end: SQLite asks every few thousand VM steps; a true answer interrupts
    the statement, and ``StatementCancelled`` is raised (the transaction then rolls back)."""
    handler = getattr(conn.connection.dbapi_connection, "set_progress_handler", None)
    if handler is None:
        yield
        return
    stopped = False

    def ask() -> int:
        nonlocal stopped
        stopped = stopped or should_stop()
        return 1 if stopped else 0

    handler(ask, PROGRESS_OPS)
    try:
        yield
    except Exception as exc:
        if stopped:
            raise StatementCancelled() from exc
        raise
    finally:
        handler(None, 0)
    if stopped:
        raise StatementCancelled()
