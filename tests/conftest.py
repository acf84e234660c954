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


@pytest.fixture
def ui_language(qapp):
    """``ui_language("zh_CN")`` shows the UI's words in that language for one test; undone after."""
    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

    from livedesk.ui.i18n import install_translators

    before = QLocale()
    yield lambda language: install_translators(qapp, language)
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.deleteLater()
    QLocale.setDefault(before)
