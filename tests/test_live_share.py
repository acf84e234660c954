"""The live room shared between machines: arrival batches, greeted marks, one recorder per broadcast.

Two ``Store`` objects on one database stand for two machines (each has its own origin); the
cross-process delivery itself is tested with real app processes in test_team_live.py.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from livedesk.models.base import utcnow
from livedesk.services import broadcasts, changes, customers, live_room, team
from livedesk.services.customers import NewCustomer
from livedesk.services.feeds.events import FeedEvent, Kind, Viewer
from livedesk.services.feeds.matching import KnownCustomer, Match
from livedesk.services.feeds.source import MatchedEvent
from livedesk.services.store import open_store


@pytest.fixture
def room(store):
    with store.write() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", "uid-wang", "wangjie")]))
        li = customers.create(s, NewCustomer(nickname="李姐", accounts=[("douyin", "uid-li", None)]))
        b = broadcasts.start(s, "周二美妆专场", "douyin", "7311")
    return {"wang": wang, "li": li, "broadcast": b.id}


@pytest.fixture
def laptop(store):
    """A second machine on the same store: its own process origin."""
    other = open_store(store.url, migrate=False)
    yield other
    other.dispose()


def logged_events(store, kind, after=0):
    with store.read() as s:
        return [(c.origin, e) for c in changes.since(s, after) for e in c.events_of(kind)]


def test_a_batch_of_arrivals_is_one_event_best_first_and_at_most_the_queue_long(store, room):
    batch = [live_room.arrival_payload(customer_id=room["wang"], nickname="王姐", tier="vip", level="gold", vip=True,
                                       how="uid", platform="douyin", uid="uid-wang", handle=None, name="王姐",
                                       kind="comment", text="想要", at=time.time())]
    batch += [live_room.arrival_payload(customer_id=None, nickname=None, tier=None, level=None, vip=False, how=None,
                                        platform="douyin", uid=f"u{i}", handle=None, name=f"路人{i}",
                                        kind="viewer_entered", text=None, at=time.time()) for i in range(60)]
    op = store.apply(live_room.publish_arrivals, batch, room["broadcast"])
    [event] = op.changes.events_of("arrivals")
    assert event["broadcast_id"] == room["broadcast"]
    assert len(event["arrivals"]) == live_room.ARRIVALS_PER_EVENT
    assert event["arrivals"][0]["cid"] == room["wang"] and event["arrivals"][0]["vip"] is True
    assert "cid" not in event["arrivals"][1] and "text" not in event["arrivals"][1]  # empty fields stay home
    assert store.apply(live_room.publish_arrivals, [], room["broadcast"]).changes.events_of("arrivals") == []


def test_a_client_opening_mid_broadcast_reads_the_queue_so_far_from_the_log(store, room):
    def one(uid, name):
        return live_room.arrival_payload(customer_id=None, nickname=None, tier=None, level=None, vip=False,
                                         how=None, platform="douyin", uid=uid, handle=None, name=name,
                                         kind="comment", text="在吗", at=time.time())

    store.apply(live_room.publish_arrivals, [one("a", "甲")], room["broadcast"])
    store.apply(live_room.publish_arrivals, [one("b", "乙")], room["broadcast"] + 1000)  # another broadcast
    store.apply(live_room.publish_arrivals, [one("c", "丙")], room["broadcast"])
    with store.read() as s:
        assert [a["name"] for a in live_room.recent_arrivals(s, room["broadcast"])] == ["甲", "丙"]


def test_marking_greeted_tells_every_machine_once(store, room):
    op = store.apply(broadcasts.mark_greeted, room["broadcast"], room["wang"])
    assert op.changes.events_of("greeted") == [{"kind": "greeted", "broadcast_id": room["broadcast"],
                                                "customer_id": room["wang"]}]
    again = store.apply(broadcasts.mark_greeted, room["broadcast"], room["wang"])
    assert again.changes.events_of("greeted") == []  # already greeted: nothing new to tell


def test_a_second_machine_is_told_who_records_and_cannot_start_a_second_recorder(store, laptop, room):
    with store.write() as s:
        team.add_member(s, "老板", "owner")  # a team starts with its owner
        member = team.add_member(s, "小周", "assistant")
    store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin, member)
    with pytest.raises(broadcasts.RecorderTaken) as refused:
        laptop.apply(broadcasts.claim_recorder, room["broadcast"], laptop.origin)
    taken = refused.value.recorder
    assert (taken.member, taken.origin, taken.stale) == ("小周", store.origin, False)
    assert taken.machine == store.origin.rsplit(":", 2)[0] and taken.silent_s < 5
    with laptop.read() as s:
        assert broadcasts.recorder(s, room["broadcast"]).origin == store.origin
    # Claiming again from the recorder itself is no conflict.
    assert store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin, member).result is None


def test_a_live_recorder_is_taken_over_only_on_purpose_and_knows_it_lost(store, laptop, room):
    store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin)
    previous = laptop.apply(broadcasts.claim_recorder, room["broadcast"], laptop.origin, take_over=True).result
    assert previous.origin == store.origin
    assert store.apply(broadcasts.release_recorder, room["broadcast"], store.origin).result is False  # not ours
    with store.read() as s:
        assert broadcasts.recorder(s, room["broadcast"]).origin == laptop.origin


def test_a_crashed_recorders_claim_goes_stale_and_passes_on(store, laptop, room):
    store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin)
    store.apply(live_room.beat, room["broadcast"])
    soon = utcnow() + timedelta(seconds=broadcasts.RECORDER_STALE_S / 2)
    with pytest.raises(broadcasts.RecorderTaken):  # still beating a moment ago
        laptop.apply(broadcasts.claim_recorder, room["broadcast"], laptop.origin, now=soon)
    later = utcnow() + timedelta(seconds=broadcasts.RECORDER_STALE_S + 5)
    previous = laptop.apply(broadcasts.claim_recorder, room["broadcast"], laptop.origin, now=later).result
    assert previous.origin == store.origin and previous.stale


def test_the_claim_is_released_when_the_feed_stops_and_when_the_broadcast_ends(store, laptop, room):
    store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin)
    assert store.apply(broadcasts.release_recorder, room["broadcast"], store.origin).result is True
    laptop.apply(broadcasts.claim_recorder, room["broadcast"], laptop.origin)  # free again
    laptop.apply(broadcasts.end, room["broadcast"])
    with store.read() as s:
        assert broadcasts.recorder(s, room["broadcast"]) is None
    with pytest.raises(broadcasts.BroadcastError) as ended:
        store.apply(broadcasts.claim_recorder, room["broadcast"], store.origin)
    assert ended.value.code == "not_live"


def matched(uid, nickname, kind=Kind.COMMENT, customer=None, how="uid"):
    event = FeedEvent(kind, "douyin", Viewer(uid, nickname=nickname), utcnow(), content="想要")
    return MatchedEvent(event, Match(customer, how if customer else None), "bg", time.perf_counter())



class _Buffer:
    def __init__(self) -> None:
        self.items: list[MatchedEvent] = []

    def take(self, n: int) -> list[MatchedEvent]:
        taken, self.items = self.items[:n], self.items[n:]
        return taken


class _Source:
    """What the drain reads: a source's buffer, filled by the test instead of a socket."""

    def __init__(self) -> None:
        self.buffer = _Buffer()


