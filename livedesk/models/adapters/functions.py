"""SQL functions whose text differs by database; each adapter module compiles them.

Services use these elements in ``select()``s like any SQL function; the adapters' ``@compiles``
hooks turn them into SQLite's or PostgreSQL's own SQL.
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.sql.expression import FunctionElement

PACK_SEPARATOR = "\x1f"  # ASCII unit separator: never inside a code, a number or a timestamp
PACK_NULL = "\x1e"  # stands for NULL inside a packed column (group_concat would skip it)


class utc_hour(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it stands for
    """``'YYYY-MM-DD HH'`` of a UTC timestamp column: few distinct values, cheap to parse in bulk."""

    type = String()
    inherit_cache = True


class packed(FunctionElement[str]):  # noqa: N801 - reads as the SQL aggregate it stands for
    """Aggregate: every value of a column in one string, ``PACK_SEPARATOR`` between values,
    NULL as ``PACK_NULL``. Read through the Python driver, a million rows cost a million
    Python objects per column; a packed column is one string that numpy splits at C speed.

    Several ``packed`` columns of one SELECT take their rows in the same order (the database
    feeds every aggregate of a query from the same pass), so they line up value for value.
    Values come as text in the SQLite storage form (timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]').
    """

    type = String()
    inherit_cache = True


class day_number(FunctionElement[float]):  # noqa: N801
    """A timestamp as a number of days (fractional), so SQL can add a number of days to it."""

    type = Float()
    inherit_cache = True
