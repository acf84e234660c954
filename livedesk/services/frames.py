"""Bulk reads into pandas: a Core ``select`` straight through the driver's cursor.

For the set-based services (segments, dashboard, follow-up rules) that read hundreds of
thousands of rows: SQLAlchemy's per-row result processing costs more than the query.
Values come as the driver gives them (timestamps as text on SQLite, as datetimes on
PostgreSQL); ``times`` columns are parsed by pandas in one go.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy.sql import Select


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
