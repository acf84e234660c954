"""The run-of-show (排品): products, lucky draws and flash deals in order with planned minutes.

Planned before the stream (``plan``; a line may name a product of the catalogue, the
editor picks from ``catalogue``), marked during it ("now: item N", ``mark_now``: the
previous item ends when the next starts) and read afterwards (``items``) to draw the
segments on the audience curve, count intents per product and set planned against
actual minutes. ``example_plan`` is the playbook's two hours, in the store's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from livedesk.models import Broadcast, Order, OrderItem, Product, RunOfShowItem
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import changes, shop_words
from livedesk.services.errors import Refused

KINDS = ("product", "draw", "flash")


MAX_MINUTES = 600  # a line longer than ten hours is a typing slip
EXAMPLE_SALES_DAYS = 90  # the example's main products: the best sellers of this many days


class RunOfShowError(Refused):
    """A plan or a mark that cannot be (no such broadcast, an unknown kind or product, no such position)."""


@dataclass(frozen=True)
class PlannedItem:
    kind: str
    title: str
    planned_minutes: int
    product_id: int | None = None
    was: int | None = None  # its position before this plan: a line already on air keeps its marks


@dataclass(frozen=True)
class ItemView:
    position: int
    kind: str
    title: str
    planned_minutes: int
    product_id: int | None
    started_at: datetime | None
    ended_at: datetime | None

    def actual_minutes(self, end: datetime | None = None) -> int | None:
        """How long it was on air (until ``end`` when it was never ended); None if never marked."""
        stop = self.ended_at or end
        if self.started_at is None or stop is None:
            return None
        return max(0, round((stop - self.started_at).total_seconds() / 60))


@dataclass(frozen=True)
class ProductChoice:
    """A product the editor offers: the best sellers first."""

    id: int
    name: str
    price_fen: int
    stock: int | None


def _view(row: RunOfShowItem) -> ItemView:
    return ItemView(row.position, row.kind, row.title, row.planned_minutes, row.product_id, row.started_at,
                    row.ended_at)


def catalogue(session: Session, days: int = EXAMPLE_SALES_DAYS, now: datetime | None = None) -> list[ProductChoice]:
    """Active products, the most sold in the last ``days`` first, then by name."""
    since = (now or utcnow()) - timedelta(days=days)
    sold = (select(OrderItem.product_id, func.sum(OrderItem.quantity).label("units"))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.ordered_at >= since, Order.status.in_(SPEND_STATUSES), OrderItem.product_id.is_not(None))
            .group_by(OrderItem.product_id).subquery())
    rows = session.execute(
        select(Product.id, Product.name, Product.price_fen, Product.stock)
        .outerjoin(sold, sold.c.product_id == Product.id).where(Product.active)
        .order_by(func.coalesce(sold.c.units, 0).desc(), Product.name, Product.id)).all()
    return [ProductChoice(*r) for r in rows]


def _titles(session: Session, planned: Sequence[PlannedItem]) -> list[str]:
    """Each line's title (a product line may go by its product's name); refuses a bad line by number."""
    ids = {i.product_id for i in planned if i.product_id is not None}
    names = dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(ids))).all()) if ids else {}
    titles = []
    for n, item in enumerate(planned, 1):
        if item.kind not in KINDS:
            raise RunOfShowError("unknown_kind", f"line {n}: unknown kind {item.kind!r}; choose one of {', '.join(KINDS)}",
                                 line=n, kind=item.kind)
        if item.product_id is not None and item.product_id not in names:
            raise RunOfShowError("no_product", f"line {n}: product {item.product_id} does not exist", line=n,
                                 product_id=item.product_id)
        title = item.title.strip() or names.get(item.product_id, "")
        if not title:
            raise RunOfShowError("title_required", f"line {n}: a title is needed", line=n)
        if not 0 <= item.planned_minutes <= MAX_MINUTES:
            raise RunOfShowError("bad_minutes", f"line {n}: planned minutes must be 0 to {MAX_MINUTES}", line=n,
                                 most=MAX_MINUTES)
        titles.append(title[:100])
    return titles


def plan(session: Session, broadcast_id: int, planned: Sequence[PlannedItem]) -> list[ItemView]:
    """Replace the broadcast's run-of-show with ``planned``, numbered 1, 2, 3 ... in order."""
    if session.get(Broadcast, broadcast_id) is None:
        raise RunOfShowError("not_found", f"broadcast {broadcast_id} does not exist")
    titles = _titles(session, planned)
    marks = {r.position: (r.started_at, r.ended_at) for r in session.scalars(
        select(RunOfShowItem).where(RunOfShowItem.broadcast_id == broadcast_id))}
    session.execute(delete(RunOfShowItem).where(RunOfShowItem.broadcast_id == broadcast_id))
    changes.touch(session, "run_of_show_items")  # a bulk delete: the change set names the table
    rows = [RunOfShowItem(broadcast_id=broadcast_id, position=n, kind=i.kind, title=title,
                          product_id=i.product_id, planned_minutes=i.planned_minutes,
                          started_at=marks.get(i.was, (None, None))[0], ended_at=marks.get(i.was, (None, None))[1])
            for n, (i, title) in enumerate(zip(planned, titles), 1)]
    session.add_all(rows)
    session.flush()
    return [_view(r) for r in rows]


