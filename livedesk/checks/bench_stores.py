"""Where benchmarks keep their stores: SQLite files in the cache folder, or databases on the
server of ``--db-url`` (``livedesk bench NAME --db-url postgresql://…``).

On a server a benchmark gets databases of its own next to the one in the URL (the URL's
user needs the CREATEDB right); the team's database itself is never touched.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from livedesk.services.store import open_store, sqlite_url


def server_url(args: argparse.Namespace) -> str | None:
    return getattr(args, "db_url", None) or None


def _admin(url: str):
    import psycopg

    from livedesk.models.engine import normalize_url

    parsed = normalize_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True)


def database_url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(url: str, name: str, *, replace: bool = True) -> str:
    """A new empty database ``name`` on the server of ``url``; its URL."""
    with _admin(url) as conn:
        if replace:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(url, name)


def drop_database(url: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(url: str, name: str) -> bool:
    with _admin(url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@contextmanager
def scratch_store_url(args: argparse.Namespace, folder: Path, name: str) -> Iterator[str]:
    """An empty store for one run: a file in ``folder``, or a database dropped afterwards."""
    url = server_url(args)
    if url is None:
        yield sqlite_url(folder / f"{name}.sqlite3")
        return
    database = f"livedesk_bench_{name}_{os.getpid()}"
    scratch = create_database(url, database)
    try:
        yield scratch
    finally:
        drop_database(url, database)


def cached_demo_url(args: argparse.Namespace, customers: int, seed: int = 7) -> str:
    """A demo store of ``customers`` built once and reused: a cached file, or a database on the
    server (``livedesk_bench_demo_N_sS``, rebuilt when it does not hold exactly that demo)."""
    from livedesk.checks.bench_startup import cached_demo_store

    url = server_url(args)
    if url is None:
        return sqlite_url(cached_demo_store(args, customers, seed))
    from sqlalchemy import func, select

    from livedesk.models import Customer
    from livedesk.services import demo

    name = f"livedesk_bench_demo_{customers}_s{seed}"
    target = database_url(url, name)
    if database_exists(url, name):
        store = open_store(target)
        try:
            with store.read() as s:
                if s.scalar(select(func.count()).select_from(Customer)) == customers:
                    return target
        finally:
            store.dispose()
    target = create_database(url, name)
    store = open_store(target)
    try:
        demo.generate(store, customers=customers, seed=seed)
    finally:
        store.dispose()
    return target


def store_args(url: str) -> list[str]:
    """The app's command-line arguments that open ``url``."""
    if url.startswith("sqlite:///"):
        return ["--db", url.removeprefix("sqlite:///")]
    return ["--db-url", url]
