"""Shared fixtures: a fresh, migrated store per test; Qt always offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402

from livedesk.services.store import Store, open_store, sqlite_url  # noqa: E402


@pytest.fixture
def store(tmp_path) -> Store:
    s = open_store(sqlite_url(tmp_path / "store.sqlite3"))
    yield s
    s.dispose()
