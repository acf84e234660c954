"""Matching feed viewers to customers (uid > handle > nickname = possible), linking, recording."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from livedesk.models import Appearance, PlatformAccount
from livedesk.services import broadcasts
from livedesk.services.customers import NewCustomer, create
from livedesk.services.feeds.events import FeedEvent, Kind, Viewer, utc_now
from livedesk.services.feeds.formats import demo_feed, open_source
from livedesk.services.feeds.matching import LinkError, ViewerIndex, link_viewer
from livedesk.services.feeds.recording import AppearanceTally, record_appearances
from livedesk.services.lookup import lookup


def event(uid=None, handle=None, nickname=None, kind=Kind.COMMENT, numeric=None) -> FeedEvent:
    return FeedEvent(kind, "douyin", Viewer(uid, numeric, None, handle, nickname), utc_now(), content="在吗")


@pytest.fixture
def people(store):
    with store.write() as s:
        wang = create(s, NewCustomer("王姐", accounts=[("douyin", "MS4wLjABAAAAwang", "wangjie88")]))
        li = create(s, NewCustomer("李妹妹", accounts=[("douyin", None, "limeimei")]))
        zhang = create(s, NewCustomer("王姐", accounts=[("taobao", "2200001", "tbwang")]))  # same nickname
    return {"wang": wang, "li": li, "zhang": zhang}


def test_uid_beats_handle_beats_nickname_which_is_only_possible(store, people):
    with store.write() as s:
        index = ViewerIndex.load(s)
    by_uid = index.match(event("MS4wLjABAAAAwang", "limeimei", "李妹妹"))
    assert (by_uid.customer.id, by_uid.how, by_uid.certain) == (people["wang"], "uid", True)
    by_handle = index.match(event("MS4wLjABAAAAnew", "LiMeiMei", "someone"))
    assert (by_handle.customer.id, by_handle.how) == (people["li"], "handle")
    possible = index.match(event("MS4wLjABAAAAother", None, "王姐"))
    assert possible.how == "possible" and not possible.certain and not possible.vip
    assert {c.id for c in possible.candidates} == {people["wang"], people["zhang"]}
    assert index.match(event("x", "y", "z")).customer is None
    # a uid on another platform is not the same account
    assert index.match(FeedEvent(Kind.COMMENT, "kuaishou", Viewer("MS4wLjABAAAAwang"), utc_now())).customer is None
    assert index.match(event(numeric="2200001")).customer is None  # taobao id, douyin event


def test_link_viewer_makes_the_next_event_match_by_id(store, people):
    with store.write() as s:
        index = ViewerIndex.load(s)
        broadcast = broadcasts.start(s, "美妆专场", "douyin")
    viewer = event("MS4wLjABAAAAunknown", "xiaolu_88", "小鹿爱买买")
    assert index.match(viewer).customer is None
    tally = AppearanceTally()
    tally.add(_matched(index, viewer))
    with store.write() as s:
        record_appearances(s, broadcast.id, tally.take())
        known = link_viewer(s, people["li"], "douyin", "MS4wLjABAAAAunknown", "xiaolu_88", "小鹿爱买买")
    index.learn(known, "douyin", "MS4wLjABAAAAunknown", "xiaolu_88", "小鹿爱买买")
    assert (index.match(viewer).customer.id, index.match(viewer).how) == (people["li"], "uid")
    with store.write() as s:
        assert ViewerIndex.load(s).match(viewer).customer.id == people["li"]  # and after a reload
        # li's handle-only account learnt nothing wrong; a new douyin account holds the uid
        accounts = s.execute(select(PlatformAccount.uid, PlatformAccount.handle)
                             .where(PlatformAccount.customer_id == people["li"])).all()
        assert ("MS4wLjABAAAAunknown", "xiaolu_88") in accounts
        appearance = s.scalar(select(Appearance).where(Appearance.viewer_key == "MS4wLjABAAAAunknown"))
        assert (appearance.customer_id, appearance.match) == (people["li"], "uid")
        assert [m.id for m in lookup(s, "xiaolu_88")] == [people["li"]]  # the assistant finds them too
        with pytest.raises(LinkError):
            link_viewer(s, people["wang"], "douyin", "MS4wLjABAAAAunknown", None, None)
        with pytest.raises(LinkError):
            link_viewer(s, people["wang"], "douyin", None, None, "小鹿爱买买")


def test_linking_by_handle_fills_in_the_uid_of_a_handle_only_account(store, people):
    with store.write() as s:
        link_viewer(s, people["li"], "douyin", "MS4wLjABAAAAli", "limeimei", "李妹妹")
        rows = s.execute(select(PlatformAccount.uid, PlatformAccount.handle)
                         .where(PlatformAccount.customer_id == people["li"])).all()
    assert rows == [("MS4wLjABAAAAli", "limeimei")]


def _matched(index, e):
    from livedesk.services.feeds.source import MatchedEvent

    return MatchedEvent(e, index.match(e), "test", 0.0)


def test_appearances_are_written_in_batches_and_add_up(store, people):
    with store.write() as s:
        index = ViewerIndex.load(s)
        broadcast = broadcasts.start(s, "宠粉福利日", "douyin")
    tally = AppearanceTally()
    wang = ("MS4wLjABAAAAwang", "wangjie88", "王姐")
    for e in [event(*wang, kind=Kind.VIEWER_ENTERED), event(*wang), event(*wang),
              FeedEvent(Kind.GIFT, "douyin", Viewer(*wang[:1], nickname="王姐"), utc_now(), gift_count=3,
                        gift_value=30),
              event("MS4wLjABAAAAstranger", None, "路人甲", kind=Kind.LIKE),
              FeedEvent(Kind.STREAM_END, "douyin", None, utc_now())]:
        tally.add(_matched(index, e))
    with store.write() as s:
        assert record_appearances(s, broadcast.id, tally.take()) == 2
    tally.add(_matched(index, event(*wang)))
    with store.write() as s:
        assert record_appearances(s, broadcast.id, tally.take()) == 0
        summary = broadcasts.summary(s, broadcast.id)
        row = s.scalar(select(Appearance).where(Appearance.viewer_key == "MS4wLjABAAAAwang"))
    assert (row.entered, row.comment_count, row.gift_count, row.gift_value, row.match) == (True, 3, 3, 30, "uid")
    assert [p.customer_id for p in summary.known] == [people["wang"]]
    assert summary.new_viewers == ["路人甲"]


def test_shipped_demo_broadcast_replays_to_the_end(store, people):
    async def main():
        with store.write() as s:
            index = ViewerIndex.load(s)
        source = open_source("replay", str(demo_feed()), speed=0, index=index)
        tally = AppearanceTally()
        source.add_listener(tally.add)
        source.start()
        await asyncio.wait_for(source.task, 10)
        return source, source.buffer.take(10_000), tally

    source, events, tally = asyncio.run(main())
    status = source.status()
    assert status.state == "finished" and status.frames_skipped == 0 and status.events >= 300
    assert events[-1].event.kind is Kind.STREAM_END
    kinds = {e.event.kind for e in events}
    assert kinds == set(Kind)
    assert len(tally) > 100


def test_cli_feed_watch_prints_matched_events_as_json(tmp_path):
    from livedesk.services.store import open_store, sqlite_url

    open_store(sqlite_url(tmp_path / "s.sqlite3")).dispose()  # commands other than init/demo never create one
    out = subprocess.run(
        [sys.executable, "-m", "livedesk", "--db", str(tmp_path / "s.sqlite3"), "feed", "watch", "--format",
         "replay", "--speed", "0", "--limit", "5", "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 5 and lines[0]["kind"] == "viewer_entered" and "match" in lines[0]
    assert "frames" in out.stderr.splitlines()[-1]
