"""Database adapters: everything that differs between SQLite and PostgreSQL, one module each.

``sqlite.py`` and ``postgresql.py`` hold the connection set-up, the compiled SQL functions
(``utc_hour``, ``packed``, ``day_number``), the bulk-write path of the importer (multi-row
INSERT vs COPY, index drop/rebuild, id reservation), sequences after explicit ids, and the
migration lock. The rest of LiveDesk speaks portable SQLAlchemy and asks ``adapter_for``.
Both modules define the same functions; ``engine.py`` picks one by the URL's backend.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sqlalchemy.engine import URL, make_url

# The compiled functions are declared once here; each adapter registers its SQL for them.
from livedesk.models.adapters.functions import PACK_NULL, PACK_SEPARATOR, day_number, packed, utc_hour

__all__ = ["PACK_NULL", "PACK_SEPARATOR", "adapter_for", "backend_of", "day_number", "lost_connection", "packed",
           "utc_hour"]

SUPPORTED = ("sqlite", "postgresql")


def backend_of(url: str | URL) -> str:
    return make_url(url).get_backend_name()


def adapter_for(thing: Any) -> ModuleType:
    """The adapter module for a URL, an engine, a connection or a dialect."""
    if isinstance(thing, (str, URL)):
        name = backend_of(thing)
    else:
        dialect = getattr(thing, "dialect", thing)
        name = dialect.name
    if name == "sqlite":
        from livedesk.models.adapters import sqlite

        return sqlite
    if name == "postgresql":
        from livedesk.models.adapters import postgresql

        return postgresql
    raise ValueError(f"LiveDesk stores live in SQLite or PostgreSQL, not {name}")


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the store's server went away (restarting, unreachable, cut), so the
    unit of work that met it rolled back and can run again once the server is back."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        from livedesk.models.adapters import postgresql

        return postgresql.is_transient(exc)
    return False


# Both adapters' @compiles hooks must be registered before any statement is compiled.
from livedesk.models.adapters import postgresql as _postgresql  # noqa: E402,F401
from livedesk.models.adapters import sqlite as _sqlite  # noqa: E402,F401
