"""The 备份 page, the recovery screen and the automatic backups, as a person meets them."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QPushButton

from livedesk.services import backups, customers, sqlite_files
from livedesk.services.store import quick_check
from livedesk.ui.backup_scheduler import BackupScheduler
from livedesk.ui.backups_page import BackupsPage
from livedesk.ui.recovery_window import RecoveryWindow

import pytest

# Files, processes and locks of the SQLite store itself: PostgreSQL has its own tests
# (test_server_store.py, test_reconnect.py).
pytestmark = pytest.mark.sqlite_only


def add_customer(store, nickname: str, city: str | None = None) -> int:
    with store.write() as s:
        return customers.create(s, customers.NewCustomer(nickname=nickname, city=city))


def nicknames(path) -> list[str]:
    with sqlite_files.opened_ro(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT nickname FROM customers"))


def open_page(qtbot, ctx) -> BackupsPage:
    page = BackupsPage(ctx)
    qtbot.addWidget(page)
    return page


def test_the_page_lists_backups_with_when_why_size_and_verified(qtbot, ctx):
    add_customer(ctx.store, "王姐")
    backups.make_backup(ctx.store.path, "before-merge")
    page = open_page(qtbot, ctx)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    when, why, size, checked, holds = page.model.rows[0]
    assert why == "Before merging customers" and checked == "Verified"
    assert size.endswith("KB") or size.endswith("MB")
    assert holds == "1 customers, 0 orders"


def test_back_up_now_adds_a_verified_backup(qtbot, ctx):
    page = open_page(qtbot, ctx)
    page.back_up_now()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    assert backups.list_backups(ctx.store.path)[0].verified
    assert "Backed up and verified" in page.status.text()


def test_restoring_shows_what_the_backup_holds_then_restores_after_confirmation(qtbot, ctx):
    add_customer(ctx.store, "备份前")
    backups.make_backup(ctx.store.path, "manual")
    add_customer(ctx.store, "备份后")
    page = open_page(qtbot, ctx)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.table.selectRow(0)
    assert "1 customers" in page.preview.text()
    page.restore_selected()
    qtbot.waitUntil(lambda: hasattr(page, "confirm_box") and page.confirm_box.isVisible(), timeout=10_000)
    assert "It holds 1 customers · 0 orders" in page.confirm_box.text()
    assert nicknames(ctx.store.path) == ["备份前", "备份后"]  # nothing happens before the answer
    with qtbot.waitSignal(page.restore_done, timeout=20_000) as restored:
        page.confirm_box.done(QMessageBox.StandardButton.Yes)
    assert nicknames(ctx.store.path) == ["备份前"]
    assert nicknames(Path(restored.args[0])) == ["备份前", "备份后"]  # the replaced store, kept


def test_a_backup_from_a_newer_livedesk_is_refused_in_words_and_nothing_changes(qtbot, ctx):
    add_customer(ctx.store, "留下")
    info = backups.make_backup(ctx.store.path, "manual")
    conn = sqlite3.connect(info.path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    page = open_page(qtbot, ctx)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.table.selectRow(0)
    page.restore_selected()
    qtbot.waitUntil(lambda: "newer LiveDesk" in page.status.text(), timeout=10_000)
    assert "left unchanged" in page.status.text()
    assert nicknames(ctx.store.path) == ["留下"]


def damage(path) -> None:
    pages = path.stat().st_size // 4096
    with path.open("r+b") as fh:
        for page in (pages * 3 // 4, pages - 3):
            fh.seek(page * 4096 + 100)
            fh.write(os.urandom(900))


def damaged_store_with_a_backup(store):
    with store.write() as s:
        for i in range(300):
            customers.create(s, customers.NewCustomer(nickname=f"客户{i}", city="杭州市" * 20))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    backups.make_backup(store.path, "manual")
    store.dispose()
    damage(store.path)
    assert quick_check(store.path)


def test_the_recovery_screen_offers_the_newest_verified_backup_and_restores_it(qtbot, ctx):
    damaged_store_with_a_backup(ctx.store)
    window = RecoveryWindow(ctx.store.path, ctx.tasks)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.restore_button.isEnabled)
    assert "300 customers" in window.backup_label.text()
    with qtbot.waitSignal(window.accepted, timeout=20_000):
        window.restore_button.click()
    assert quick_check(ctx.store.path) == []
    assert len(nicknames(ctx.store.path)) == 300


def test_the_recovery_screen_recovers_what_can_be_read_into_a_new_file(qtbot, ctx):
    damaged_store_with_a_backup(ctx.store)
    before = ctx.store.path.read_bytes()
    window = RecoveryWindow(ctx.store.path, ctx.tasks)
    qtbot.addWidget(window)
    window.recover_button.click()
    qtbot.waitUntil(lambda: not window.use_recovered.isHidden(), timeout=20_000)
    assert window.recovered.exists() and "customers" in window.recover_label.text()
    assert ctx.store.path.read_bytes() == before  # the damaged store is kept as it was
    buttons = " ".join(b.text() for b in window.findChildren(QPushButton)).lower()
    assert "clear" not in buttons and "delete" not in buttons  # never "clear all data"


def test_the_check_at_the_door_reports_a_damaged_store_and_writes_nothing(qtbot, ctx):
    damaged_store_with_a_backup(ctx.store)
    folder = backups.backups_folder(ctx.store.path)
    listed = sorted(folder.iterdir())
    scheduler = BackupScheduler(ctx.store, ctx.tasks)
    with qtbot.waitSignal(scheduler.damaged, timeout=20_000):
        scheduler.start()
    assert scheduler.found_damage and not scheduler.timer.isActive()
    scheduler.backup_if_changed()
    qtbot.wait(300)
    assert sorted(folder.iterdir()) == listed  # no backup of a damaged store


def test_a_sound_store_gets_its_daily_backup_then_one_only_after_a_change(qtbot, ctx):
    scheduler = BackupScheduler(ctx.store, ctx.tasks)
    with qtbot.waitSignal(scheduler.made, timeout=20_000):
        scheduler.start()
    assert scheduler.timer.isActive() and scheduler.timer.interval() == 30 * 60 * 1000
    assert [b.reason for b in backups.list_backups(ctx.store.path)] == ["daily"]
    scheduler.backup_if_changed()  # nothing changed: nothing made
    qtbot.wait(500)
    assert len(backups.list_backups(ctx.store.path)) == 1
    add_customer(ctx.store, "新客")
    with qtbot.waitSignal(scheduler.made, timeout=20_000):
        scheduler.backup_if_changed()
    assert [b.reason for b in backups.list_backups(ctx.store.path)] == ["auto", "daily"]

