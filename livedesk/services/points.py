"""Growth value (成长值): the points ledger's rules — spend, refunds, interactions, perks.

Every change is a ledger row with a (customer, reason, ref) that is unique, so running
any of these twice never pays twice. Interactions are capped per kind per local day;
a redemption that would take the balance below zero is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from livedesk.models import Order, PointsEntry
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings

REFUND_STATUSES = ("refunded", "cancelled")


class PointsError(ValueError):
    """A points change that is not allowed (overdraw, unknown perk or interaction)."""


@dataclass(frozen=True)
class Perk:
    code: str
    name: str
    cost: int


def balance(session: Session, customer_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                              .where(PointsEntry.customer_id == customer_id)))


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
        Order.status.in_(SPEND_STATUSES),
        ~exists().where(and_(paid.customer_id == Order.customer_id, paid.reason == "spend", paid.ref == ref)),
    )
    columns = ["customer_id", "delta", "reason", "ref", "occurred_at"]
    written = session.execute(insert(PointsEntry).from_select(columns, spend)).rowcount
    # A refund takes back exactly what its order paid out.
    refund = select(paid.customer_id, -paid.delta, literal("refund"), paid.ref,
                    literal(now, PointsEntry.occurred_at.type)).join(
        Order, and_(func.cast(Order.id, PointsEntry.ref.type) == paid.ref, Order.customer_id == paid.customer_id)
    ).where(
        paid.reason == "spend", Order.status.in_(REFUND_STATUSES),
        ~exists().where(and_(PointsEntry.customer_id == paid.customer_id, PointsEntry.reason == "refund",
                             PointsEntry.ref == paid.ref)),
    )
    refunded = session.execute(insert(PointsEntry).from_select(columns, refund)).rowcount
    return written, refunded


def award_interaction(session: Session, customer_id: int, kind: str, ref: str, at: datetime | None = None) -> int:
    """Points for a comment, share, review or gift, within the day's cap. Returns points given."""
    rules = settings.get(session, "points.rules")["interactions"]
    if kind not in rules:
        raise PointsError(f"no points for {kind!r}; interactions that earn points: {', '.join(rules)}")
    at = at or utcnow()
    if session.scalar(select(PointsEntry.id).where(PointsEntry.customer_id == customer_id,
                                                   PointsEntry.reason == kind, PointsEntry.ref == ref)):
        return 0  # this very event was already counted
    day_start, day_end = _local_day(session, at)
    earned_today = session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.customer_id == customer_id, PointsEntry.reason == kind,
        PointsEntry.occurred_at >= day_start, PointsEntry.occurred_at < day_end))
    cap = rules[kind]["points"] * rules[kind]["daily_cap"]
    points = min(rules[kind]["points"], cap - int(earned_today))
    if points <= 0:
        return 0
    session.add(PointsEntry(customer_id=customer_id, delta=points, reason=kind, ref=ref, occurred_at=at))
    session.flush()
    return points


def perks(session: Session) -> list[Perk]:
    return [Perk(p["code"], p["name"], int(p["cost"])) for p in settings.get(session, "points.perks")]


def redeem(session: Session, customer_id: int, perk_code: str, at: datetime | None = None) -> int:
    """Spend points on a perk; refused if the balance would go below zero. Returns the new balance."""
    perk = next((p for p in perks(session) if p.code == perk_code), None)
    if perk is None:
        raise PointsError(f"unknown perk {perk_code!r}")
    at = at or utcnow()
    have = balance(session, customer_id)
    if have < perk.cost:
        raise PointsError(f"{perk.name} costs {perk.cost} points; the customer has {have}")
    session.add(PointsEntry(customer_id=customer_id, delta=-perk.cost, reason="redeem",
                            ref=f"{perk.code}:{at.isoformat()}", note=perk.name, occurred_at=at))
    session.flush()
    return have - perk.cost


def _local_day(session: Session, at: datetime) -> tuple[datetime, datetime]:
    zone = timezone(timedelta(hours=int(settings.get(session, "shop.utc_offset_hours"))))
    local = at.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)
