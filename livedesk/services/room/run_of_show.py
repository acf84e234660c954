"""The run-of-show (排品): products, lucky draws and flash deals in order with planned minutes.

Planned before the stream (``plan``), marked during it ("now: item N", ``mark_now``: the
previous item ends when the next starts) and read afterwards (``items``) to draw the
segments on the audience curve and count intents per product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from livedesk.models import Broadcast, RunOfShowItem
from livedesk.models.base import utcnow
from livedesk.services import changes
from livedesk.services.errors import Refused

KINDS = ("product", "draw", "flash")


class RunOfShowError(Refused):
    """A plan or a mark that cannot be (no such broadcast, an unknown kind, no such position)."""


@dataclass(frozen=True)
class PlannedItem:
    kind: str
    title: str
    planned_minutes: int
    product_id: int | None = None


@dataclass(frozen=True)
class ItemView:
    position: int
    kind: str
    title: str
    planned_minutes: int
    product_id: int | None
    started_at: datetime | None
    ended_at: datetime | None


def _view(row: RunOfShowItem) -> ItemView:
    return ItemView(row.position, row.kind, row.title, row.planned_minutes, row.product_id, row.started_at,
                    row.ended_at)


def plan(session: Session, broadcast_id: int, planned: Sequence[PlannedItem]) -> list[ItemView]:
    """Replace the broadcast's run-of-show with ``planned``, numbered 1, 2, 3 ... in order."""
    if session.get(Broadcast, broadcast_id) is None:
        raise RunOfShowError("not_found", f"broadcast {broadcast_id} does not exist")
    for n, item in enumerate(planned, 1):
        if item.kind not in KINDS:
            raise RunOfShowError("unknown_kind", f"line {n}: unknown kind {item.kind!r}; choose one of {', '.join(KINDS)}",
                                 line=n, kind=item.kind)
        if not item.title.strip():
            raise RunOfShowError("title_required", f"line {n}: a title is needed", line=n)
        if item.planned_minutes < 0:
            raise RunOfShowError("negative_minutes", f"line {n}: planned minutes cannot be negative", line=n)
    session.execute(delete(RunOfShowItem).where(RunOfShowItem.broadcast_id == broadcast_id))
    changes.touch(session, "run_of_show_items")  # a bulk delete: the change set names the table
    rows = [RunOfShowItem(broadcast_id=broadcast_id, position=n, kind=i.kind, title=i.title.strip()[:100],
                          product_id=i.product_id, planned_minutes=i.planned_minutes)
            for n, i in enumerate(planned, 1)]
    session.add_all(rows)
    session.flush()
    return [_view(r) for r in rows]


def items(session: Session, broadcast_id: int) -> list[ItemView]:
    return [_view(r) for r in session.scalars(select(RunOfShowItem).where(
        RunOfShowItem.broadcast_id == broadcast_id).order_by(RunOfShowItem.position))]


def mark_now(session: Session, broadcast_id: int, position: int, now: datetime | None = None) -> ItemView:
    """Item ``position`` is on air from ``now``; the one on air before ends now."""
    now = now or utcnow()
    rows = {r.position: r for r in session.scalars(select(RunOfShowItem).where(
        RunOfShowItem.broadcast_id == broadcast_id))}
    row = rows.get(position)
    if row is None:
        raise RunOfShowError("no_item", f"the run-of-show has no item {position}", position=position)
    for other in rows.values():
        if other is not row and other.started_at is not None and other.ended_at is None:
            other.ended_at = now
    row.started_at, row.ended_at = now, None
    session.flush()
    return _view(row)


def position_at(segments: Sequence[ItemView], moment: datetime, end: datetime | None = None) -> int | None:
    """The item on air at ``moment`` (an item without an end lasts until ``end`` or forever)."""
    on_air = None
    for item in segments:
        if item.started_at is None or item.started_at > moment:
            continue
        stop = item.ended_at or end
        if stop is None or moment < stop:
            if on_air is None or item.started_at >= on_air.started_at:
                on_air = item
    return on_air.position if on_air else None


def example_plan() -> list[PlannedItem]:
    """The playbook's example: 2 hours, 5 main products, 2 lucky draws, 3 flash deals."""
    return [
        PlannedItem("draw", "开场福袋", 5), PlannedItem("product", "主推 1", 15), PlannedItem("flash", "限时秒杀 1", 5),
        PlannedItem("product", "主推 2", 15), PlannedItem("product", "主推 3", 15), PlannedItem("flash", "限时秒杀 2", 5),
        PlannedItem("draw", "中场抽奖", 5), PlannedItem("product", "主推 4", 15), PlannedItem("product", "主推 5", 15),
        PlannedItem("flash", "限时秒杀 3", 5),
    ]