@pytest.fixture
def recorder(qtbot, store, room):
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    feeds = FeedController(store, tasks)
    feeds.set_broadcast(room["broadcast"])
    feeds.claim(room["broadcast"])
    qtbot.waitUntil(lambda: feeds.recording == room["broadcast"], timeout=15000)
    source = _Source()
    feeds.sources.append(source)
    yield feeds, source
    feeds.sources.clear()
    feeds.stop_recording(release=False)
    tasks.shutdown()


def test_the_recorder_publishes_what_it_matched_in_batches_never_one_write_per_event(qtbot, store, room, recorder):
    feeds, source = recorder
    wang = KnownCustomer(room["wang"], "王姐", "vip", "gold", True)
    start = logged_events(store, "arrivals")
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < 1.0:  # a busy room: 1,000 events a second for a second
        source.buffer.items += [matched(f"u{sent + i}", f"路人{sent + i}") for i in range(50)]
        sent += 50
        feeds._drain_buffers()
        qtbot.wait(50)
    source.buffer.items.append(matched("uid-wang", "王姐", customer=wang))
    feeds._drain_buffers()
    qtbot.waitUntil(lambda: any(a.get("cid") == room["wang"] for _o, e in logged_events(store, "arrivals")
                                for a in e["arrivals"]), timeout=15000)
    batches = logged_events(store, "arrivals")[len(start):]
    assert sent >= 500
    # At most one batch every 250 ms (plus the one in flight when the second ended), never per event.
    assert 2 <= len(batches) <= (time.monotonic() - began) / 0.25 + 2
    assert all(origin == store.origin and len(e["arrivals"]) <= 40 for origin, e in batches)
    assert batches[-1][1]["arrivals"][0]["cid"] == room["wang"]  # the VIP first in their batch


