"""The audience curve: the room's figures per minute, tallied in memory and written in batches.

``AudienceTally.add`` is a feed listener: room-stats frames give the online count (the
last one in a minute stands for it), entries, comments, gifts and likes are counted.
Comments' intents are kept as rows to write too (``CommentIntent``), with the run-of-show
position on air. ``record`` adds a batch to the store, merging minutes already written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from livedesk.models import BroadcastMinute, CommentIntent
from livedesk.services import changes
from livedesk.services.feeds.events import Kind
from livedesk.services.feeds.source import MatchedEvent
from livedesk.services.room.health import is_anonymous


@dataclass
class Minute:
    minute: datetime
    online: int = 0
    total_viewers: int = 0
    entries: int = 0
    comments: int = 0
    gifts: int = 0
    gift_value: int = 0
    likes: int = 0


@dataclass(frozen=True)
class IntentRow:
    intent: str
    position: int | None
    viewer_key: str
    customer_id: int | None
    at: datetime


@dataclass
class AudienceBatch:
    minutes: list[Minute] = field(default_factory=list)
    intents: list[IntentRow] = field(default_factory=list)


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


class AudienceTally:
    def __init__(self) -> None:
        self.position: int | None = None  # the run-of-show item on air, set by the console
        self._minutes: dict[datetime, Minute] = {}
        self._intents: list[IntentRow] = []

    def add(self, item: MatchedEvent) -> None:
        event = item.event
        key = minute_of(event.received_at)
        m = self._minutes.get(key)
        if m is None:
            m = self._minutes[key] = Minute(key)
        kind = event.kind
        if kind is Kind.ROOM_STATS:
            m.online = event.online or m.online
            m.total_viewers = max(m.total_viewers, event.total_viewers)
        elif kind is Kind.VIEWER_ENTERED:
            m.entries += 1
        elif kind is Kind.COMMENT:
            m.comments += 1
            if item.intents and event.viewer is not None and event.viewer.key is not None:
                customer = item.match.customer if item.match.certain and not is_anonymous(event.viewer) else None
                for intent in item.intents:
                    self._intents.append(IntentRow(intent, self.position, event.viewer.key,
                                                   customer.id if customer else None, event.received_at))
        elif kind is Kind.GIFT:
            m.gifts += event.gift_count
            m.gift_value += event.gift_value
        elif kind is Kind.LIKE:
            m.likes += event.like_count

    def take(self) -> AudienceBatch:
        batch = AudienceBatch(list(self._minutes.values()), self._intents)
        self._minutes, self._intents = {}, []
        return batch


def record(session: Session, broadcast_id: int, batch: AudienceBatch) -> None:
    """Add a batch to the broadcast's curve and intents (minutes seen before are merged)."""
    if batch.minutes:
        keys = [m.minute for m in batch.minutes]
        existing = {row.minute: row for row in session.scalars(select(BroadcastMinute).where(
            BroadcastMinute.broadcast_id == broadcast_id, BroadcastMinute.minute.in_(keys)))}
        for m in batch.minutes:
            row = existing.get(m.minute)
            if row is None:
                row = BroadcastMinute(broadcast_id=broadcast_id, minute=m.minute, online=0, total_viewers=0,
                                      entries=0, comments=0, gifts=0, gift_value=0, likes=0)
                session.add(row)
            row.online = m.online or row.online
            row.total_viewers = max(row.total_viewers, m.total_viewers)
            row.entries += m.entries
            row.comments += m.comments
            row.gifts += m.gifts
            row.gift_value += m.gift_value
            row.likes += m.likes
    if batch.intents:  # hundreds a flush in a busy room: one multi-row insert, not row objects
        session.execute(insert(CommentIntent), [
            {"broadcast_id": broadcast_id, "intent": r.intent, "position": r.position, "viewer_key": r.viewer_key,
             "customer_id": r.customer_id, "at": r.at} for r in batch.intents])
        changes.touch(session, changes.CUSTOMER_DATA, {r.customer_id for r in batch.intents if r.customer_id})
    session.flush()


@dataclass(frozen=True)
class CurvePoint:
    minute: datetime
    online: int
    entries: int
    comments: int
    gifts: int
    likes: int


def curve(session: Session, broadcast_id: int) -> list[CurvePoint]:
    """The broadcast's minutes in order; a minute with no stats frame carries the last online count."""
    points: list[CurvePoint] = []
    online = 0
    for row in session.scalars(select(BroadcastMinute).where(BroadcastMinute.broadcast_id == broadcast_id)
                               .order_by(BroadcastMinute.minute)):
        online = row.online or online
        points.append(CurvePoint(row.minute, online, row.entries, row.comments, row.gifts, row.likes))
    return points
