"""The perk catalogue (小样, 优先发货, 专属客服, 小礼品 …) and spending growth points on it.

A redemption is a ``redeem`` ledger entry; the owner's undo is a ``redeem_undo`` entry
giving the points back (nothing is ever deleted), and the ledger's unique
(customer, reason, ref) lets a redemption be undone once only.

Balances never go below zero, also with two redemptions at once: the customer's row is
locked first (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the writing unit's
``BEGIN IMMEDIATE`` already serialises writers), so the balance read after the lock
includes every committed spend. Stock is taken by ``UPDATE … WHERE stock > 0``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from livedesk.models import Customer, Perk, PointsEntry, TeamMember
from livedesk.models.base import utcnow
from livedesk.services import points, settings, team
from livedesk.services.customers import NotFound
from livedesk.services.loyalty.errors import LoyaltyError, acting_member

REDEEM, UNDO = "redeem", "redeem_undo"


@dataclass(frozen=True)
class PerkView:
    id: int
    code: str
    name: str
    cost: int
    stock: int | None  # None: unlimited
    tiers: list[str] | None  # None: every tier
    levels: list[str] | None  # None: every level
    active_from: date | None
    active_to: date | None
    active: bool


@dataclass(frozen=True)
class Offer:
    """A perk as one customer sees it: ``refusal`` is None when they can redeem it now."""

    perk: PerkView
    refusal: str | None  # a LoyaltyError code: insufficient, out_of_stock, tier_not_allowed …


@dataclass(frozen=True)
class Redemption:
    entry_id: int
    perk: PerkView
    balance: int  # after the redemption


@dataclass(frozen=True)
class LedgerLine:
    id: int
    occurred_at: datetime
    delta: int
    reason: str
    note: str | None
    by: str | None  # the team member who redeemed or undid it
    undone: bool  # a redemption someone took back
    undoes: int | None  # for an undo: the redemption's entry id


def _view(p: Perk) -> PerkView:
    return PerkView(p.id, p.code, p.name, p.cost, p.stock, p.tiers, p.levels, p.active_from, p.active_to, p.active)


def catalogue(session: Session, *, active_only: bool = False) -> list[PerkView]:
    statement = select(Perk).order_by(Perk.cost, Perk.id)
    if active_only:
        statement = statement.where(Perk.active)
    return [_view(p) for p in session.scalars(statement)]


def save_perk(session: Session, code: str, name: str, cost: int, *, stock: int | None = None,
              tiers: list[str] | None = None, levels: list[str] | None = None, active_from: date | None = None,
              active_to: date | None = None, active: bool = True) -> int:
    """Create the perk ``code`` or change it; the owner's job. Returns its id."""
    team.require(session, "manage_perks")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32 or not name or len(name) > 64:
        raise LoyaltyError("bad_perk", "a perk needs a code (up to 32 characters) and a name (up to 64)")
    if int(cost) <= 0:
        raise LoyaltyError("bad_cost", f"perk {code}: the cost must be more than 0 points, not {cost}")
    if stock is not None and int(stock) < 0:
        raise LoyaltyError("bad_stock", f"perk {code}: the stock cannot be negative ({stock})")
    if active_from and active_to and active_to < active_from:
        raise LoyaltyError("bad_dates", f"perk {code}: it ends ({active_to}) before it starts ({active_from})")
    row = session.scalar(select(Perk).where(Perk.code == code))
    if row is None:
        row = Perk(code=code)
        session.add(row)
    row.name, row.cost, row.stock, row.active = name, int(cost), stock, active
    row.tiers, row.levels = (list(tiers) if tiers else None), (list(levels) if levels else None)
    row.active_from, row.active_to = active_from, active_to
    session.flush()
    return row.id


def _refusal(perk: PerkView, tier: str, level: str, have: int, today: date) -> tuple[str, str] | None:
    """Why this customer cannot have this perk today (code, message), checked in the order a person asks."""
    if not perk.active:
        return "inactive", f"{perk.name} is switched off in the catalogue"
    if perk.active_from and today < perk.active_from:
        return "not_started", f"{perk.name} can be redeemed from {perk.active_from}"
    if perk.active_to and today > perk.active_to:
        return "ended", f"{perk.name} could be redeemed until {perk.active_to}"
    if perk.tiers and tier not in perk.tiers:
        return "tier_not_allowed", f"{perk.name} is for tiers {', '.join(perk.tiers)}; the customer is {tier}"
    if perk.levels and level not in perk.levels:
        return "level_not_allowed", f"{perk.name} is for levels {', '.join(perk.levels)}; the customer is {level}"
    if perk.stock is not None and perk.stock <= 0:
        return "out_of_stock", f"{perk.name} is out of stock"
    if have < perk.cost:
        return "insufficient", f"{perk.name} costs {perk.cost} points; the customer has {have}"
    return None


def _local_today(session: Session, at: datetime) -> date:
    return at.astimezone(settings.shop_zone(session)).date()


def _customer(session: Session, customer_id: int, *, lock: bool = False) -> tuple[str, str]:
    statement = select(Customer.tier, Customer.level).where(Customer.id == customer_id)
    row = session.execute(statement.with_for_update() if lock else statement).first()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return row.tier, row.level


