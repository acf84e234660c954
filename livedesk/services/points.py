"""Growth value (成长值): the points ledger's rules — spend, refunds, interactions, perks.

Every change is a ledger row with a (customer, reason, ref) that is unique, so running
any of these twice never pays twice. Interactions are capped per kind per local day.
Spending points on perks is services/loyalty/perks.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from livedesk.models import Order, PointsEntry
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings

REFUND_STATUSES = ("refunded", "cancelled")


class PointsError(ValueError):
    """A points change that is not allowed (an interaction that earns nothing)."""


def ref_of(entry_id: Any) -> Any:
    """An entry id (or order id) as the ledger's ``ref`` text, for comparing in SQL."""
    return func.cast(entry_id, PointsEntry.ref.type)


def balance(session: Session, customer_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                              .where(PointsEntry.customer_id == customer_id)))


COUNTED = {"preserve_rowcount": True}


def settle_orders(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Points for every kept order not yet paid out, and back for every one refunded since.

    Set-based: two INSERT … SELECT statements, whatever the number of orders.
    Returns (spend entries written, refund entries written).
    """
    now = now or utcnow()
    per_yuan = int(settings.get(session, "points.rules")["per_yuan"])
    paid = aliased(PointsEntry)
    ref = func.cast(Order.id, PointsEntry.ref.type)
    spend = select(Order.customer_id, (Order.total_fen // 100 * per_yuan).label("delta"), literal("spend"), ref,
                   literal(now, PointsEntry.occurred_at.type)).where(
        Order.status.in_(SPEND_STATUSES), Order.customer_id.is_not(None),  # nobody's order: nobody's points
        ~exists().where(and_(paid.customer_id == Order.customer_id, paid.reason == "spend", paid.ref == ref)),
    )
    columns = ["customer_id", "delta", "reason", "ref", "occurred_at"]
    # An INSERT's row count is kept only when asked for (psycopg's is gone otherwise: -1).
    conn = session.connection()
    written = conn.execute(insert(PointsEntry.__table__).from_select(columns, spend),
                           execution_options=COUNTED).rowcount
    # A refund takes back exactly what its order paid out.
    refund = select(paid.customer_id, -paid.delta, literal("refund"), paid.ref,
                    literal(now, PointsEntry.occurred_at.type)).join(
        Order, and_(func.cast(Order.id, PointsEntry.ref.type) == paid.ref, Order.customer_id == paid.customer_id)
    ).where(
        paid.reason == "spend", Order.status.in_(REFUND_STATUSES),
        ~exists().where(and_(PointsEntry.customer_id == paid.customer_id, PointsEntry.reason == "refund",
                             PointsEntry.ref == paid.ref)),
    )
    refunded = conn.execute(insert(PointsEntry.__table__).from_select(columns, refund),
                            execution_options=COUNTED).rowcount
    return written, refunded


def award_interaction(session: Session, customer_id: int, kind: str, ref: str, at: datetime | None = None) -> int:
    """Points for a comment, share, review or gift, within the day's cap. Returns points given."""
    return award_interactions(session, [(customer_id, kind, ref, at or utcnow())])


def award_interactions(session: Session, events: Sequence[tuple[int, str, str, datetime]]) -> int:
    """Points for a batch of interactions (customer, kind, ref, at), in order, within each
    kind's daily cap. Set-based: two reads and one bulk insert, however long the batch
    (a live stream sends thousands). Returns the points given."""
    rules = settings.get(session, "points.rules")["interactions"]
    unknown = {kind for _c, kind, _r, _a in events if kind not in rules}
    if unknown:
        raise PointsError(f"no points for {', '.join(map(repr, sorted(unknown)))}; "
                          f"interactions that earn points: {', '.join(rules)}")
    if not events:
        return 0
    zone = settings.shop_zone(session)
    people = {c for c, _k, _r, _a in events}
    refs = {r for _c, _k, r, _a in events}
    seen = set(session.execute(select(PointsEntry.customer_id, PointsEntry.reason, PointsEntry.ref).where(
        PointsEntry.customer_id.in_(people), PointsEntry.ref.in_(refs))).all())
    first_day = min(a for *_x, a in events).astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    earned: dict[tuple[int, str, date], int] = {}
    for customer_id, reason, delta, at in session.execute(select(
            PointsEntry.customer_id, PointsEntry.reason, PointsEntry.delta, PointsEntry.occurred_at).where(
            PointsEntry.customer_id.in_(people), PointsEntry.reason.in_(list(rules)),
            PointsEntry.occurred_at >= first_day.astimezone(timezone.utc))):
        key = (customer_id, reason, at.astimezone(zone).date())
        earned[key] = earned.get(key, 0) + delta
    rows = []
    for customer_id, kind, ref, at in events:
        if (customer_id, kind, ref) in seen:
            continue  # this very event was already counted
        seen.add((customer_id, kind, ref))
        key = (customer_id, kind, at.astimezone(zone).date())
        cap = rules[kind]["points"] * rules[kind]["daily_cap"]
        points = min(rules[kind]["points"], cap - earned.get(key, 0))
        if points > 0:
            earned[key] = earned.get(key, 0) + points
            rows.append({"customer_id": customer_id, "delta": points, "reason": kind, "ref": ref,
                         "occurred_at": at})
    if rows:
        session.execute(insert(PointsEntry), rows)
    return sum(r["delta"] for r in rows)
