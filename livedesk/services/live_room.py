"""The live room shared by every screen: cards pushed to the host panel, who just arrived,
who was greeted, and which machine records the capture feed.

None of these is a row anyone needs later; each is an event in the change feed, written in a
tiny writing unit of work, so the host's PC shows the card an assistant pushed from a laptop
and every machine's "just arrived" queue follows the one machine that records the capture
feed. A client that reconnects reads them from the change log like any other change.

Event kinds (``ChangeSet.events_of``):

- ``push``: ``customer_id``, ``broadcast_id``: put this card on every open host panel.
- ``arrivals``: ``broadcast_id``, ``arrivals`` (a list of ``arrival_payload`` dicts, best
  first): what the recorder matched since its last batch.
- ``greeted``: ``broadcast_id``, ``customer_id`` (``broadcasts.mark_greeted`` emits it).
- ``recorder_beat``: ``broadcast_id``: the recorder is alive (see ``broadcasts.claim_recorder``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import ChangeLogEntry
from livedesk.services import changes

ARRIVALS_PER_EVENT = 40  # the queue shows this many: more would only be pushed out again
# Fields of one arrival in an "arrivals" event, short: a busy room writes a batch every 250 ms.
ARRIVAL_FIELDS = ("cid", "nick", "tier", "level", "vip", "how", "platform", "uid", "handle", "name", "kind",
                  "text", "at")
CATCH_UP_LOG_ROWS = 200  # how far back a client that opens mid-broadcast looks for the queue


def push(session: Session, customer_id: int, broadcast_id: int | None = None) -> None:
    """Put this customer's card on every open host panel."""
    changes.emit(session, "push", customer_id=int(customer_id), broadcast_id=broadcast_id)


def arrival_payload(*, customer_id: int | None, nickname: str | None, tier: str | None, level: str | None,
                    vip: bool, how: str | None, platform: str, uid: str | None, handle: str | None, name: str,
                    kind: str, text: str | None, at: float) -> dict[str, Any]:
    """One matched arrival as it travels: ``at`` is the wall clock (epoch seconds) when the
    recorder read it, so every machine ages it alike. Empty fields are left out."""
    values = (customer_id, nickname, tier, level, vip or None, how, platform, uid, handle, name, kind, text,
              round(at, 3))
    return {k: v for k, v in zip(ARRIVAL_FIELDS, values) if v is not None}


def publish_arrivals(session: Session, arrivals: Iterable[Mapping[str, Any]], broadcast_id: int | None) -> None:
    """Known viewers who just arrived or spoke, as the recording machine matched them, best
    first (the queue's own order); only the first ``ARRIVALS_PER_EVENT`` could be shown."""
    batch = [dict(a) for a in arrivals][:ARRIVALS_PER_EVENT]
    if batch:
        changes.emit(session, "arrivals", broadcast_id=broadcast_id, arrivals=batch)


def beat(session: Session, broadcast_id: int) -> None:
    """The recorder is still there: a crashed one stops beating and its claim goes stale."""
    changes.emit(session, "recorder_beat", broadcast_id=int(broadcast_id))


def recent_arrivals(session: Session, broadcast_id: int, rows: int = CATCH_UP_LOG_ROWS) -> list[dict[str, Any]]:
    """The arrivals published for this broadcast in the change log's last ``rows`` entries,
    oldest first: the queue of a client that opens mid-broadcast.

    (The last rows of the whole log, by its primary key: older arrivals would be pushed out
    of the queue anyway.)"""
    payloads = session.scalars(select(ChangeLogEntry.payload).order_by(ChangeLogEntry.id.desc()).limit(rows)).all()
    found: list[dict[str, Any]] = []
    for payload in reversed(payloads):
        for event in (payload or {}).get("events") or ():
            if event.get("kind") == "arrivals" and event.get("broadcast_id") == broadcast_id:
                found.extend(event.get("arrivals") or ())
    return found
