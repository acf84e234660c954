"""The live room on a replay: question queue, waitlist, complaints, curve, run-of-show, report."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from livedesk.cli import main
from livedesk.models import Customer, FollowUpTask, Note, Order
from livedesk.services import broadcasts, customers, followups
from livedesk.services.customers import NewCustomer
from livedesk.services.feeds.events import Viewer
from livedesk.services.feeds.formats import open_source
from livedesk.services.feeds.intents import shipped_tagger
from livedesk.services.feeds.matching import ViewerIndex
from livedesk.services.feeds.recording import AppearanceTally, record_appearances
from livedesk.services.room import audience, complaints, report, run_of_show
from livedesk.services.room.health import CaptureHealth, is_anonymous
from livedesk.services.room.questions import RoomIntents, asker_profiles
from helpers import db_args

START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def frame(kind, uid=None, nickname=None, content=None, **data):
    data = {"MsgId": abs(hash((kind, uid, content, str(data)))) % 10**12 + 1, "RoomId": 1, **data}
    if content is not None:
        data["Content"] = content
    if uid is not None:
        data["User"] = {"Id": 1, "SecUid": uid, "Nickname": nickname}
    return {"Type": kind, "ProcessName": "douyin", "Data": json.dumps(data, ensure_ascii=False)}


@pytest.fixture
def shop(store):
    with store.write() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", "uid-wang", "wangjie")],
                                               profile={"height_cm": "160", "weight_kg": "50", "top_size": "M"}))
        li = customers.create(s, NewCustomer(nickname="李姐", accounts=[("douyin", "uid-li", None)]))
        zhao = customers.create(s, NewCustomer(nickname="赵小姐", accounts=[("douyin", "uid-zhao", None)]))
        s.get(Customer, wang).tier = "vip"
        b = broadcasts.start(s, "周二美妆专场", "douyin", now=START)
        run_of_show.plan(s, b.id, [run_of_show.PlannedItem("product", "面霜", 15),
                                   run_of_show.PlannedItem("flash", "秒杀口红", 5)])
    return {"wang": wang, "li": li, "zhao": zhao, "broadcast": b.id}


def replay(store, tmp_path, lines, room, tally, apps, health, marks=None):
    """Play ``lines`` through the real runner; ``marks`` {line index: position} set the item on air."""
    recording = tmp_path / "show.jsonl"
    recording.write_text("\n".join(json.dumps({"t": 0, "format": "barragegrab", "frame": f}, ensure_ascii=False)
                                   for f in lines), encoding="utf-8")
    with store.read() as s:
        index = ViewerIndex.load(s)
    seen = [0]

    def position(item):
        if marks and seen[0] in marks:
            room.segment = tally.position = marks[seen[0]]
        seen[0] += 1

    async def run():
        source = open_source("replay", str(recording), index=index, speed=0, tagger=shipped_tagger())
        for listener in (position, room.add, tally.add, apps.add, health.add):
            source.add_listener(listener)
        await source.run()

    asyncio.run(run())


def test_a_replayed_broadcast_fills_the_question_queue_waitlist_and_buyers_per_product(store, shop, tmp_path):
    room, tally, apps, health = RoomIntents(), audience.AudienceTally(), AppearanceTally(), CaptureHealth()
    lines = [
        frame(6, OnlineUserCount=1200, TotalUserCount=3000),
        frame(3, "uid-wang", "王姐"),
        frame(1, "uid-wang", "王姐", "160/50穿几码"),
        frame(1, "uid-new", "路人甲", "多少钱"),
        frame(1, "uid-new", "路人甲", "多少钱"),  # asked twice: one row
        frame(1, "uid-li", "李姐", "想要想要"),
        frame(1, "uid-new", "路人甲", "不想要"),
        frame(1, "uid-li", "李姐", "没抢到，还会补吗"),
        frame(1, "uid-new2", "用户***", "还有吗"),
        frame(1, "uid-wang", "王姐", "拍了两单"),
    ]
    replay(store, tmp_path, lines, room, tally, apps, health, marks={5: 1, 7: 2})
    asked = [(q.asker.nickname, q.intents, q.asker.customer_id) for q in room.questions]
    assert asked == [("路人甲", ("price",), None), ("王姐", ("size",), shop["wang"])]  # newest first
    assert room.buy_comments == {1: 1, 2: 1} and room.known_buyers() == {1: 1, 2: 1}
    assert [(e.asker.nickname, e.asker.customer_id) for e in room.waitlist.values()] \
        == [("李姐", shop["li"]), ("用户***", None)]
    assert room.top_questions(None) == [("price", 2), ("size", 1)]
    with store.read() as s:
        assert "160" in asker_profiles(s, [shop["wang"]])[shop["wang"]]
    assert health.anonymous["replay"] == 1  # the masked viewer is counted, never matched


def test_a_known_customers_complaint_becomes_a_note_and_a_24h_callback_at_once(store, shop):
    room = RoomIntents()
    at = START + timedelta(minutes=5)
    from livedesk.services.feeds.events import FeedEvent, Kind
    from livedesk.services.feeds.matching import KnownCustomer, Match
    from livedesk.services.feeds.source import MatchedEvent

    known = KnownCustomer(shop["li"], "李姐", "new", "none", False)
    event = FeedEvent(Kind.COMMENT, "douyin", Viewer("uid-li", nickname="李姐"), at, content="上次买的没收到")
    item = MatchedEvent(event, Match(known, "uid"), "replay", 0.0, shipped_tagger().tag(event.content))
    room.add(item)
    room.add(item)  # the same words twice make one complaint
    guess = MatchedEvent(event, Match(known, "possible"), "replay", 0.0, ("complaint",))
    room.add(guess)  # a nickname guess is nobody's complaint
    pending = room.take_complaints()
    assert [(c.customer_id, c.text) for c in pending] == [(shop["li"], "上次买的没收到")]
    with store.write() as s:
        done = complaints.record(s, shop["li"], pending[0].text, broadcast_id=shop["broadcast"], at=at)
        assert complaints.record(s, shop["li"], pending[0].text, broadcast_id=shop["broadcast"], at=at) is None
    assert done.sla_due_at == at + timedelta(hours=24)
    with store.write() as s:
        task = s.get(FollowUpTask, done.task_id)
        assert (task.kind, task.status, task.customer_id) == ("callback", "open", shop["li"])
        assert s.get(Note, done.note_id).kind == "complaint"
        followups.generate(s, now=at + timedelta(minutes=1))  # the rule finds the note: no second task
        assert len(s.scalars(select(FollowUpTask).where(FollowUpTask.kind == "callback")).all()) == 1
        from livedesk.services.panel import panel_card

        assert "complaint" in {a.kind for a in panel_card(s, shop["li"], now=at).alerts}


def test_anonymous_and_placeholder_viewers_are_recognised():
    assert is_anonymous(Viewer("x1", nickname="用户***"))
    assert is_anonymous(Viewer("0", nickname=None))
    assert is_anonymous(Viewer(None, nickname="匿名用户"))
    assert not is_anonymous(Viewer("MS4wLjABAAAAwang", nickname="王姐"))


def _stream(store, shop, tmp_path):
    """Two minutes of room figures, entries and intents; the run-of-show marked as it went."""
    room, tally, apps, health = RoomIntents(), audience.AudienceTally(), AppearanceTally(), CaptureHealth()
    lines = [frame(6, OnlineUserCount=800, TotalUserCount=900), frame(3, "uid-wang", "王姐"),
             frame(3, "uid-li", "李姐"), frame(1, "uid-li", "李姐", "想要"), frame(1, "uid-zhao", "赵小姐", "多少钱"),
             frame(5, "uid-wang", "王姐", GiftName="玫瑰", GiftCount=1, RepeatCount=3, DiamondCount=1),
             frame(2, "uid-new", "路人", Count=10), frame(1, "uid-new", "路人", "还有货吗"),
             frame(1, "uid-new", "路人", "补货吗")]
    replay(store, tmp_path, lines, room, tally, apps, health, marks={0: 1})
    with store.write() as s:
        run_of_show.mark_now(s, shop["broadcast"], 1, now=START)
        run_of_show.mark_now(s, shop["broadcast"], 2, now=START + timedelta(minutes=15))
        batch = tally.take()
        for m in batch.minutes:  # the replay ran now; the broadcast was at START
            m.minute = START
        audience.record(s, shop["broadcast"], batch)
        record_appearances(s, shop["broadcast"], apps.take())
        broadcasts.mark_greeted(s, shop["broadcast"], shop["wang"], now=START)
        broadcasts.end(s, shop["broadcast"], now=START + timedelta(hours=2))


def test_the_curve_and_run_of_show_come_from_stats_frames_and_marks(store, shop, tmp_path):
    _stream(store, shop, tmp_path)
    with store.read() as s:
        points = audience.curve(s, shop["broadcast"])
        items = run_of_show.items(s, shop["broadcast"])
    assert [(p.online, p.entries, p.comments, p.gifts, p.likes) for p in points] == [(800, 2, 4, 3, 10)]
    assert [(i.position, i.started_at, i.ended_at) for i in items] == [
        (1, START, START + timedelta(minutes=15)), (2, START + timedelta(minutes=15), None)]
    assert run_of_show.position_at(items, START + timedelta(minutes=20)) == 2


def test_the_report_counts_conversion_like_a_person_counting_the_orders(store, shop, tmp_path, capsys):
    _stream(store, shop, tmp_path)
    end = START + timedelta(hours=2)
    with store.write() as s:
        def order(cid, n, fen, at, status="paid"):
            s.add(Order(platform="douyin", platform_order_id=f"o{n}", customer_id=cid, status=status,
                        total_fen=fen, ordered_at=at))
        order(shop["wang"], 1, 30_000, START - timedelta(days=40))  # before: 王姐 is no new buyer
        order(shop["wang"], 2, 12_900, START + timedelta(minutes=30))  # during the stream
        order(shop["li"], 3, 8_800, end + timedelta(hours=23))  # within 24 h after: counts, a new buyer who commented
        order(shop["li"], 4, 5_000, end + timedelta(hours=25))  # too late
        order(shop["zhao"], 5, 9_900, end + timedelta(hours=1), status="refunded")  # refunded: no GMV, no buyer
    # By hand: buyers 王姐 and 李姐 (2 of 3 known viewers), GMV 129 + 88 = ¥217, one new buyer who commented (李姐).
    with store.read() as s:
        r = report.build(s, shop["broadcast"])
    assert (r.known_viewers, r.buyers, r.gmv_fen, r.new_buyers_who_commented) == (3, 2, 21_700, 1)
    assert r.conversion_ratio == round(2 / 3, 3)
    assert (r.vips_present, r.vips_greeted, r.greeted_ratio) == (1, 1, 1.0)
    assert r.peak_viewers == 800 and r.intents_by_item == {"1": {"buy": 1, "price": 1, "stock": 2}}
    assert [(w.nickname, w.customer_id, w.position, w.asks) for w in r.waitlist] == [("路人", None, 1, 2)]
    db = db_args(store)
    xlsx = tmp_path / "report.xlsx"
    assert main([*db, "broadcast", "report", str(shop["broadcast"]), "--json", "--xlsx", str(xlsx)]) == 0
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames == ["概览", "在线曲线", "排品", "评论意图", "补货等待", "最近直播"]
    printed = json.loads(capsys.readouterr().out)
    assert (printed["buyers"], printed["gmv_fen"], printed["compared"][0]["gmv_fen"]) == (2, 21_700, 21_700)
    assert main([*db, "broadcast", "report", "999"]) == 1


def test_capture_health_warns_when_a_type_stops_while_others_flow_and_when_entries_look_sampled():
    from livedesk.services.feeds.events import FeedEvent, Kind
    from livedesk.services.feeds.matching import NO_MATCH
    from livedesk.services.feeds.source import MatchedEvent

    health = CaptureHealth()

    def at(minute, kind, **extra):
        viewer = None if kind is Kind.ROOM_STATS else Viewer(f"u{minute}", nickname="观众")
        event = FeedEvent(kind, "douyin", viewer, START + timedelta(minutes=minute), **extra)
        health.add(MatchedEvent(event, NO_MATCH, "bg", 0.0))

    for minute in range(6):
        at(minute, Kind.COMMENT)
        at(minute, Kind.VIEWER_ENTERED)
        if minute < 3:
            at(minute, Kind.GIFT, gift_count=1)
    at(5, Kind.ROOM_STATS, online=5000)
    now = int((START + timedelta(minutes=6)).timestamp() // 60)
    warnings = {(w.code, w.kind) for w in health.warnings(now)}
    assert ("type_stopped", "gift") in warnings  # gifts stopped while comments flow
    assert ("type_stopped", "comment") not in warnings
    assert ("sampled", "viewer_entered") in warnings  # 1 entry a minute in a room of 5,000


def test_a_masked_viewer_is_never_matched_even_to_a_customer_of_that_name(store):
    from livedesk.services.feeds.events import FeedEvent, Kind

    with store.write() as s:  # order exports bring customers named after masked buyers
        customers.create(s, NewCustomer(nickname="用户***", accounts=[("douyin", "uid-masked", None)]))
        index = ViewerIndex.load(s)
    masked = FeedEvent(Kind.COMMENT, "douyin", Viewer("uid-other", nickname="用户***"), START, content="想要")
    assert index.match(masked).customer is None
    named = FeedEvent(Kind.COMMENT, "douyin", Viewer("uid-masked", nickname="小美"), START, content="想要")
    assert index.match(named).how == "uid"
