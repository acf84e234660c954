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


@pytest.fixture
def store(tmp_path) -> Store:
    s = open_store(sqlite_url(tmp_path / "store.sqlite3"))
    yield s
    s.dispose()


@pytest.fixture
def ctx(store):
    """What a page is handed: the store, a worker, English words (the sources of the translations)."""
    from livedesk.ui.context import AppContext
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    yield AppContext(store, tasks, "en")
    tasks.shutdown()


def rewrite_xlsx(source, target, edit, extra=None):
    """Copy an XLSX (a zip) part by part, ``edit(name, data) -> data`` on each, adding ``extra``
    parts: workbooks as other tools write them (shared strings, stale dimensions, huge cells)."""
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            dst.writestr(info, edit(info.filename, src.read(info.filename)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target
