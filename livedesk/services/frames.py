"""Bulk reads into pandas: a Core ``select`` straight through the driver's cursor.

For the set-based services (segments, dashboard, follow-up rules) that read hundreds of
thousands of rows: SQLAlchemy's per-row result processing costs more than the query.
Values come as the driver gives them (timestamps as text on SQLite, as datetimes on
PostgreSQL); ``times`` columns are parsed by pandas in one go.

``read_columns`` goes further for the biggest reads: one numpy array per column, and on
SQLite each column crosses the driver as a single packed string (models.engine.packed),
not as a Python object per value.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.sql import Select

from livedesk.models.engine import PACK_NULL, PACK_SEPARATOR, can_pack, packed


def fetch_rows(conn: Connection, statement: Select) -> tuple[list[str], list[tuple[Any, ...]]]:
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled))
        names = [d[0] for d in cursor.description]
        return names, cursor.fetchall()
    finally:
        cursor.close()


def read_frame(conn: Connection, statement: Select, times: tuple[str, ...] = ()) -> pd.DataFrame:
    names, rows = fetch_rows(conn, statement)
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    for name in times:
        frame[name] = pd.to_datetime(frame[name], format="ISO8601")
    return frame


def read_columns(conn: Connection, statement: Select, ints: Collection[str] = ()) -> dict[str, np.ndarray]:
    """The statement's result as one numpy array per column, keyed by column name, every
    column in the same row order (not necessarily the statement's ORDER BY: sort if it
    matters). ``ints`` name integer columns that are never NULL (int64 arrays); every
    other column is an object array of the driver's values, None for NULL (on SQLite,
    through ``packed``: text, the storage form).

    A text value holding the pack separators (control characters) makes the packed read
    fall back to fetching rows; a value that is exactly ``PACK_NULL`` reads as None.
    """
    if can_pack(conn.dialect):
        packed_columns = _read_packed(conn, statement, ints)
        if packed_columns is not None:
            return packed_columns
    names, rows = fetch_rows(conn, statement)
    columns = list(zip(*rows)) if rows else [()] * len(names)
    return {name: np.fromiter(values, np.int64, len(values)) if name in ints else _objects(values)
            for name, values in zip(names, columns)}


def _read_packed(conn: Connection, statement: Select, ints: Collection[str]) -> dict[str, np.ndarray] | None:
    inner = statement.subquery()
    names = list(inner.c.keys())
    _names, [(count, *texts)] = fetch_rows(conn, select(func.count(), *(packed(inner.c[n]) for n in names)))
    out: dict[str, np.ndarray] = {}
    for name, text in zip(names, texts):
        if not count:
            out[name] = np.empty(0, np.int64 if name in ints else object)
        elif name in ints:
            out[name] = np.fromstring(text, dtype=np.int64, sep=PACK_SEPARATOR)
        else:
            values = np.array(text.split(PACK_SEPARATOR), dtype=object)
            values[values == PACK_NULL] = None
            out[name] = values
        if len(out[name]) != count:
            return None  # a separator inside a value: the rows must come one by one
    return out


def _objects(values: tuple[Any, ...]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
