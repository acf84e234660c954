"""The 跟进 page: generated tasks in a queue, the prepared message, outcomes from the keyboard."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from sqlalchemy import insert, select

from livedesk.models import FollowUpTask, Note, Order, PlatformAccount, ProfileValue
from livedesk.services import customers, templates
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.followups_page import FollowupsPage
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def page(qtbot, store):
    with store.write() as s:
        templates.ensure_default_templates(s)
        for n, name in enumerate(("王姐", "小鹿")):
            cid = customers.create(s, NewCustomer(nickname=name))
            s.execute(insert(Order).values(platform="douyin", platform_order_id=f"F{n}", customer_id=cid,
                                           status="paid", total_fen=19_900,
                                           ordered_at=datetime.now(timezone.utc) - timedelta(hours=3 + n)))
    tasks = TaskRunner()
    widget = FollowupsPage(AppContext(store, tasks, "en"))
    qtbot.addWidget(widget)
    widget.generate()
    qtbot.waitUntil(lambda: widget.model.rowCount() > 0, timeout=10_000)
    yield widget
    tasks.shutdown()


def test_new_orders_become_a_queue_with_a_prepared_message(qtbot, page):
    kinds = {t.kind for t in page.model.tasks}
    assert "welcome" in kinds  # first orders three hours ago: the 2 h welcome is due (and late)
    qtbot.waitUntil(lambda: page.message.toPlainText() != "")
    assert page.model.tasks[0].nickname in page.message.toPlainText()
    page.copy_message()
    assert QGuiApplication.clipboard().text() == page.message.toPlainText()


def test_recording_an_outcome_closes_the_task_and_writes_the_timeline(qtbot, page, store):
    first = page.current()
    before = page.model.rowCount()
    page.complete("replied")
    qtbot.waitUntil(lambda: page.model.rowCount() == before - 1)
    with store.write() as s:
        task = s.get(FollowUpTask, first.id)
        assert (task.status, task.outcome) == ("done", "replied")
        assert s.scalars(select(Note.kind).where(Note.customer_id == first.customer_id)).all() == ["followup"]


def test_skipping_needs_a_reason(qtbot, page, store):
    first = page.current()
    page.skip()
    qtbot.waitUntil(lambda: "reason" in page.feedback.text())
    page.skip_reason.setText("客户说不用联系")
    page.skip()
    qtbot.waitUntil(lambda: all(t.id != first.id for t in page.model.tasks))
    with store.write() as s:
        assert s.get(FollowUpTask, first.id).status == "skipped"


def test_snoozing_says_until_when_and_the_card_has_no_on_air_greeting(qtbot, page, store):
    first = page.current()
    qtbot.waitUntil(lambda: page.card.card is not None)
    assert page.card.findChild(QLabel, "Greeting") is None  # off air: a call-back must not open with "welcome"
    page.snooze()
    qtbot.waitUntil(lambda: page.feedback.text().startswith("Snoozed until"))
    assert first.nickname in page.feedback.text() and "Done" not in page.feedback.text()
    with store.read() as s:
        assert s.get(FollowUpTask, first.id).snoozed_until is not None


def test_the_page_says_how_to_reach_the_customer(qtbot, store, page):
    with store.write() as s:
        cid = page.current().customer_id
        s.add(ProfileValue(customer_id=cid, field="wechat", value="王姐 杭州"))
        s.add(PlatformAccount(customer_id=cid, platform="douyin", handle="wangjie888"))
    page._shown_task_id = None
    page._show_task()
    assert "Douyin @wangjie888" in page.reach.text() and "WeChat remark: 王姐 杭州" in page.reach.text()
    assert page.reach.isVisibleTo(page)