# -- the next broadcast's plan, made before it starts ----------------------------------------
DRAFT_KEY = "run_of_show.next"


def save_draft(session: Session, planned: Sequence[PlannedItem]) -> list[PlannedItem]:
    """Plan the next broadcast before it starts; the broadcast takes it when it begins (``adopt_draft``)."""
    from livedesk.services import settings

    titles = _titles(session, planned)
    kept = [PlannedItem(i.kind, title, i.planned_minutes, i.product_id) for i, title in zip(planned, titles)]
    settings.set_value(session, DRAFT_KEY, [{"kind": i.kind, "title": i.title, "minutes": i.planned_minutes,
                                             "product_id": i.product_id} for i in kept])
    return kept


def draft(session: Session) -> list[PlannedItem]:
    from livedesk.services import settings

    return [PlannedItem(d["kind"], d["title"], int(d["minutes"]), d.get("product_id"))
            for d in settings.get(session, DRAFT_KEY) or []]


def adopt_draft(session: Session, broadcast_id: int) -> list[ItemView]:
    """A broadcast with no run-of-show of its own takes the next broadcast's plan (once)."""
    from livedesk.services import settings

    if items(session, broadcast_id):
        return items(session, broadcast_id)
    planned = draft(session)
    if not planned:
        return []
    existing = {p for p in (i.product_id for i in planned) if p is not None}
    live = set(session.scalars(select(Product.id).where(Product.id.in_(existing)))) if existing else set()
    # A product deleted since the plan was made: the line stays, by its title, without the link.
    planned = [i if i.product_id in live or i.product_id is None else PlannedItem(i.kind, i.title, i.planned_minutes)
               for i in planned]
    adopted = plan(session, broadcast_id, planned)
    settings.set_value(session, DRAFT_KEY, [])
    return adopted


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


def example_plan(session: Session | None = None, now: datetime | None = None) -> list[PlannedItem]:
    """The playbook's example: 2 hours, 5 main products, 2 lucky draws, 3 flash deals, in the store's
    language; with a store, its five best sellers are the main products."""
    words = shop_words.shop_words(session) if session is not None else shop_words.ZH
    best = catalogue(session, now=now) if session is not None else []
    mains = sum(1 for kind, _t, _m in words.run_of_show if kind == "product")
    # The best sellers are the main products; the next ones go on flash sale.
    offers = {"product": iter(best[:mains]), "flash": iter(best[mains:])}
    plan = []
    for kind, title, minutes in words.run_of_show:
        product = next(offers[kind], None) if kind in offers else None
        plan.append(PlannedItem(kind, product.name if product else title, minutes,
                                product.id if product else None))
    return plan
