"""The live console: search as you type, push to the panel, quick notes, greetings, broadcasts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from livedesk.models import Appearance, Customer, Note
from livedesk.services import broadcasts, customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.live_page import LivePage
from livedesk.ui.search_controller import SearchController
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def shop(store):
    with store.begin() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", phone="13812345678"))
        customers.create(s, NewCustomer(nickname="小鹿爱买买"))
        s.get(Customer, wang).tier = "vip"
    return {"wang": wang}


@pytest.fixture
def page(qtbot, store, shop):
    tasks = TaskRunner()
    search = SearchController(store, tasks)
    widget = LivePage(AppContext(store=store, tasks=tasks, language="en"), search)
    qtbot.addWidget(widget)
    yield widget
    search.shutdown()
    tasks.shutdown()


def type_query(qtbot, page, text):
    page.search_box.setText(text)  # CJK cannot go through QTest key clicks
    qtbot.waitUntil(lambda: page.results.query == text and page.results.rowCount() > 0, timeout=3000)


def test_typing_finds_by_initials_before_and_after_the_index_is_built(qtbot, page, shop):
    type_query(qtbot, page, "wj")  # answered by SQL while no index exists
    assert page.selected_id() == shop["wang"]
    page.search_controller.rebuild()
    qtbot.waitUntil(lambda: page.search_controller.index is not None, timeout=5000)
    type_query(qtbot, page, "5678")
    assert page.results.hits[0].how == "phone"


def test_selecting_a_result_previews_the_masked_host_card(qtbot, page, shop):
    type_query(qtbot, page, "王姐")
    qtbot.waitUntil(lambda: page.preview.card is not None)
    assert page.preview.card.customer_id == shop["wang"]
    assert page.preview.card.masked_phone == "138****5678"


def test_enter_pushes_the_selected_customer_to_the_panel(qtbot, page, shop):
    type_query(qtbot, page, "王")
    with qtbot.waitSignal(page.push_to_panel) as pushed:
        page.search_box.returnPressed.emit()
    assert pushed.args == [shop["wang"]]


def test_a_quick_note_lands_on_the_customer_stamped_with_the_broadcast(qtbot, page, store, shop):
    page._start("周二美妆专场", "douyin", "7311")
    qtbot.waitUntil(lambda: page.broadcast is not None)
    type_query(qtbot, page, "王")
    page.note_box.setText("想要敏感肌套装")
    page.note_box.returnPressed.emit()
    qtbot.waitUntil(lambda: page.note_box.text() == "")
    with store.begin() as s:
        note = s.scalars(select(Note)).one()
    assert (note.customer_id, note.body, note.broadcast_id) == (shop["wang"], "想要敏感肌套装", page.broadcast.id)


def test_greeting_is_recorded_only_during_a_broadcast(qtbot, page, store, shop):
    type_query(qtbot, page, "王")
    assert not page.greet_button.isEnabled()
    page.mark_greeted()
    assert "Start a broadcast" in page.feedback.text()
    page._start("周二美妆专场", "douyin", "")
    qtbot.waitUntil(lambda: page.broadcast is not None)
    page.mark_greeted()
    qtbot.waitUntil(lambda: "greeted" in page.feedback.text())
    with store.begin() as s:
        assert s.scalars(select(Appearance.customer_id).where(Appearance.greeted_at.is_not(None))).all() \
            == [shop["wang"]]


def test_ending_a_broadcast_shows_its_summary(qtbot, page, store, shop):
    page._start("周二美妆专场", "douyin", "")
    qtbot.waitUntil(lambda: page.broadcast is not None)
    page._end()
    qtbot.waitUntil(lambda: page.broadcast is None and hasattr(page, "last_summary"))
    assert page.last_summary.not_greeted_vips == []
    with store.begin() as s:
        assert broadcasts.current(s) is None
