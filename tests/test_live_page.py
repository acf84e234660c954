"""The live console: search as you type, push to the panel, quick notes, greetings, broadcasts."""

from __future__ import annotations

import asyncio
import json

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from livedesk.models import Appearance, Customer, Note, PointsEntry
from livedesk.services import broadcasts, customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.feed_controller import FeedController
from livedesk.ui.live_page import LivePage
from livedesk.ui.search_controller import SearchController
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def shop(store):
    with store.write() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", phone="13812345678",
                                               accounts=[("douyin", "MS4wLjABAAAAwang", "wangjie888")]))
        customers.create(s, NewCustomer(nickname="小鹿爱买买"))
        s.get(Customer, wang).tier = "vip"
    return {"wang": wang}


@pytest.fixture
def page(qtbot, store, shop):
    tasks = TaskRunner()
    search = SearchController(store, tasks)
    feeds = FeedController(store, tasks)
    widget = LivePage(AppContext(store=store, tasks=tasks, language="en"), search, feeds)
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
    with store.write() as s:
        note = s.scalars(select(Note)).one()
    assert (note.customer_id, note.body, note.broadcast_id) == (shop["wang"], "想要敏感肌套装", page.broadcast.id)


def test_greeting_is_recorded_only_during_a_broadcast(qtbot, page, store, shop):
    type_query(qtbot, page, "王")
    assert not page.greet_button.isEnabled()
    page.mark_greeted()
    assert "Start a broadcast" in page.feedback.text()
    page._start("周二美妆专场", "douyin", "")
    qtbot.waitUntil(lambda: page.broadcast is not None)
    page._show_preview()
    assert "not_greeted" in {a.kind for a in page.preview.card.alerts}  # a VIP, not greeted yet this stream
    with qtbot.waitSignal(page.greeted) as greeted:  # the host panel listens: its card updates at once
        page.mark_greeted()
    assert greeted.args == [shop["wang"]]
    qtbot.waitUntil(lambda: "greeted" in page.feedback.text())
    assert "not_greeted" not in {a.kind for a in page.preview.card.alerts}
    with store.write() as s:
        assert s.scalars(select(Appearance.customer_id).where(Appearance.greeted_at.is_not(None))).all() \
            == [shop["wang"]]


def test_ending_a_broadcast_shows_its_summary(qtbot, page, store, shop):
    page._start("周二美妆专场", "douyin", "")
    qtbot.waitUntil(lambda: page.broadcast is not None)
    page._end()
    qtbot.waitUntil(lambda: page.broadcast is None and hasattr(page, "last_summary"))
    assert page.last_summary.not_greeted_vips == []
    with store.write() as s:
        assert broadcasts.current(s) is None


def barragegrab_frame(kind: int, uid: str, nickname: str, content: str = "") -> dict:
    data = {"MsgId": abs(hash((kind, uid, content))), "RoomId": 1, "Content": content,
            "User": {"Id": 1, "ShortId": 2, "DisplayId": "", "SecUid": uid, "Nickname": nickname}}
    return {"Type": kind, "ProcessName": "douyin", "Data": json.dumps(data, ensure_ascii=False)}


def test_a_replayed_broadcast_queues_known_viewers_and_records_their_appearances(qtbot, page, store, shop, tmp_path):
    """End to end: a recorded BarrageGrab feed through the real runner, on the qasync loop."""
    recording = tmp_path / "show.jsonl"
    lines = [
        {"t": 0.0, "format": "barragegrab", "frame": barragegrab_frame(3, "MS4wLjABAAAAwang", "王姐")},
        {"t": 0.1, "format": "barragegrab", "frame": barragegrab_frame(1, "MS4wLjABAAAAwang", "王姐", "有敏感肌套装吗")},
        {"t": 0.2, "format": "barragegrab", "frame": barragegrab_frame(3, "MS4wLjABAAAAnew", "路人甲")},
        {"t": 0.3, "format": "barragegrab", "frame": "this frame is garbage"},
    ]
    recording.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)

    async def until(condition, timeout=5.0):
        deadline = loop.time() + timeout
        while not condition():
            assert loop.time() < deadline, "timed out"
            await asyncio.sleep(0.02)

    async def scenario():
        page._start("周二美妆专场", "douyin", "")
        await until(lambda: page.broadcast is not None)
        page.feeds.start("replay", str(recording), speed=0)
        await until(lambda: page.feeds.arrivals.rowCount() == 2)
        first = page.feeds.arrivals.arrivals[0]
        assert first.customer.id == shop["wang"] and first.how == "uid" and first.kind == "comment"
        await until(lambda: page.feeds.sources and page.feeds.sources[0].status().state == "finished")
        assert page.feeds.sources[0].status().frames_skipped == 1
        page.feeds.flush_appearances()
        await page.feeds.stop_all()

    try:
        loop.run_until_complete(scenario())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    qtbot.waitUntil(lambda: _appearances(store) == {("MS4wLjABAAAAwang", shop["wang"]), ("MS4wLjABAAAAnew", None)})
    with store.write() as s:  # 王姐's comment earned growth points; entering does not
        assert s.execute(select(PointsEntry.customer_id, PointsEntry.reason, PointsEntry.delta)).all() \
            == [(shop["wang"], "comment", 1)]


def _appearances(store):
    with store.write() as s:
        return set(s.execute(select(Appearance.viewer_key, Appearance.customer_id)).all())


def test_linking_a_new_viewer_makes_them_known(qtbot, page, store, shop):
    from livedesk.ui.feed_controller import Arrival

    stranger = Arrival(None, None, "douyin", "MS4wLjABAAAAnew", "dy123", "路人甲", "comment", "在吗", 0.0)
    page.feeds.arrivals.add([stranger])
    page.arrivals_view.setCurrentIndex(page.feeds.arrivals.index(0))
    type_query(qtbot, page, "小鹿")
    page.link_selected_viewer()
    qtbot.waitUntil(lambda: "Linked" in page.feedback.text())
    with store.write() as s:
        card = customers.card(s, page.selected_id())
    assert ("douyin", "MS4wLjABAAAAnew") in {(a.platform, a.uid) for a in card.accounts}
