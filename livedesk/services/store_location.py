"""Which store this machine uses when nothing on the command line says: the saved choice.

设置 › 数据库 saves a server URL here (a small JSON file in the user's config folder, private
to the user: it may hold a password); the app and the CLI read it at start, so a change
takes effect on the next start. ``test_connection`` tries a URL and says in a code what
failed, for the settings page to word.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

FILE_NAME = "store.json"
TEST_TIMEOUT_S = 5


def config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("LiveDesk", appauthor=False)) / FILE_NAME


def saved_url() -> str | None:
    """The server URL saved in 设置, or None (the default SQLite file)."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("database_url") if isinstance(data, dict) else None
    return url or None


def save_url(url: str | None) -> None:
    """Remember ``url`` for the next start (None: back to the default SQLite file)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"database_url": url or None}, fh)
    os.replace(temp, path)


def display_url(url: str) -> str:
    """The URL with its password hidden, for screens and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    # ok | bad_url | unsupported | driver_missing | unreachable | auth | no_database | other
    code: str
    detail: str = ""  # the driver's own words, for the log and the "details" line
    server_version: str = ""
    schema: str | None = None  # the LiveDesk schema revision there, None for an empty database


def classify_error(exc: BaseException) -> str:
    """A driver error as a code the settings page words (wrong password, unreachable, …)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "authentication failed" in text or "no password supplied" in text or (
            "role" in text and "does not exist" in text):
        return "auth"
    if "database" in text and "does not exist" in text:
        return "no_database"
    if any(s in text for s in ("connection refused", "could not translate host", "timeout", "no route to host",
                               "name or service not known", "network is unreachable", "could not connect",
                               "nodename nor servname", "starting up", "shutting down")):
        return "unreachable"
    return "other"


def test_connection(url: str) -> ConnectionCheck:
    """Try ``url`` once (a few seconds at most); never raises. Runs off the UI thread."""
    try:
        parsed = make_url(url.strip())
    except Exception as exc:
        return ConnectionCheck(False, "bad_url", str(exc))
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        return ConnectionCheck(False, "unsupported", parsed.get_backend_name())
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from livedesk.models.adapters import adapter_for

    adapter = adapter_for(parsed)
    # One connection, kept nowhere, and no waiting for a restarting server: an answer now.
    options = {**adapter.engine_options(parsed), "poolclass": NullPool}
    if parsed.get_backend_name() == "postgresql":
        options["connect_args"] = {**options["connect_args"], "connect_timeout": TEST_TIMEOUT_S}
    try:
        engine = create_engine(adapter.normalize_url(parsed), **options)
    except ModuleNotFoundError as exc:
        return ConnectionCheck(False, "driver_missing", str(exc))
    except Exception as exc:
        return ConnectionCheck(False, "bad_url", str(exc))
    try:
        with engine.connect() as conn:
            report = adapter.settings_report(conn)
            schema = None
            if conn.dialect.has_table(conn, "alembic_version"):
                schema = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        return ConnectionCheck(True, "ok", "", str(report.get("server_version", "")), schema)
    except Exception as exc:
        return ConnectionCheck(False, classify_error(exc), str(getattr(exc, "orig", None) or exc).strip())
    finally:
        engine.dispose()
