"""Engine construction: the URL's adapter (models/adapters) sets the connection up.

Everything else speaks portable SQLAlchemy so a team can point LiveDesk at PostgreSQL;
what differs between SQLite and PostgreSQL lives in ``livedesk.models.adapters``. The write
discipline (``WritePolicy``, ``write_engine``, ``StoreBusy``, ``serialize``) lives in
``livedesk.models.writes`` and is importable from here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models.adapters import PACK_NULL, PACK_SEPARATOR, adapter_for, packed, utc_hour
from livedesk.models.writes import WRITE_OPTION, StoreBusy, WritePolicy, serialize, write_engine

__all__ = ["PACK_NULL", "PACK_SEPARATOR", "WRITE_OPTION", "StoreBusy", "WritePolicy", "can_pack", "is_sqlite", "make_engine", "make_session_factory",
           "normalize_url", "packed", "serialize", "utc_hour", "write_engine"]


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalize_url(url: str | URL) -> URL:
    """The URL as LiveDesk connects to it (``postgresql://`` means psycopg 3)."""
    return make_url(adapter_for(url).normalize_url(url))


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    adapter = adapter_for(url)
    engine = create_engine(adapter.normalize_url(url), **{**adapter.engine_options(url), **kwargs})
    adapter.configure(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services hand plain values out after the unit of work ends.
    return sessionmaker(engine, expire_on_commit=False)


def can_pack(dialect: Any) -> bool:
    """Whether ``packed`` reads are used here. Elsewhere services fetch rows as usual."""
    return adapter_for(dialect).CAN_PACK
