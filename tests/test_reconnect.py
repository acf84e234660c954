"""A lost server: the window says 重新连接中…, what was being saved is kept and saved once the
server is back, and the window says nothing any more."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from livedesk.models import Note
from livedesk.services import customers


@pytest.mark.postgresql_only
def test_a_note_saved_while_the_server_is_down_is_saved_when_it_is_back(qtbot, ctx, pg_server):
    from livedesk.ui.main_window import MainWindow

    with ctx.store.write() as s:
        cid = customers.create(s, customers.NewCustomer(nickname="王姐"))
    window = MainWindow(ctx, remember_state=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.customers_page.loaded, timeout=20_000):
        window.show()
    qtbot.wait(200)  # the first rows painted and their card shown: what is on screen is read
    pg_server.stop(remove=False)  # the server is gone; every pooled connection is dead
    saved = []

    def save_note() -> int:
        with ctx.store.write() as s:
            return customers.add_note(s, cid, "下播后回访：想要无香型")

    with qtbot.waitSignal(ctx.tasks.connection_changed, timeout=30_000) as lost:
        ctx.tasks.submit(save_note, on_done=saved.append)
    assert lost.args == [False]
    qtbot.waitUntil(lambda: window.reconnecting.isVisible(), timeout=5_000)
    assert window.reconnecting.text() == "Reconnecting…" and saved == []
    threading.Thread(target=pg_server.start).start()  # back after a moment, like a restarted server
    qtbot.waitUntil(lambda: bool(saved), timeout=60_000)
    qtbot.waitUntil(lambda: not window.reconnecting.isVisible(), timeout=5_000)
    with ctx.store.read() as s:
        assert s.scalars(select(Note.body).where(Note.customer_id == cid)).all() == ["下播后回访：想要无香型"]


def test_a_job_that_fails_for_another_reason_fails_at_once(qtbot, ctx):
    errors = []

    def broken() -> None:
        raise ValueError("not a connection problem")

    ctx.tasks.submit(broken, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert isinstance(errors[0], ValueError) and ctx.tasks.connected


@pytest.mark.postgresql_only
def test_a_read_on_the_windows_thread_that_loses_the_server_waits_then_rereads_every_page(qtbot, ctx, pg_server,
                                                                                          monkeypatch):
    import sys

    from livedesk.ui.app import install_excepthook
    from livedesk.ui.main_window import MainWindow

    window = MainWindow(ctx, remember_state=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.customers_page.loaded, timeout=20_000):
        window.show()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    hook = install_excepthook()
    hook.on_lost_connection = window.read_lost
    refreshed = []
    ctx.changes.changed.connect(refreshed.append)
    pg_server.stop(remove=False)
    with pytest.raises(Exception) as failed:  # what a page's refresh meets on the window's thread
        ctx.store.ping()
    try:
        hook(type(failed.value), failed.value, failed.value.__traceback__)
        assert window.reconnecting.isVisible() and window.findChildren(QMessageBox) == []  # no error box
    finally:
        threading.Thread(target=pg_server.start).start()
    qtbot.waitUntil(lambda: bool(refreshed), timeout=60_000)
    qtbot.waitUntil(lambda: not window.reconnecting.isVisible(), timeout=5_000)
    assert refreshed[-1].touches("customers") and refreshed[-1].touches("followup_tasks")
