"""The customer page's privacy box: consent shown and edited, the access export, and erasure
(owner only, a confirmation naming the customer and what goes, then the backups still holding them)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from livedesk.models import Customer
from livedesk.services import customers, team
from livedesk.services.backups import make_backup
from livedesk.ui.context import AppContext
from livedesk.ui.customers_page import CustomersPage
from livedesk.ui.privacy_box import BackupsDialog, ConsentDialog, EraseDialog
from livedesk.ui.tasks import TaskRunner
from helpers import PERSON


def _page(qtbot, store, role="owner"):
    if role != "owner":  # a team with an owner, and this laptop signed in as someone else
        with store.write() as s:
            team.add_member(s, "老板", "owner")
            member = team.add_member(s, "小周", role)
        with store.read() as s:
            store.actor = team.sign_in(s, member)
    tasks = TaskRunner()
    page = CustomersPage(AppContext(store=store, tasks=tasks, language="en"))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 2, timeout=5000)
    return page, tasks


@pytest.fixture
def shown(qtbot, store, person):
    pid, _other = person
    page, tasks = _page(qtbot, store)
    page.detail.show_customer(pid)
    yield page, pid
    tasks.shutdown()


def test_consent_is_shown_and_edited_on_the_customer_page(qtbot, shown, store):
    page, pid = shown
    box = page.detail.privacy
    assert box.consent_label.text() == "No consent recorded"
    box.consent_button.click()
    dialog = box.dialog
    assert isinstance(dialog, ConsentDialog) and not dialog.channel.isEnabled()
    dialog.given.setChecked(True)
    dialog.channel.setCurrentIndex(dialog.channel.findData("phone"))
    dialog.note.setText("电话里口头同意")
    dialog.accept()
    qtbot.waitUntil(lambda: "Phone call" in box.consent_label.text())
    assert "电话里口头同意" in box.consent_label.text()
    with store.write() as s:
        consent = customers.card(s, pid).consent
    assert (consent.channel, consent.note) == ("phone", "电话里口头同意") and consent.at is not None


def test_the_access_export_is_written_from_the_customer_page(qtbot, shown, tmp_path):
    page, pid = shown
    box = page.detail.privacy
    box.export_to(str(tmp_path / "person.json"))
    qtbot.waitUntil(lambda: "person.json" in box.message.text(), timeout=5000)
    assert json.loads((tmp_path / "person.json").read_text(encoding="utf-8"))["customer_id"] == pid
    box.export_to(str(tmp_path / "person.txt"))
    qtbot.waitUntil(lambda: ".xlsx or .json" in box.message.text(), timeout=5000)


@pytest.mark.sqlite_only
def test_erasing_from_the_page_confirms_by_name_then_offers_to_delete_old_backups(qtbot, shown, store):
    page, pid = shown
    old = make_backup(store.path, reason="manual").path
    box = page.detail.privacy
    erased = []
    page.erased.connect(erased.append)
    assert box.erase_button.isVisible() or box.erase_button.isVisibleTo(page)
    box.erase_button.click()
    qtbot.waitUntil(lambda: isinstance(box.dialog, EraseDialog), timeout=5000)
    dialog = box.dialog
    assert PERSON["nickname"] in dialog.summary and "Notes: 1" in dialog.summary
    assert "2 orders stay" in dialog.summary
    assert not dialog.erase_button.isEnabled()  # not before "cannot be undone" is ticked
    dialog.understood.setChecked(True)
    dialog.erase_button.click()
    qtbot.waitUntil(lambda: erased == [pid], timeout=10000)
    with store.write() as s:
        assert s.get(Customer, pid) is None
    qtbot.waitUntil(lambda: pid not in [page.model.id_at(r) for r in range(page.model.rowCount())])
    assert page.detail.customer_id != pid and PERSON["nickname"] not in page.detail.title.text()
    assert f"Customer {pid} was erased" in page.notice.text()
    qtbot.waitUntil(lambda: isinstance(box.dialog, BackupsDialog), timeout=5000)
    box.dialog.delete_button.click()
    qtbot.waitUntil(lambda: not old.exists(), timeout=5000)


def test_a_team_member_who_is_not_the_owner_sees_no_erase_button_and_the_service_refuses(qtbot, store, person):
    pid, _other = person
    page, tasks = _page(qtbot, store, role="assistant")
    try:
        page.detail.show_customer(pid)
        box = page.detail.privacy
        assert not box.erase_button.isVisibleTo(page)
        box.erase_now(pid)  # as if the button were reached another way
        qtbot.waitUntil(lambda: "Only the shop owner" in box.message.text(), timeout=5000)
        with store.write() as s:
            assert s.scalar(select(Customer.id).where(Customer.id == pid)) == pid
    finally:
        tasks.shutdown()


def test_the_search_controller_forgets_an_erased_customer_at_once(qtbot, store, person):
    from livedesk.ui.search_controller import SearchController

    pid, _other = person
    tasks = TaskRunner()
    controller = SearchController(store, tasks)
    try:
        controller.rebuild()
        qtbot.waitUntil(lambda: controller.index is not None, timeout=10000)
        hits: list = []
        controller.search(PERSON["handle"], hits.extend)
        assert pid in {h.id for h in hits}
        controller.forget(pid)
        hits.clear()
        controller.search(PERSON["handle"], hits.extend)
        assert pid not in {h.id for h in hits}
    finally:
        controller.shutdown()
        tasks.shutdown()


def test_the_live_feed_forgets_an_erased_customer_and_never_records_them(store, person):
    from livedesk.services import broadcasts, erasure
    from livedesk.services.feeds.events import FeedEvent, Kind, Viewer, utc_now
    from livedesk.services.feeds.matching import ViewerIndex
    from livedesk.services.feeds.recording import AppearanceTally, record_appearances
    from livedesk.services.feeds.source import MatchedEvent

    pid, _other = person
    with store.write() as s:
        index = ViewerIndex.load(s)
        live = broadcasts.current(s)
    comment = FeedEvent(Kind.COMMENT, "douyin", Viewer(PERSON["uid"], None, None, PERSON["handle"],
                                                       PERSON["nickname"]), utc_now(), content="在吗")
    assert index.match(comment).customer.id == pid
    tally = AppearanceTally()
    tally.add(MatchedEvent(comment, index.match(comment), "test", 0.0))
    with store.write() as s:
        erasure.erase(s, pid)
    index.forget(pid)
    tally.forget(pid)
    assert index.match(comment).customer is None
    with store.write() as s:  # would fail on the missing customer if the tally still held them
        record_appearances(s, live.id, tally.take())


def test_the_main_window_takes_an_erased_customer_off_the_host_panel(qtbot, store, person):
    from livedesk.ui.main_window import MainWindow

    pid, other = person
    tasks = TaskRunner()
    window = MainWindow(AppContext(store=store, tasks=tasks, language="en"))
    qtbot.addWidget(window)
    try:
        window.push_to_panel(pid)
        assert window.host_panel.card_view.card.customer_id == pid
        window.forget_customer(other)
        assert window.host_panel.card_view.card.customer_id == pid  # someone else's erasure: stays
        window.forget_customer(pid)
        assert window.host_panel.card_view.card is None
    finally:
        window.host_panel.close()
        window.host_panel.deleteLater()
        tasks.shutdown()
