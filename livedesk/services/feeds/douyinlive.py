"""douyinLive frames: protojson of Douyin's Webcast messages, keyed by ``method``.

LiveDesk is the client of ``ws://127.0.0.1:1088/ws/<room_id>``. Fields are
lowerCamelCase and 64-bit ids arrive as strings. Douyin has dozens of message types
(rank lists, room stats...): the ones that say nothing about a viewer are ignored,
not counted as malformed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from livedesk.services.feeds.events import (
    MAX_VALUE,
    FeedEvent,
    FrameError,
    Kind,
    count,
    count_text,
    ident,
    load_json,
    make_viewer,
    nickname,
    require_dict,
    text,
)

DEFAULT_PORT = 1088
PLATFORM = "douyin"
# Shared with dycast, which relays the same Douyin message names.
METHOD_KINDS = {
    "WebcastChatMessage": Kind.COMMENT,
    "WebcastEmojiChatMessage": Kind.COMMENT,
    "WebcastMemberMessage": Kind.VIEWER_ENTERED,
    "WebcastGiftMessage": Kind.GIFT,
    "WebcastLikeMessage": Kind.LIKE,
    "WebcastSocialMessage": Kind.FOLLOW,  # or a share, by its action
    "WebcastFansclubMessage": Kind.FOLLOW,
    "WebcastControlMessage": Kind.STREAM_END,  # only action 3; pause/resume are ignored
    "WebcastRoomUserSeqMessage": Kind.ROOM_STATS,  # total: online now; totalUser: viewers so far
}
FOLLOW_ACTION = 1
CONTROL_END_ACTION = 3


def url_for(target: str) -> str:
    """A room id becomes the local douyinLive address; a full ws:// URL is kept."""
    if target.startswith(("ws://", "wss://")):
        return target
    return f"ws://127.0.0.1:{DEFAULT_PORT}/ws/{target.strip('/')}"


def parse(frame: Any, received_at: datetime) -> list[FeedEvent]:
    message = require_dict(load_json(frame), "a douyinLive frame")
    common = message.get("common") if isinstance(message.get("common"), dict) else {}
    method = message.get("method") or common.get("method")
    if not isinstance(method, str):
        raise FrameError("a frame without a method")
    kind = METHOD_KINDS.get(method)
    if kind is None:
        return []
    if kind is Kind.ROOM_STATS:
        return [FeedEvent(kind, PLATFORM, None, received_at, room_id=ident(common.get("roomId")),
                          msg_id=ident(common.get("msgId")), online=count_text(message.get("total")),
                          total_viewers=count_text(message.get("totalUser") or message.get("totalPvForAnchor")))]
    if kind is Kind.STREAM_END:
        if count(message.get("action")) != CONTROL_END_ACTION:
            return []
    elif method == "WebcastSocialMessage":
        action = count(message.get("action"))  # protojson omits 0: no action means a follow
        if (action and action != FOLLOW_ACTION) or message.get("shareType"):
            kind = Kind.SHARE
    user = message.get("user")
    viewer = None
    if isinstance(user, dict):
        viewer = make_viewer(numeric=user.get("id") or user.get("idStr"), sec_uid=user.get("secUid"),
                             short_id=user.get("shortId"), display_id=user.get("displayId"),
                             name=user.get("nickname"))
    if viewer is None and kind is not Kind.STREAM_END:
        raise FrameError(f"{method} without a user")
    extra: dict[str, Any] = {}
    content = message.get("content")
    if kind is Kind.GIFT:
        gift = message.get("gift") if isinstance(message.get("gift"), dict) else {}
        gifts = max(1, count(message.get("groupCount"))) * max(1, count(message.get("repeatCount")))
        extra = {"gift_name": nickname(gift.get("name")), "gift_count": gifts,
                 "gift_value": min(MAX_VALUE, gifts * count(gift.get("diamondCount")))}
    elif kind is Kind.LIKE:
        extra = {"like_count": max(1, count(message.get("count")))}
    elif method == "WebcastEmojiChatMessage":
        content = message.get("defaultContent")
    return [FeedEvent(kind, PLATFORM, viewer, received_at, content=text(content),
                      room_id=ident(common.get("roomId")), msg_id=ident(common.get("msgId")), **extra)]
