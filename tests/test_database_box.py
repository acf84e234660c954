"""设置 › 数据库: the store in use, a server address tested off the UI thread with the
failure in words, saved for the next start (and then used by the app and the CLI)."""

from __future__ import annotations

from livedesk.services import store_location
from livedesk.checks.pg_server import free_port
from livedesk.services.store import resolve_url
from livedesk.ui.settings_page import SettingsPage


def _tested(qtbot, box, url: str) -> str:
    box.url.setText(url)
    with qtbot.waitSignal(box.tested, timeout=15_000):
        box.test_button.click()
    qtbot.waitUntil(lambda: box.test_button.isEnabled())
    return box.feedback.text()


def test_the_section_names_the_store_in_use(qtbot, ctx):
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    words = page.database_box.current.text()
    if ctx.store.path is not None:
        assert str(ctx.store.path) in words
    else:
        assert str(ctx.store.engine.url.database) in words and "Team server" in words


def test_testing_a_connection_says_in_words_what_failed(qtbot, ctx, pg_server):
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.database_box
    assert "does not answer" in _tested(qtbot, box, f"postgresql://someone:pw@127.0.0.1:{free_port()}/livedesk")
    assert "no database" in _tested(qtbot, box, pg_server.url("no_such_database"))
    assert "not understood" in _tested(qtbot, box, "postgresql://:::not a url")
    assert "Only PostgreSQL" in _tested(qtbot, box, "mysql://u:p@host/db")
    assert _tested(qtbot, box, pg_server.url("postgres")).startswith("Connected (PostgreSQL 1")


def test_a_wrong_password_is_told_apart_from_an_unreachable_server():
    said = "connection failed: FATAL:  password authentication failed for user \"livedesk\""
    assert store_location.classify_error(Exception(said)) == "auth"
    assert store_location.classify_error(Exception('FATAL:  database "shop" does not exist')) == "no_database"
    assert store_location.classify_error(Exception("Connection refused\n\tIs the server running")) == "unreachable"


def test_a_saved_address_is_used_from_the_next_start(qtbot, ctx, monkeypatch):
    monkeypatch.delenv("LIVEDESK_DB", raising=False)
    monkeypatch.delenv("LIVEDESK_DATABASE_URL", raising=False)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.database_box
    box.url.setText("postgresql://shop:secret@192.0.2.1:5432/livedesk")
    box.save_button.click()
    assert "next start" in box.feedback.text()
    try:
        assert resolve_url() == "postgresql://shop:secret@192.0.2.1:5432/livedesk"
        assert resolve_url("/tmp/x.sqlite3").startswith("sqlite:///")  # --db still wins
    finally:
        box.url.setText("")
        box.save_button.click()
    assert resolve_url().startswith("sqlite:///")
