"""Who was in a broadcast: feed events tallied in memory, written as appearances in batches.

``AppearanceTally.add`` runs on the loop for every event (a ``FeedSource`` listener, so
events the display buffer drops still count); every few seconds the UI hands
``take()`` to the DB executor and ``record_appearances`` writes the whole batch with
one read and one flush, never one transaction per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from livedesk.models import Appearance
from livedesk.services import changes
from livedesk.services.feeds.events import Kind
from livedesk.services.feeds.source import MatchedEvent

CHUNK = 500  # keys per IN (...): under SQLite's bound-parameter limit


@dataclass
class Tally:
    platform: str
    viewer_key: str
    nickname: str | None
    customer_id: int | None
    match: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    entered: bool = False
    comments: int = 0
    gifts: int = 0
    gift_value: int = 0


class AppearanceTally:
    def __init__(self) -> None:
        self._pending: dict[str, Tally] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, item: MatchedEvent) -> None:
        event, match = item.event, item.match
        viewer = event.viewer
        key = viewer.key if viewer is not None else None
        if key is None:  # the end of the stream, or a viewer with nothing to know them by
            return
        tally = self._pending.get(key)
        if tally is None:
            tally = self._pending[key] = Tally(event.platform, key, viewer.nickname, None, None,
                                               event.received_at, event.received_at)
        tally.last_seen_at = event.received_at
        tally.nickname = viewer.nickname or tally.nickname
        if match.customer is not None and (tally.customer_id is None or match.certain):
            tally.customer_id, tally.match = match.customer.id, match.how
        if event.kind is Kind.VIEWER_ENTERED:
            tally.entered = True
        elif event.kind is Kind.COMMENT:
            tally.comments += 1
        elif event.kind is Kind.GIFT:
            tally.gifts += event.gift_count
            tally.gift_value += event.gift_value

    def forget(self, customer_id: int) -> None:
        """An erased customer's pending appearances are dropped, never recorded."""
        self._pending = {k: t for k, t in self._pending.items() if t.customer_id != customer_id}

    def take(self) -> list[Tally]:
        """What accumulated since the last call; hand it to ``record_appearances``."""
        batch, self._pending = list(self._pending.values()), {}
        return batch


def record_appearances(session: Session, broadcast_id: int, tallies: Sequence[Tally]) -> int:
    """Add a batch to the broadcast's appearances; returns how many viewers were new.

    Set-based (one read per CHUNK keys, one multi-row insert, one update by primary key): a
    room of thousands sends this every few seconds, and row objects would keep the worker,
    and through the GIL the window, busy."""
    table = Appearance.__table__
    existing = {}
    keys = [t.viewer_key for t in tallies]
    for start in range(0, len(keys), CHUNK):
        existing.update((row.viewer_key, row) for row in session.execute(
            select(table.c.id, table.c.viewer_key, table.c.customer_id, table.c.match, table.c.nickname,
                   table.c.entered, table.c.comment_count, table.c.gift_count, table.c.gift_value)
            .where(table.c.broadcast_id == broadcast_id, table.c.viewer_key.in_(keys[start:start + CHUNK]))))
    inserts, updates = [], []
    for t in tallies:
        row = existing.get(t.viewer_key)
        if row is None:
            inserts.append({"broadcast_id": broadcast_id, "platform": t.platform, "viewer_key": t.viewer_key,
                            "nickname": t.nickname, "customer_id": t.customer_id,
                            "match": t.match if t.customer_id is not None else None,
                            "first_seen_at": t.first_seen_at, "last_seen_at": t.last_seen_at,
                            "entered": t.entered, "comment_count": t.comments, "gift_count": t.gifts,
                            "gift_value": t.gift_value})
            continue
        customer_id, match = row.customer_id, row.match
        # A certain match replaces a possible one; nothing replaces a certain (or manual) one.
        if t.customer_id is not None and (customer_id is None or match == "possible"):
            customer_id, match = t.customer_id, t.match
        updates.append({"id": row.id, "last_seen_at": t.last_seen_at, "nickname": t.nickname or row.nickname,
                        "customer_id": customer_id, "match": match, "entered": row.entered or t.entered,
                        "comment_count": row.comment_count + t.comments, "gift_count": row.gift_count + t.gifts,
                        "gift_value": row.gift_value + t.gift_value})
    if inserts:
        session.execute(insert(Appearance), inserts)
    if updates:
        session.execute(update(Appearance), updates)
    owners = {r["customer_id"] for r in (*inserts, *updates) if r["customer_id"] is not None}
    changes.touch(session, changes.CUSTOMER_DATA, owners)  # a customer page shows their broadcasts
    return len(inserts)