def test_another_machine_applies_the_batches_and_greetings_and_the_recorder_never_twice(
        qtbot, store, laptop, room, recorder):
    from livedesk.ui.change_hub import ChangeHub
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.tasks import TaskRunner

    feeds, source = recorder
    hub = ChangeHub(store)
    hub.changed.connect(feeds.apply_changes)  # the recorder hears its own commits too
    hub.follow_others()
    tasks = TaskRunner()
    follower = FeedController(laptop, tasks)
    follower.set_broadcast(room["broadcast"])
    others = ChangeHub(laptop)
    others.changed.connect(follower.apply_changes)
    others.follow_others()
    heard: list[int] = []
    feeds.arrived.connect(heard.append)
    try:
        wang = KnownCustomer(room["wang"], "王姐", "vip", "gold", True)
        li = KnownCustomer(room["li"], "李姐", "new", "none", False)
        source.buffer.items += [matched("uid-li", "李姐", customer=li), matched("uid-new", "路人"),
                                matched("uid-wang", "王姐", customer=wang)]
        feeds._drain_buffers()
        feeds.publish_arrivals()
        qtbot.waitUntil(lambda: follower.arrivals.rowCount() == 3, timeout=15000)
        shown = [(a.customer.id if a.customer else None, a.nickname, a.certain) for a in follower.arrivals.arrivals]
        assert shown == [(room["wang"], "王姐", True), (None, "路人", False), (room["li"], "李姐", True)]
        assert [a.key for a in follower.arrivals.arrivals] == [a.key for a in feeds.arrivals.arrivals]
        # Li speaks again: one row for her, moved up, on both machines.
        source.buffer.items.append(matched("uid-li", "李姐", customer=li))
        feeds._drain_buffers()
        # One batch in flight at a time (the app's timer publishes again every 250 ms): the first
        # is seen on the laptop as soon as it commits, a moment before its callback frees the next.
        qtbot.waitUntil(lambda: not feeds._publishing, timeout=15000)
        feeds.publish_arrivals()
        qtbot.waitUntil(lambda: follower.arrivals.arrivals[1].nickname == "李姐", timeout=15000)
        assert follower.arrivals.rowCount() == 3 and feeds.arrivals.rowCount() == 3
        # Greeted on the laptop: both queues mark her at once, from the change set.
        laptop.apply(broadcasts.mark_greeted, room["broadcast"], room["li"])
        qtbot.waitUntil(lambda: room["li"] in feeds.arrivals.greeted, timeout=15000)
        qtbot.waitUntil(lambda: room["li"] in follower.arrivals.greeted, timeout=15000)
        assert heard == [3, 1]  # the recorder's own batches came back to it and were not applied again
        row = [a.key for a in feeds.arrivals.arrivals].index("douyin:uid-li")
        assert feeds.arrivals.index(row).data().startswith("✓ 李姐")
    finally:
        others.stop()
        hub.stop()
        tasks.shutdown()


@pytest.fixture
def console(qtbot):
    """``console(store)``: the 直播 page of one machine on that store."""
    from livedesk.ui.context import AppContext
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.live_page import LivePage
    from livedesk.ui.search_controller import SearchController
    from livedesk.ui.tasks import TaskRunner

    made = []

    def make(on_store):
        tasks = TaskRunner()
        search = SearchController(on_store, tasks)
        page = LivePage(AppContext(store=on_store, tasks=tasks, language="en"), search, FeedController(on_store, tasks))
        qtbot.addWidget(page)
        made.append((page, search, tasks))
        return page

    yield make
    for page, search, tasks in made:
        page.feeds.stop_recording(release=False)
        search.shutdown()
        tasks.shutdown()


def test_a_second_console_is_told_who_records_and_takes_over_only_after_confirming(qtbot, store, laptop, room,
                                                                                  console):
    with store.write() as s:
        team.add_member(s, "老板", "owner")  # a team starts with its owner
        member = team.add_member(s, "小周", "assistant")
    with store.read() as s:
        store.actor = team.sign_in(s, member)
    host_pc, assistant = console(store), console(laptop)
    started = []
    host_pc.recorder.record_then(lambda: started.append("host"))
    qtbot.waitUntil(lambda: host_pc.feeds.recording == room["broadcast"], timeout=15000)
    assert "This computer records" in host_pc.recorder.text()

    assistant.recorder.record_then(lambda: started.append("assistant"))
    qtbot.waitUntil(lambda: assistant.recorder.take_over_box is not None, timeout=15000)
    words = assistant.recorder.take_over_box.text()
    assert "小周" in words and store.origin.rsplit(":", 2)[0] in words
    assert "小周 is recording" in assistant.feedback.text()
    assert started == ["host"] and assistant.feeds.recording is None

    no = assistant.recorder.take_over_box.button(assistant.recorder.take_over_box.StandardButton.No)
    no.click()  # the default: nothing changes
    qtbot.wait(200)
    assert assistant.feeds.recording is None and started == ["host"]

    assistant.recorder.record_then(lambda: started.append("assistant"))
    qtbot.waitUntil(lambda: assistant.recorder.take_over_box is not None and assistant.recorder.take_over_box.isVisible(),
                    timeout=15000)
    [take] = [b for b in assistant.recorder.take_over_box.buttons()
              if assistant.recorder.take_over_box.buttonRole(b) == assistant.recorder.take_over_box.ButtonRole.DestructiveRole]
    take.click()
    qtbot.waitUntil(lambda: assistant.feeds.recording == room["broadcast"], timeout=15000)
    assert started == ["host", "assistant"]
    host_pc.refresh_broadcast()  # what its change feed calls when the broadcast row changes
    assert host_pc.feeds.recording is None
    assert "took over the recording" in host_pc.feedback.text()
    assert host_pc.recorder.text().startswith("Recorded by another team member on ")
