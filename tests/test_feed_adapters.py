"""Each capture tool's frame format becomes the one internal event; bad frames raise FrameError."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from livedesk.services.feeds import barragegrab, douyinlive, dycast
from livedesk.services.feeds.events import FeedEvent, FrameError, Kind
from livedesk.services.feeds.formats import PARSERS

from helpers import WANG, bg

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
def test_barragegrab_comment_decodes_data_that_is_a_json_string():
    [event] = barragegrab.parse(bg(1, MsgId=7300000000000000001, RoomId=7300000000000000002,
                                   Content="这个色号有吗", User=WANG), NOW)
    assert event.kind is Kind.COMMENT and event.platform == "douyin"
    assert event.content == "这个色号有吗"
    assert event.viewer.uid == "MS4wLjABAAAAwang"  # SecUid preferred as the stable id
    assert event.viewer.numeric_id == "1234567890123456789"  # 64-bit id kept exact, as text
    assert event.viewer.display_id == "wangjie88" and event.viewer.nickname == "王姐"
    assert event.msg_id == "7300000000000000001" and event.room_id == "7300000000000000002"
    assert event.received_at == NOW


def test_barragegrab_gift_like_enter_end_and_ignored_stats():
    [gift] = barragegrab.parse(bg(5, User=WANG, GiftName="玫瑰", GiftCount=1, RepeatCount=10, DiamondCount=1), NOW)
    assert (gift.kind, gift.gift_name, gift.gift_count, gift.gift_value) == (Kind.GIFT, "玫瑰", 10, 10)
    [like] = barragegrab.parse(bg(2, User=WANG, Count=15), NOW)
    assert like.kind is Kind.LIKE and like.like_count == 15
    assert barragegrab.parse(bg(3, User=WANG), NOW)[0].kind is Kind.VIEWER_ENTERED
    assert barragegrab.parse(bg(8, User=WANG), NOW)[0].kind is Kind.SHARE
    assert barragegrab.parse(bg(9), NOW)[0].kind is Kind.STREAM_END
    assert barragegrab.parse(bg(6, OnlineUserCount=12000), NOW) == []


def test_barragegrab_without_secuid_uses_the_numeric_id():
    user = {**WANG, "SecUid": ""}
    assert barragegrab.parse(bg(3, User=user), NOW)[0].viewer.uid == "1234567890123456789"


@pytest.mark.parametrize("frame", [
    b"\xff\xfe", "not json", "[1, 2]", '{"Type": "1", "Data": "{}"}', '{"Type": 42, "Data": "{}"}',
    '{"Type": 1, "Data": "{not json"}', '{"Type": 1, "Data": "{\\"Content\\": \\"hi\\"}"}',
    '{"Type": 5, "Data": "{\\"User\\": {\\"Id\\": 1}, \\"GiftCount\\": -4}"}', "[" * 100_000,
])
def test_barragegrab_garbage_raises_frame_error(frame):
    with pytest.raises(FrameError):
        barragegrab.parse(frame, NOW)


def test_untrusted_text_is_clipped_and_cleaned():
    [event] = barragegrab.parse(bg(1, User={**WANG, "Nickname": "王\x00姐" * 200}, Content="x" * 5000), NOW)
    assert len(event.viewer.nickname) == 100 and "\x00" not in event.viewer.nickname
    assert len(event.content) == 500


def dl_user():
    return {"id": "1234567890123456789", "shortId": "98765", "nickname": "王姐", "displayId": "wangjie88",
            "secUid": "MS4wLjABAAAAwang"}


def test_douyinlive_protojson_methods():
    common = {"method": "WebcastChatMessage", "msgId": "7300000000000000001", "roomId": "7300000000000000002"}
    [chat] = douyinlive.parse(json.dumps({"method": "WebcastChatMessage", "common": common, "user": dl_user(),
                                          "content": "上链接"}), NOW)
    assert chat.kind is Kind.COMMENT and chat.content == "上链接" and chat.viewer.uid == "MS4wLjABAAAAwang"
    assert chat.msg_id == "7300000000000000001"
    [gift] = douyinlive.parse({"method": "WebcastGiftMessage", "user": dl_user(), "repeatCount": "3",
                               "gift": {"name": "小心心", "diamondCount": 1}}, NOW)
    assert (gift.kind, gift.gift_count, gift.gift_value) == (Kind.GIFT, 3, 3)
    assert douyinlive.parse({"method": "WebcastMemberMessage", "user": dl_user()}, NOW)[0].kind is Kind.VIEWER_ENTERED
    assert douyinlive.parse({"method": "WebcastSocialMessage", "user": dl_user(), "action": "1"}, NOW)[0].kind \
        is Kind.FOLLOW
    assert douyinlive.parse({"method": "WebcastSocialMessage", "user": dl_user(), "action": "3",
                             "shareType": "1"}, NOW)[0].kind is Kind.SHARE
    assert douyinlive.parse({"method": "WebcastLikeMessage", "user": dl_user(), "count": "7"}, NOW)[0].like_count == 7
    assert douyinlive.parse({"method": "WebcastControlMessage", "action": "3"}, NOW)[0].kind is Kind.STREAM_END
    assert douyinlive.parse({"method": "WebcastControlMessage", "action": "2"}, NOW) == []  # a pause
    assert douyinlive.parse({"method": "WebcastRoomRankMessage", "ranksList": []}, NOW) == []  # not about a viewer
    with pytest.raises(FrameError):
        douyinlive.parse({"method": "WebcastChatMessage", "content": "no user"}, NOW)
    with pytest.raises(FrameError):
        douyinlive.parse({"content": "no method"}, NOW)


def test_douyinlive_room_id_becomes_the_local_address():
    assert douyinlive.url_for("7300000000000000002") == "ws://127.0.0.1:1088/ws/7300000000000000002"
    assert douyinlive.url_for("ws://127.0.0.1:9/ws/1") == "ws://127.0.0.1:9/ws/1"


def test_dycast_array_and_partly_bad_array():
    frame = [
        {"id": "1", "method": "WebcastChatMessage", "user": {"id": "111", "name": "王姐", "gender": 2}, "content": "好"},
        {"id": "2", "method": "WebcastGiftMessage", "user": {"id": "111", "name": "王姐"},
         "gift": {"name": "玫瑰", "count": 5, "price": 1}},
        {"id": "3", "method": "WebcastRoomUserSeqMessage", "room": {"audienceCount": 9}},
    ]
    chat, gift = dycast.parse(json.dumps(frame, ensure_ascii=False), NOW)
    assert chat.kind is Kind.COMMENT and chat.viewer.uid == "111" and chat.viewer.nickname == "王姐"
    assert (gift.gift_name, gift.gift_count, gift.gift_value) == ("玫瑰", 5, 5)
    with pytest.raises(FrameError) as bad:
        dycast.parse([frame[0], "junk", {"method": "WebcastChatMessage"}], NOW)
    assert [e.msg_id for e in bad.value.events] == ["1"]  # the good neighbour survives
    with pytest.raises(FrameError):
        dycast.parse('"a string"', NOW)


def test_own_format_round_trips():
    [event] = barragegrab.parse(bg(5, User=WANG, GiftName="玫瑰", RepeatCount=2, DiamondCount=1), NOW)
    assert PARSERS["livedesk"](event.to_dict(), NOW) == [event]
    assert FeedEvent.from_dict(json.loads(json.dumps(event.to_dict())), NOW) == event
