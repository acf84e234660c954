"""dycast frames: a JSON array of ``{id, method, user:{id,name,gender}, content, gift:{name,count,price}}``.

dycast runs in a browser and *pushes* to a relay address, so LiveDesk listens (see
``source.WebSocketListener``; loopback only unless explicitly allowed). Methods are
Douyin's Webcast names, mapped as for douyinLive. A bad item in an array is skipped
on its own; the rest of the array still counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from livedesk.services.feeds.douyinlive import METHOD_KINDS
from livedesk.services.feeds.events import (
    MAX_VALUE,
    FeedEvent,
    FrameError,
    Kind,
    count,
    ident,
    load_json,
    make_viewer,
    nickname,
    require_dict,
    text,
)

DEFAULT_PORT = 8899
PLATFORM = "douyin"
MAX_ITEMS = 1000  # per frame: a bigger array is not a capture tool talking


def parse(frame: Any, received_at: datetime) -> list[FeedEvent]:
    items = load_json(frame)
    if isinstance(items, dict):  # a lone message, as some dycast builds send
        items = [items]
    if not isinstance(items, list):
        raise FrameError("a dycast frame must be a JSON array")
    if len(items) > MAX_ITEMS:
        raise FrameError(f"{len(items)} messages in one frame")
    events: list[FeedEvent] = []
    errors: list[str] = []
    for item in items:
        try:
            event = _event(require_dict(item, "a dycast message"), received_at)
        except FrameError as exc:
            errors.append(str(exc))
            continue
        if event is not None:
            events.append(event)
    if errors:
        raise FrameError(f"{len(errors)} of {len(items)} messages unreadable: {errors[0]}", events)
    return events


def _event(item: dict[str, Any], received_at: datetime) -> FeedEvent | None:
    method = item.get("method")
    if not isinstance(method, str):
        raise FrameError("a message without a method")
    kind = METHOD_KINDS.get(method)
    if kind is None or kind is Kind.ROOM_STATS:  # dycast relays no room figures
        return None
    user = item.get("user")
    viewer = make_viewer(numeric=user.get("id"), name=user.get("name")) if isinstance(user, dict) else None
    if viewer is None and kind is not Kind.STREAM_END:
        raise FrameError(f"{method} without a user")
    extra: dict[str, Any] = {}
    if kind is Kind.GIFT:
        gift = item.get("gift") if isinstance(item.get("gift"), dict) else {}
        gifts = max(1, count(gift.get("count")))
        extra = {"gift_name": nickname(gift.get("name")), "gift_count": gifts,
                 "gift_value": min(MAX_VALUE, gifts * count(gift.get("price")))}
    elif kind is Kind.LIKE:
        extra = {"like_count": max(1, count(item.get("count")))}
    return FeedEvent(kind, PLATFORM, viewer, received_at, content=text(item.get("content")),
                     msg_id=ident(item.get("id")), **extra)
