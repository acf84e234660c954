"""The one internal feed event every adapter produces, and the untrusted-input helpers.

Capture tools are third-party programs whose frames we do not control: every field is
checked for type and clipped to the length the store can hold, and anything that does
not make sense raises ``FrameError`` so the runner counts the frame as skipped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

MAX_ID = 160  # Appearance.viewer_key holds 160 characters
MAX_NICKNAME = 100  # Customer.nickname / PlatformAccount.nickname
MAX_CONTENT = 500
MAX_COUNT = 1_000_000  # a gift combo or like burst larger than this is a corrupt frame
MAX_VALUE = 10_000_000_000  # diamonds: count x unit price, still far below 64-bit limits


class Kind(StrEnum):
    VIEWER_ENTERED = "viewer_entered"
    COMMENT = "comment"
    GIFT = "gift"
    LIKE = "like"
    FOLLOW = "follow"
    SHARE = "share"
    STREAM_END = "stream_end"
    ROOM_STATS = "room_stats"  # the room's figures (online now, viewers so far): no viewer


class FrameError(ValueError):
    """A frame that cannot be understood; the runner counts it and moves on.

    A batch frame (dycast sends arrays) with some bad items carries the good ones in
    ``events``, so one bad item does not cost its neighbours.
    """

    def __init__(self, message: str, events: list[FeedEvent] | None = None) -> None:
        super().__init__(message)
        self.events = events or []


@dataclass(frozen=True, slots=True)
class Viewer:
    uid: str | None  # the stable id: SecUid when the tool gives one, else the numeric id, as TEXT
    numeric_id: str | None = None  # the platform's numeric user id, also tried when matching by id
    short_id: str | None = None  # old numeric 抖音号
    display_id: str | None = None  # the handle people see and type
    nickname: str | None = None

    @property
    def key(self) -> str | None:
        """What an appearance is keyed by: the stable id, or ``nick:<name>`` without one."""
        if self.uid:
            return self.uid
        return f"nick:{self.nickname}"[:MAX_ID] if self.nickname else None


@dataclass(frozen=True, slots=True)
class FeedEvent:
    kind: Kind
    platform: str
    viewer: Viewer | None
    received_at: datetime  # UTC, when LiveDesk read the frame
    content: str | None = None
    gift_name: str | None = None
    gift_count: int = 0
    gift_value: int = 0  # total, in the platform's currency (diamonds)
    like_count: int = 0
    room_id: str | None = None
    msg_id: str | None = None
    online: int = 0  # room_stats: viewers in the room now
    total_viewers: int = 0  # room_stats: viewers since the stream began, as the platform counts them

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Any, received_at: datetime | None = None) -> FeedEvent:
        """The inverse of ``to_dict``, validated: it also reads replay files of our own format."""
        if not isinstance(data, dict):
            raise FrameError("an event must be a JSON object")
        try:
            kind = Kind(data.get("kind"))
        except ValueError:
            raise FrameError(f"unknown event kind {data.get('kind')!r}") from None
        raw_viewer = data.get("viewer")
        viewer = None
        if isinstance(raw_viewer, dict):
            viewer = Viewer(ident(raw_viewer.get("uid")), ident(raw_viewer.get("numeric_id")),
                            ident(raw_viewer.get("short_id")), ident(raw_viewer.get("display_id")),
                            nickname(raw_viewer.get("nickname")))
        return cls(kind, ident(data.get("platform")) or "douyin", viewer, received_at or utc_now(),
                   content=text(data.get("content")), gift_name=text(data.get("gift_name"), MAX_NICKNAME),
                   gift_count=count(data.get("gift_count")), gift_value=count(data.get("gift_value"), MAX_VALUE),
                   like_count=count(data.get("like_count")), room_id=ident(data.get("room_id")),
                   msg_id=ident(data.get("msg_id")), online=count(data.get("online"), MAX_VALUE),
                   total_viewers=count(data.get("total_viewers"), MAX_VALUE))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def load_json(frame: Any) -> Any:
    """A frame as JSON: text and bytes are parsed, an already-decoded value (replay) is kept."""
    if isinstance(frame, bytes | bytearray):
        try:
            frame = frame.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError(f"not UTF-8: {exc.reason}") from None
    if isinstance(frame, str):
        try:
            return json.loads(frame)
        except (ValueError, RecursionError) as exc:  # RecursionError: hostile nesting depth
            raise FrameError(f"not JSON: {str(exc)[:80]}") from None
    return frame


def ident(value: Any) -> str | None:
    """An id as TEXT. 64-bit ids arrive as JSON numbers or strings; both become the same text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if value else None  # 0 means "not set" in protobuf-derived frames
    if isinstance(value, str):
        value = value.strip()
        if not value or value == "0" or len(value) > MAX_ID or not value.isprintable():
            return None
        return value
    return None


