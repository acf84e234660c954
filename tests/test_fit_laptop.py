"""Every page fits a 1366×768 laptop in both languages: from a fresh start and after every
page has been opened (看板 once asked for 1104×978 in Chinese and 1598×958 in English)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from livedesk.services import demo
from livedesk.services.store import open_store, sqlite_url
from livedesk.ui.context import AppContext
from livedesk.ui.main_window import MainWindow
from livedesk.ui.tasks import TaskRunner

# What a maximised window gets on a 1366×768 screen: the title bar and a taskbar take ~80 px.
AVAILABLE = (1366 - 16, 768 - 80)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = open_store(sqlite_url(tmp_path_factory.mktemp("fit") / "demo.sqlite3"))
    demo.generate(store, customers=200, seed=5)
    yield store
    store.dispose()


def fits(size) -> bool:
    return size.width() <= AVAILABLE[0] and size.height() <= AVAILABLE[1]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_page_fits_a_laptop_screen_before_and_after_visiting_all_pages(qtbot, demo_store, ui_language,
                                                                              language):
    ui_language(language)
    tasks = TaskRunner()
    window = MainWindow(AppContext(demo_store, tasks, language), remember_state=False)
    qtbot.addWidget(window)
    window.resize(*AVAILABLE)
    window.show()
    try:
        assert fits(window.minimumSizeHint()), window.minimumSizeHint()
        for row in range(window.nav.count()):
            window.nav.setCurrentRow(row)
            page = window.pages.currentWidget()
            if hasattr(page, "painted"):  # 看板: wait for every chart, the widest state
                with qtbot.waitSignal(page.painted, timeout=20_000):
                    pass
            QApplication.processEvents()
            assert fits(page.minimumSizeHint()), (row, page.minimumSizeHint())
        assert fits(window.minimumSizeHint()), window.minimumSizeHint()
        assert window.width() <= AVAILABLE[0] and window.height() <= AVAILABLE[1]
    finally:
        tasks.shutdown()
