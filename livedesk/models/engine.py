"""Engine construction, and the one place that knows SQLite's quirks (the SQLite adapter).

Everything else speaks portable SQLAlchemy so a team can point LiveDesk at PostgreSQL.

Units of work come in two kinds. A reading unit begins a plain (deferred) transaction. A
writing unit is opened on ``write_engine(engine)`` and, on SQLite, begins with
``BEGIN IMMEDIATE``: it takes the write lock before it reads anything, so it can never
find itself unable to upgrade a read snapshot ("database is locked" at once, which
``busy_timeout`` does not cover). While another connection holds the lock it waits its turn
in short slices, telling ``WritePolicy.on_wait`` how long it has waited, up to
``WritePolicy.limit_s``; then it gives up with ``StoreBusy``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import FunctionElement

from livedesk.models import sqlcipher


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


WRITE_OPTION = "livedesk_write"  # execution option carrying a WritePolicy: this connection writes
BUSY_TIMEOUT_MS = 10_000  # readers and commits: WAL makes waits rare and short
WAIT_SLICE_MS = 200  # a waiting writer reports this often


class StoreBusy(Exception):
    """Another program held the store's write lock for longer than a writer may wait."""

    code = "locked"  # store_problems.LOCKED: worded like any other lock

    def __init__(self, waited_s: float) -> None:
        super().__init__(f"the store stayed busy with another program's writing for {waited_s:.0f} s")
        self.waited_s = waited_s


@dataclass
class WritePolicy:
    """How long a writing unit waits for the write lock, and who hears about the wait.

    ``on_wait(seconds)`` is called from the waiting thread about every 200 ms; the app shows
    "waiting for another writer…", the CLI prints it once.
    """

    limit_s: float = field(default_factory=lambda: float(os.environ.get("LIVEDESK_WRITE_WAIT_S", "120")))
    on_wait: Callable[[float], None] | None = field(default=None)


def write_engine(engine: Engine, policy: WritePolicy) -> Engine:
    """The same engine and pool, with connections that begin as writers."""
    return engine.execution_options(**{WRITE_OPTION: policy})


def _begin_immediate(dbapi_connection: Any, policy: WritePolicy) -> None:
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


def _configure_sqlite(engine: Engine, key: str | None = None) -> None:
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
        policy = connection.get_execution_options().get(WRITE_OPTION)
        if policy is None:
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(connection.connection.dbapi_connection, policy)


def serialize(session: Session, name: str) -> None:
    """Make writing units that run ``name`` take turns, for work that reads what it then writes
    (follow-up generation checks which tasks exist, then adds the rest).

    SQLite has one writer at a time already (BEGIN IMMEDIATE); PostgreSQL takes a transaction
    advisory lock, released at commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """The engine for ``url``. An encrypted SQLite file is opened through SQLCipher with the key
    ``sqlcipher.AGENT`` knows for it (``sqlcipher.CipherError`` when it knows none that fits)."""
    key = None
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            key = sqlcipher.AGENT.key_for(Path(database))
        if key is not None:
            kwargs["module"] = sqlcipher.sqlcipher
    engine = create_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine, key)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services hand plain values out after the unit of work ends.
    return sessionmaker(engine, expire_on_commit=False)


class utc_hour(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it stands for
    """``'YYYY-MM-DD HH'`` of a UTC timestamp column: few distinct values, cheap to parse in bulk.

    The dialect-specific text formatting lives here, next to the rest of the adapter.
    """

    type = String()
    inherit_cache = True


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler, **kw) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' naive UTC text: the prefix is the hour.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element: utc_hour, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24')"


# -- bulk reads: one string per column ---------------------------------------------------------

PACK_SEPARATOR = "\x1f"  # ASCII unit separator: never inside a code, a number or a timestamp
PACK_NULL = "\x1e"  # stands for NULL inside a packed column (group_concat would skip it)


def can_pack(dialect: Any) -> bool:
    """Whether ``packed`` compiles here. Elsewhere services fetch rows as usual."""
    return dialect.name == "sqlite"


class packed(FunctionElement[str]):  # noqa: N801 - reads as the SQL aggregate it stands for
    """Aggregate: every value of a column in one string, ``PACK_SEPARATOR`` between values,
    NULL as ``PACK_NULL``. Read through the Python driver, a million rows cost a million
    Python objects per column; a packed column is one string that numpy splits at C speed.

    Several ``packed`` columns of one SELECT take their rows in the same order (SQLite feeds
    every aggregate of a query from the same pass), so they line up value for value.
    """

    type = String()
    inherit_cache = True


@compiles(packed, "sqlite")
def _packed_sqlite(element: packed, compiler, **kw) -> str:
    # Literal separators: char(30) would be a function call per row.
    value = compiler.process(element.clauses, **kw)
    return f"group_concat(ifnull({value}, '{PACK_NULL}'), '{PACK_SEPARATOR}')"
