"""Shared fixtures: a fresh, migrated store per test; Qt always offscreen."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# Keep tests away from the user's real settings and data folder (QSettings and platformdirs).
_HOME = tempfile.mkdtemp(prefix="livedesk-tests-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")

import pytest  # noqa: E402

from livedesk.services.store import Store, open_store, sqlite_url  # noqa: E402

# Every test that takes ``store`` (or ``ctx``) runs on both stores, ids ``[sqlite]`` and
# ``[postgresql]``. LIVEDESK_TEST_BACKENDS=sqlite limits a run to one while working; the
# README's command and CI run both. A test about one database alone says so with a marker.
BACKENDS = [b.strip() for b in os.environ.get("LIVEDESK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself; not run on PostgreSQL")
    config.addinivalue_line("markers", "postgresql_only: about the server store; not run on SQLite")


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if (backend == "postgresql" and item.get_closest_marker("sqlite_only")) or (
                backend == "sqlite" and item.get_closest_marker("postgresql_only")):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the whole run (initdb in a temp folder)."""
    from livedesk.services.pg_server import ThrowawayServer

    server = ThrowawayServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A migrated database that every test's database is copied from (faster than migrating)."""
    pg_server.execute("CREATE DATABASE livedesk_template")
    open_store(pg_server.url("livedesk_template")).dispose()
    return "livedesk_template"


_pg_databases = iter(range(1, 1_000_000))
# A test's databases are dropped a few tests later: a page's worker or timer that outlives its
# test (as a file in tmp_path outlives it on SQLite) must not fail in the next test's setup.
_pg_to_drop: list[str] = []
_PG_KEPT = 4


def _pg_database(server, template: str | None) -> str:
    name = f"test_{next(_pg_databases)}"
    server.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""))
    _pg_to_drop.append(name)
    while len(_pg_to_drop) > _PG_KEPT * 2:
        server.execute(f"DROP DATABASE IF EXISTS {_pg_to_drop.pop(0)} WITH (FORCE)")
    return name


@pytest.fixture
def pg_url(pg_server, pg_template):
    """A fresh, migrated, empty PostgreSQL database for one test."""
    return pg_server.url(_pg_database(pg_server, pg_template))


@pytest.fixture
def new_store_url(backend, request, tmp_path):
    """Another store, on the test's backend unless ``kind`` says: ``new_store_url("twin")``."""
    def make(name: str, migrated: bool = True, kind: str | None = None) -> str:
        if (kind or backend) == "postgresql":
            server = request.getfixturevalue("pg_server")
            template = request.getfixturevalue("pg_template") if migrated else None
            return server.url(_pg_database(server, template))
        path = tmp_path / f"{name}.sqlite3"
        if migrated:
            open_store(sqlite_url(path)).dispose()
        return sqlite_url(path)

    return make


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, request, tmp_path) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return sqlite_url(tmp_path / "store.sqlite3")


@pytest.fixture
def store(store_url) -> Store:
    s = open_store(store_url)
    yield s
    s.dispose()


def db_args(store_or_url) -> list[str]:
    """The CLI's arguments that name this store: ``--db PATH`` or ``--db-url URL``."""
    url = getattr(store_or_url, "url", store_or_url)
    if str(url).startswith("sqlite"):
        return ["--db", str(url).split("sqlite:///", 1)[1]]
    return ["--db-url", str(url)]


@pytest.fixture
def ctx(store):
    """What a page is handed: the store, a worker, English words (the sources of the translations)."""
    from livedesk.ui.context import AppContext
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    yield AppContext(store, tasks, "en")
    tasks.shutdown()
