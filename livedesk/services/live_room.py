"""The live room shared by every screen: cards pushed to the host panel and who just arrived.

Neither is a row anyone needs later; both are events in the change feed, written in a tiny
writing unit of work, so the host's PC shows the card an assistant pushed from a laptop and
every machine's "just arrived" queue follows the one machine that records the capture feed.
A client that reconnects reads them from the change log like any other change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from livedesk.services import changes

ARRIVALS_PER_EVENT = 40  # the queue shows this many: more would only be pushed out again


def push(session: Session, customer_id: int, broadcast_id: int | None = None) -> None:
    """Put this customer's card on every open host panel."""
    changes.emit(session, "push", customer_id=int(customer_id), broadcast_id=broadcast_id)


def publish_arrivals(session: Session, arrivals: Iterable[Mapping[str, Any]], broadcast_id: int | None) -> None:
    """Known viewers who just arrived or spoke, as the recording machine matched them."""
    batch = [dict(a) for a in arrivals][-ARRIVALS_PER_EVENT:]
    if batch:
        changes.emit(session, "arrivals", broadcast_id=broadcast_id, arrivals=batch)
