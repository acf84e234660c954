"""The main window: navigation, unfinished pages that say so, the host panel with masked data."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QLabel

from livedesk.models import Customer
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.main_window import MainWindow
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def window(qtbot, store):
    tasks = TaskRunner()
    win = MainWindow(AppContext(store=store, tasks=tasks, language="en"))
    qtbot.addWidget(win)
    yield win
    if win.host_panel is not None:
        win.host_panel.close()
        win.host_panel.deleteLater()
    tasks.shutdown()


def test_navigation_has_the_eight_pages_and_switches_between_them(window):
    assert window.nav.count() == 8
    window.nav.setCurrentRow(4)
    assert window.pages.currentIndex() == 4
    window.show_page("backups")
    assert window.pages.currentWidget() is window.backups_page


def test_pushing_a_customer_shows_a_masked_card_on_the_host_panel(window, store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐", real_name="王丽华", phone="13812345678",
                                              birthday=date(1985, 3, 1)))
        s.get(Customer, cid).level = "gold"
    window.push_to_panel(cid)
    panel = window.host_panel
    assert panel is not None and panel.isVisible()
    shown = " ".join(label.text() for label in panel.findChildren(QLabel))
    assert "王姐" in shown and "Gold Diamond member" in shown
    assert "138****5678" in shown and "王**" in shown
    assert "13812345678" not in shown and "王丽华" not in shown


def test_host_panel_always_on_top_can_be_toggled(window):
    from PySide6.QtCore import Qt

    panel = window.open_host_panel()
    panel.set_always_on_top(True)
    assert panel.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    panel.set_always_on_top(False)
    assert not panel.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_the_host_panel_queue_shows_known_customers_only(window, store):
    from livedesk.ui.feed_controller import Arrival

    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
    from livedesk.services.feeds.matching import KnownCustomer

    known = KnownCustomer(cid, "王姐", "vip", "gold", True)
    window.feeds.arrivals.add([
        Arrival(known, "uid", "douyin", "u1", None, "王姐", "viewer_entered", None, 2.0),
        Arrival(known, "possible", "douyin", "u2", None, "王姐", "comment", "hi", 3.0),
        Arrival(None, None, "douyin", "u3", None, "路人", "comment", "hi", 4.0),
    ])
    panel = window.open_host_panel()
    assert panel.queue.model().rowCount() == 1
    shown = []
    panel.bring_up.connect(shown.append)
    panel.bring_up_row(0)
    assert shown == [cid]


def test_a_recent_upgrade_is_said_on_the_panel(window, store):
    from datetime import datetime, timedelta, timezone

    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        c = s.get(Customer, cid)
        c.level, c.level_since = "gold", datetime.now(timezone.utc) - timedelta(days=3, hours=1)
    window.push_to_panel(cid)
    shown = " ".join(label.text() for label in window.host_panel.findChildren(QLabel))
    assert "Became Gold Diamond member 3 days ago" in shown


def test_closing_during_an_import_asks_first_and_a_no_keeps_the_window(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(window.import_page, "running", lambda: True)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No)
    window.show()
    assert window.close() is False and window.isVisible() and len(asked) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.close() is True


def test_an_upgrade_today_says_today_not_zero_days_ago(window, store):
    from datetime import datetime, timedelta, timezone

    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="小鹿"))
        c = s.get(Customer, cid)
        c.level, c.level_since = "silver", datetime.now(timezone.utc) - timedelta(hours=2)
    window.push_to_panel(cid)
    shown = " ".join(label.text() for label in window.host_panel.findChildren(QLabel))
    assert "Became Silver Diamond member today" in shown and "0 day" not in shown


def test_a_write_after_the_window_is_gone_reaches_no_deleted_page(qtbot, ctx):
    from shiboken6 import Shiboken

    from livedesk.services import changes

    window = MainWindow(ctx, remember_state=False)
    dashboard = window.dashboard_page
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: not Shiboken.isValid(dashboard), timeout=5_000)
    ctx.changes.changed.emit(changes.everything())  # raised RuntimeError from a lambda on a deleted page
    with ctx.store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="窗口关了以后"))
    qtbot.wait(50)  # the queued change set is delivered: nothing is left to refresh
