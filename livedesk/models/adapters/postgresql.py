"""The PostgreSQL adapter: the team's shared store, through psycopg 3.

The same functions as ``sqlite.py``, done the server's way: ``postgresql+psycopg`` URLs,
pre-pinged pooled connections that wait out a restarting server, migrations under an
advisory lock, ids from the sequences, sequences moved past explicit ids, ``COPY`` for bulk
loads, and a cancel that interrupts a running statement from another thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, event, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.compiler import compiles

from livedesk.models.adapters.functions import PACK_NULL, PACK_SEPARATOR, day_number, packed, utc_hour

NAME = "postgresql"
DRIVER = "postgresql+psycopg"
CONNECT_TIMEOUT_S = 5
# A server that restarts refuses connections for a moment: a new connection waits this long.
RECONNECT_WAIT_S = 3.0
MIGRATION_LOCK = 0x4C44_4D49  # "LDMI": one advisory lock key for LiveDesk's migrations
CAN_PACK = True
SNAPSHOT_OPTIONS = {"isolation_level": "REPEATABLE READ"}  # every statement of a read sees one snapshot
COPY_FLUSH_ROWS = 10_000
# Per-session planner settings. The store (~1 GB at 200k customers) stays in the server's
# memory, where an index read costs little more than a sequential one: with the default
# random_page_cost of 4 (spinning disks) the planner hashes the 1M-row points ledger per
# customer (spilling past the default 4 MB work_mem) instead of reading it in customer order
# from its (customer_id, delta) index, 1.5 s against 0.4 s at 200k customers. JIT off: our
# statements over a million rows cost past jit_above_cost, and compiling them took 180 ms of
# a 1.2 s statement (follow-ups' re-purchase check) that reads rows already in memory.
SESSION_SETTINGS = {"timezone": "UTC", "random_page_cost": "1.1", "jit": "off"}
IN_CHUNK = 50_000  # values per ``member_of``: one array parameter, one statement (see below)


class StatementCancelled(Exception):
    """A long statement was stopped because the caller asked to cancel."""


# -- engine -------------------------------------------------------------------------------------


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=DRIVER)
    return parsed


def engine_options(url: str | URL) -> dict[str, Any]:
    return {
        # A pooled connection is checked before use: after a server restart the pool is
        # refilled instead of the first statement failing on a dead socket.
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "LiveDesk",
                         "options": " ".join(f"-c {k}={v}" for k, v in SESSION_SETTINGS.items())},
    }


def is_transient(exc: BaseException) -> bool:
    """A server that is down for a moment (restarting, refusing), not a wrong password or name."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(s in text for s in ("connection refused", "starting up", "shutting down", "server closed",
                                   "terminating connection", "connection timeout", "timeout expired",
                                   "could not receive data", "consuming input failed", "no connection to"))


def configure(engine: Engine) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        deadline = time.monotonic() + RECONNECT_WAIT_S
        while True:
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not is_transient(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.25)


@contextmanager
def migration_lock(conn: Any) -> Iterator[None]:
    """Two clients opening an empty database together: the second waits here until the
    first committed its migration (the lock ends with the transaction), then finds the
    schema current and does nothing."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    yield


def settings_report(conn: Any) -> dict[str, Any]:
    return {"server_version": conn.exec_driver_sql("SHOW server_version").scalar(),
            "timezone": conn.exec_driver_sql("SHOW timezone").scalar()}


# -- compiled functions ------------------------------------------------------------------------


@compiles(utc_hour, "postgresql")
def _utc_hour(element: utc_hour, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24')"


@compiles(packed, "postgresql")
def _packed(element: packed, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"string_agg(coalesce(CAST({value} AS TEXT), '{PACK_NULL}'), '{PACK_SEPARATOR}')"


@compiles(day_number, "postgresql")
def _day_number(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400.0)"


def member_of(column: Any, values: list[Any]) -> Any:
    """``column IN values`` as ``column = ANY(array)``: one parameter however many values,
    where an expanded IN binds (and the server parses) one parameter per value: 85k follow-up
    keys looked up in chunks of 2,000 took 3.2 s that way, 0.6 s as arrays."""
    return column == func.any(bindparam(None, list(values), type_=ARRAY(column.type)))


# -- ids and sequences -----------------------------------------------------------------------

_OWNED_SEQUENCES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(s.relname), quote_ident(t.relname), quote_ident(a.attname)
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND n.nspname = current_schema()
ORDER BY t.relname
"""


def reserve_ids(conn: Any, table: Any, count: int) -> np.ndarray:
    """``count`` new ids from ``table``'s sequence: safe beside other clients inserting."""
    if not count:
        return np.empty(0, dtype=np.int64)
    ids = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(t)s, 'id')) FROM generate_series(1, %(n)s)",
        {"t": table.name, "n": int(count)}).scalars().all()
    return np.asarray(ids, dtype=np.int64)


