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


def test_actions_wait_for_a_selected_customer(qtbot, page, shop):
    assert not any(w.isEnabled() for w in (page.push_button, page.task_button, page.note_box, page.link_button))
    assert page.results_hint.isVisibleTo(page.results_view) and page.arrivals_hint.isVisibleTo(page.arrivals_view)
    type_query(qtbot, page, "王")
    assert page.push_button.isEnabled() and page.task_button.isEnabled() and page.note_box.isEnabled()
    assert not page.greet_button.isEnabled()  # greetings need a broadcast
    assert not page.results_hint.isVisibleTo(page.results_view)


def test_look_alikes_are_told_apart_by_phone_tail_city_and_handle(qtbot, page, store):
    with store.write() as s:
        for phone, city, handle in (("13900001111", "杭州", "qf_hz"), ("13900002222", "成都", "qf_cd")):
            customers.create(s, NewCustomer(nickname="清风徐来ya", phone=phone, city=city,
                                            accounts=[("douyin", None, handle)]))
    type_query(qtbot, page, "清风徐来ya")
    qtbot.waitUntil(lambda: len(page.results.extra) == 2)
    lines = [page.results.data(page.results.index(i)).split("\n")[1] for i in range(2)]
    assert sorted(lines) == ["phone …1111 · 杭州 · no order yet · @qf_hz", "phone …2222 · 成都 · no order yet · @qf_cd"]


def test_the_feed_status_names_the_tool_and_says_why_it_is_not_connected(page):
    from livedesk.services.feeds.source import FeedStatus

    def status(name, endpoint, state, code=None, error=None):
        return FeedStatus(name, endpoint, state, False, 0.0, 0, 0, 0, 0, 0, 2, error, None, None, code)

    page._show_feed_status([status("barragegrab", "ws://127.0.0.1:8888", "retrying", "refused",
                                   "ConnectionRefusedError: [Errno 111] Connect call failed")])
    text = page.feed_status.text()
    assert text.startswith("BarrageGrab (ws://127.0.0.1:8888): retrying") and "capture tool running" in text
    assert "Errno" not in text and "barragegrab" not in text
    page._show_feed_status([status("replay", "/opt/livedesk/resources/feeds/demo_broadcast.jsonl", "finished")])
    assert page.feed_status.text().startswith("Rehearsal (recorded broadcast): finished")
    assert "/opt" not in page.feed_status.text()


def test_ending_the_broadcast_disconnects_the_feed(qtbot, page, tmp_path):
    recording = tmp_path / "long.jsonl"
    recording.write_text(json.dumps({"t": 3600.0, "format": "barragegrab",
                                     "frame": barragegrab_frame(3, "u1", "路人甲")}), encoding="utf-8")
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)

    async def scenario():
        page._start("周二美妆专场", "douyin", "")
        while page.broadcast is None:
            await asyncio.sleep(0.02)
        page.feed_format.setCurrentIndex(page.feed_format.findData("replay"))
        page.feed_target.setText(str(recording))
        page._toggle_feed()
        while not page.feeds.sources:
            await asyncio.sleep(0.02)
        page._end()
        for _ in range(250):
            if page.broadcast is None and not page.feeds.sources:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)

    try:
        loop.run_until_complete(scenario())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert page.broadcast is None and page.feeds.sources == []
    assert page.feed_button.text() == "Connect feed"
