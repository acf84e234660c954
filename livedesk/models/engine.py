"""Engine construction, and the one place that knows SQLite's quirks (the SQLite adapter).

Everything else speaks portable SQLAlchemy so a team can point LiveDesk at PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, String, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import FunctionElement


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling commits before DDL, so a failed
        # migration would leave half a schema; take over BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
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
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    engine = create_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
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