def text(value: Any, limit: int = MAX_CONTENT) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()
    return cleaned[:limit] or None


def nickname(value: Any) -> str | None:
    return text(value, MAX_NICKNAME)


def count(value: Any, limit: int = MAX_COUNT) -> int:
    """A non-negative count; protojson sends int64 as strings."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    if value < 0 or value > limit:
        raise FrameError(f"count out of range: {value}")
    return value


def make_viewer(*, numeric: Any = None, sec_uid: Any = None, short_id: Any = None, display_id: Any = None,
                name: Any = None) -> Viewer | None:
    """A viewer from raw fields, or None when nothing identifies them at all."""
    numeric_id = ident(numeric)
    viewer = Viewer(ident(sec_uid) or numeric_id, numeric_id, ident(short_id), ident(display_id), nickname(name))
    return viewer if (viewer.uid or viewer.display_id or viewer.short_id or viewer.nickname) else None


def normalise_name(name: str | None) -> str:
    """How nicknames are compared: full-width folded, case-insensitive, no edge spaces."""
    return unicodedata.normalize("NFKC", name or "").strip().casefold()


_COUNT_TEXT = re.compile(r"(\d+(?:[.,]\d+)*)\s*([wW万])?")


def count_text(value: Any) -> int:
    """A count as the platforms print it: 12345, "1.2w", "1.2万", "1,234"; 0 when unreadable.

    "1,2w" (a comma before 万/w) is a decimal comma, as some capture tools print it.
    """
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip().isdigit():
        return count(int(str(value).strip()), MAX_VALUE)
    if not isinstance(value, str):
        return 0
    m = _COUNT_TEXT.search(value)
    if m is None:
        return 0
    digits, unit = m.groups()
    if unit:
        number = float(digits.replace(",", ".", 1).replace(",", "")) * 10_000
    else:
        number = float(digits.replace(",", ""))
    return min(MAX_VALUE, int(round(number)))


# Viewers the platform hides: a masked nickname ("用户***", "抖音用户8***2") or a placeholder id.
_MASKED = re.compile(r"^(用户|用戶|user|匿名|神秘人|抖音用户)?[\w]{0,4}\*{2,}[\w]{0,4}$|^匿名(用户|观众)?$",
                     re.IGNORECASE)
_PLACEHOLDER_IDS = frozenset({"0", "-1", "111111", "123456", "anonymous", "null", "none", "undefined"})


def is_anonymous(viewer: Viewer | None) -> bool:
    """A viewer the platform hid ("用户***", "匿名用户") or gave a placeholder id: never a customer."""
    if viewer is None:
        return True
    if viewer.uid is not None and viewer.uid.strip().lower() in _PLACEHOLDER_IDS:
        return not (viewer.display_id or viewer.short_id)
    name = viewer.nickname or ""
    if name and _MASKED.match(name):
        return True
    return viewer.uid is None and viewer.display_id is None and viewer.short_id is None and not name


def require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FrameError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value
