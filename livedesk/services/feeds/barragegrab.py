"""BarrageGrab (Douyin) frames: ``{"Type": int, "ProcessName": str, "Data": "<JSON string>"}``.

LiveDesk is the client (``ws://127.0.0.1:8888`` by default). ``Data`` is JSON *inside a
string*, so each frame is decoded twice. Type 6 (room statistics) carries no viewer
and is ignored; type 7 (joined the fan club) is reported as a follow, the nearest kind.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from livedesk.services.feeds.events import (
    MAX_VALUE,
    FeedEvent,
    FrameError,
    Kind,
    Viewer,
    count,
    count_text,
    ident,
    load_json,
    make_viewer,
    nickname,
    require_dict,
    text,
)

DEFAULT_URL = "ws://127.0.0.1:8888"
PLATFORM = "douyin"
KINDS = {1: Kind.COMMENT, 2: Kind.LIKE, 3: Kind.VIEWER_ENTERED, 4: Kind.FOLLOW, 5: Kind.GIFT,
         7: Kind.FOLLOW, 8: Kind.SHARE, 9: Kind.STREAM_END}
STATS = 6
_STATS_TEXT = re.compile(r"当前[^\d]*([\d.,]+\s*[w万]?)[^\d]*累计[^\d]*([\d.,]+\s*[w万]?)")


def parse(frame: Any, received_at: datetime) -> list[FeedEvent]:
    outer = require_dict(load_json(frame), "a BarrageGrab frame")
    kind_code = outer.get("Type")
    if isinstance(kind_code, bool) or not isinstance(kind_code, int):
        raise FrameError(f"Type must be an integer, got {kind_code!r}"[:120])
    if kind_code == STATS:
        return [_stats(require_dict(load_json(outer.get("Data")), "Data"), received_at)]
    kind = KINDS.get(kind_code)
    if kind is None:
        raise FrameError(f"unknown Type {kind_code}")
    data = require_dict(load_json(outer.get("Data")), "Data")
    user = data.get("User")
    viewer = _viewer(user) if isinstance(user, dict) else None
    if viewer is None and kind is not Kind.STREAM_END:
        raise FrameError("a viewer event without a User")
    extra: dict[str, Any] = {}
    if kind is Kind.GIFT:
        # RepeatCount is the combo so far; GiftCount the group size (1 for most gifts).
        gifts = max(1, count(data.get("GiftCount"))) * max(1, count(data.get("RepeatCount")))
        extra = {"gift_name": nickname(data.get("GiftName")), "gift_count": gifts,
                 "gift_value": min(MAX_VALUE, gifts * count(data.get("DiamondCount")))}
    elif kind is Kind.LIKE:
        extra = {"like_count": max(1, count(data.get("Count")))}
    return [FeedEvent(kind, PLATFORM, viewer, received_at, content=text(data.get("Content")),
                      room_id=ident(data.get("RoomId")), msg_id=ident(data.get("MsgId")), **extra)]


def _stats(data: dict[str, Any], received_at: datetime) -> FeedEvent:
    online = count_text(data.get("OnlineUserCount") or data.get("OnlineUserCountStr"))
    total = count_text(data.get("TotalUserCount") or data.get("TotalUserCountStr"))
    if not online and isinstance(data.get("Content"), str) and (m := _STATS_TEXT.search(data["Content"])):
        online, total = count_text(m.group(1)), count_text(m.group(2))
    return FeedEvent(Kind.ROOM_STATS, PLATFORM, None, received_at, room_id=ident(data.get("RoomId")),
                     msg_id=ident(data.get("MsgId")), online=online, total_viewers=total)


def _viewer(user: dict[str, Any]) -> Viewer | None:
    return make_viewer(numeric=user.get("Id"), sec_uid=user.get("SecUid"), short_id=user.get("ShortId"),
                       display_id=user.get("DisplayId"), name=user.get("Nickname"))