def offers(session: Session, customer_id: int, at: datetime | None = None) -> list[Offer]:
    """Every active perk, cheapest first, each with why this customer cannot have it (None: they can)."""
    tier, level = _customer(session, customer_id)
    have, today = points.balance(session, customer_id), _local_today(session, at or utcnow())
    out = []
    for perk in catalogue(session, active_only=True):
        why = _refusal(perk, tier, level, have, today)
        out.append(Offer(perk, why[0] if why else None))
    return out


def redeem(session: Session, customer_id: int, perk_code: str, at: datetime | None = None) -> Redemption:
    """Spend points on a perk; any refusal raises ``LoyaltyError`` with nothing written."""
    at = at or utcnow()
    tier, level = _customer(session, customer_id, lock=True)  # one redemption per customer at a time
    row = session.scalar(select(Perk).where(Perk.code == perk_code))
    if row is None:
        known = ", ".join(session.scalars(select(Perk.code).where(Perk.active).order_by(Perk.cost)))
        raise LoyaltyError("unknown_perk", f"unknown perk {perk_code!r}; the catalogue has: {known}")
    perk = _view(row)
    have = points.balance(session, customer_id)
    why = _refusal(perk, tier, level, have, _local_today(session, at))
    if why:
        raise LoyaltyError(why[0], why[1], perk=perk.name, cost=perk.cost, balance=have)
    if perk.stock is not None:
        taken = session.execute(update(Perk).where(Perk.id == perk.id, Perk.stock > 0)
                                .values(stock=Perk.stock - 1).execution_options(synchronize_session=False))
        if taken.rowcount != 1:  # someone took the last one since it was read
            raise LoyaltyError("out_of_stock", f"{perk.name} is out of stock", perk=perk.name)
    member_id, _role = acting_member(session)
    entry = PointsEntry(customer_id=customer_id, delta=-perk.cost, reason=REDEEM,
                        ref=f"perk:{perk.id}:{uuid.uuid4().hex[:12]}", note=perk.name, occurred_at=at, by_id=member_id)
    session.add(entry)
    session.flush()
    balance = have - perk.cost
    _cache_balance(session, customer_id, balance)
    return Redemption(entry.id, perk, balance)


def undo(session: Session, entry_id: int, at: datetime | None = None) -> int:
    """The owner takes a redemption back: a reversing entry, the perk's stock returned. Returns the balance."""
    team.require(session, "undo_redemption")
    member_id, _role = acting_member(session)
    entry = session.get(PointsEntry, entry_id)
    if entry is None or entry.reason != REDEEM:
        raise LoyaltyError("not_redemption", f"points entry {entry_id} is not a redemption")
    _customer(session, entry.customer_id, lock=True)
    ref = str(entry.id)
    if session.scalar(select(exists().where(PointsEntry.customer_id == entry.customer_id,
                                            PointsEntry.reason == UNDO, PointsEntry.ref == ref))):
        raise LoyaltyError("already_undone", f"redemption {entry_id} ({entry.note}) was already undone")
    try:
        with session.begin_nested():
            session.add(PointsEntry(customer_id=entry.customer_id, delta=-entry.delta, reason=UNDO, ref=ref,
                                    note=entry.note, occurred_at=at or utcnow(), by_id=member_id))
    except IntegrityError:  # undone by someone else a moment ago
        raise LoyaltyError("already_undone", f"redemption {entry_id} ({entry.note}) was already undone") from None
    perk_id = _perk_id(entry.ref)
    if perk_id is not None:
        session.execute(update(Perk).where(Perk.id == perk_id, Perk.stock.is_not(None))
                        .values(stock=Perk.stock + 1).execution_options(synchronize_session=False))
    balance = points.balance(session, entry.customer_id)
    _cache_balance(session, entry.customer_id, balance)
    return balance


def _perk_id(ref: str | None) -> int | None:
    parts = (ref or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[0] == "perk" and parts[1].isdigit() else None


def _cache_balance(session: Session, customer_id: int, balance: int) -> None:
    # The customer's cached balance (segments recompute it from the ledger) shows the spend at once.
    session.execute(update(Customer).where(Customer.id == customer_id).values(points_balance=balance)
                    .execution_options(synchronize_session=False))


def history(session: Session, customer_id: int, limit: int = 200) -> list[LedgerLine]:
    """The customer's ledger, newest first, with who redeemed and which redemptions were undone."""
    _customer(session, customer_id)
    undo_entry = aliased(PointsEntry)
    undone = exists().where(undo_entry.customer_id == PointsEntry.customer_id, undo_entry.reason == UNDO,
                            undo_entry.ref == points.ref_of(PointsEntry.id))
    rows = session.execute(
        select(PointsEntry.id, PointsEntry.occurred_at, PointsEntry.delta, PointsEntry.reason, PointsEntry.note,
               TeamMember.name, undone, PointsEntry.ref)
        .outerjoin(TeamMember, TeamMember.id == PointsEntry.by_id)
        .where(PointsEntry.customer_id == customer_id)
        .order_by(PointsEntry.occurred_at.desc(), PointsEntry.id.desc()).limit(limit))
    return [LedgerLine(i, at, delta, reason, note, by, bool(was_undone) and reason == REDEEM,
                       int(ref) if reason == UNDO and ref and ref.isdigit() else None)
            for i, at, delta, reason, note, by, was_undone, ref in rows]