def sync_sequences(conn: Any) -> dict[str, int]:
    """Move every table's id sequence past its largest id: rows written with explicit ids
    (demo data, a restored dump, a copied store) leave the sequences where they were, and
    the next plain insert would collide. Returns the next id per table."""
    moved = {}
    for sequence, table, column in conn.exec_driver_sql(_OWNED_SEQUENCES).all():
        top = conn.exec_driver_sql(f"SELECT max({column}) FROM {table}").scalar()
        conn.exec_driver_sql("SELECT setval(%(s)s, %(v)s, %(called)s)",
                             {"s": sequence, "v": top if top else 1, "called": bool(top)})
        moved[table.strip('"')] = (top or 0) + 1
    return moved


# -- bulk writes -----------------------------------------------------------------------------


def analyze(conn: Any, tables: list[Any]) -> None:
    """Fresh planner statistics after a bulk load: until autovacuum gets to them (a minute or
    more) the planner guesses column statistics, and a set-based read of a million new
    orders can get a nested-loop plan that takes minutes instead of seconds."""
    for table in tables:
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')


class BulkWriter:
    """Rows of one INSERT go in through ``COPY … FROM STDIN`` (rows in storage form: ints,
    text, naive-UTC time text, None); other statements (UPDATEs) through executemany.

    ``fixed`` holds the values every row shares (defaults, time stamps, the batch id): COPY
    has no literals, so they are appended to each row.
    """

    def __init__(self, conn: Any, statement: Any, keys: list[str], table: Any = None,
                 fixed: dict[str, Any] | None = None) -> None:
        self.conn, self.keys = conn, keys
        self.copy_table = table if (table is not None and statement.is_insert) else None
        if self.copy_table is not None:
            self.fixed = tuple((fixed or {}).values())
            columns = ", ".join(f'"{name}"' for name in [*keys, *(fixed or {})])
            self.copy_sql = f'COPY "{table.name}" ({columns}) FROM STDIN'
            return
        compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
        self.sql = compiled.string
        self.positional = compiled.positional
        self.order = [keys.index(name) for name in (compiled.positiontup or [])] if self.positional else []

    def run(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.copy_table is not None:
            cursor = self.conn.connection.dbapi_connection.cursor()
            try:
                with cursor.copy(self.copy_sql) as copy:
                    fixed = self.fixed
                    for row in rows:
                        copy.write_row(row + fixed if fixed else row)
            finally:
                cursor.close()
            return
        if self.positional:
            self.conn.exec_driver_sql(self.sql, [tuple(row[i] for i in self.order) for row in rows])
        else:
            self.conn.exec_driver_sql(self.sql, [dict(zip(self.keys, row)) for row in rows])

    def close(self) -> None:
        pass


_INDEXES = """
SELECT i.relname, pg_get_indexdef(i.oid),
       array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.oid AND a.attnum > 0)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE t.relname = %(t)s AND n.nspname = current_schema() AND NOT x.indisunique AND NOT x.indisprimary
ORDER BY i.relname
"""


def secondary_indexes(conn: Any, table: Any, steady: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(name, CREATE statement)`` of ``table``'s non-unique indexes, except those on
    ``steady`` columns only. DDL is transactional here: a rollback brings them back."""
    found = conn.exec_driver_sql(_INDEXES, {"t": table.name}).all()
    return [(name, sql) for name, sql, columns in found if not set(columns) <= set(steady)]


def drop_index(conn: Any, name: str) -> None:
    conn.exec_driver_sql(f'DROP INDEX "{name}"')


@contextmanager
def cancellable(conn: Any, should_stop: Callable[[], bool]) -> Iterator[None]:
    """A cancel interrupts the running statement: a watcher thread asks ``should_stop`` a few
    times a second and sends the server a cancel request (the statement fails with
    QueryCanceled, and ``StatementCancelled`` is raised; the transaction then rolls back)."""
    dbapi = conn.connection.dbapi_connection
    done = threading.Event()
    stopped = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if should_stop():
                stopped.set()
                cancel = getattr(dbapi, "cancel_safe", None) or dbapi.cancel
                try:
                    cancel()
                except Exception:  # the server is gone: the statement fails by itself
                    pass
                return

    thread = threading.Thread(target=watch, name="statement-cancel", daemon=True)
    thread.start()
    try:
        yield
    except Exception as exc:
        if stopped.is_set():
            raise StatementCancelled() from exc
        raise
    finally:
        done.set()
        thread.join()
    if stopped.is_set():
        raise StatementCancelled()
