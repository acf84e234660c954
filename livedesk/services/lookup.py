"""Find a customer straight from the store, without the in-memory index.

For one-off questions (``livedesk lookup``, the console before its index is built):
one LIKE query over the denormalised search text, so no start-up cost, but a scan.
Search-as-you-type uses services/search_index.py; both answer with the same ``Hit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from livedesk.models import Customer, PlatformAccount
from livedesk.services.customers import CustomerFilter, apply_filter
from livedesk.services.search_index import Hit


def lookup(session: Session, query: str, limit: int = 20) -> list[Hit]:
    text = query.strip()
    if not text:
        return []
    nickname = Customer.nickname
    rank = case((nickname == text, 0), (nickname.startswith(text, autoescape=True), 1), else_=2)
    statement = (
        apply_filter(select(Customer, rank.label("rank")), CustomerFilter(text=text.lower()))
        .order_by(rank, Customer.total_spent_fen.desc(), Customer.id)
        .limit(limit)
    )
    return [
        Hit(c.id, c.nickname, c.tier, c.level, c.total_spent_fen, c.city, "nickname" if r < 2 else "text")
        for c, r in session.execute(statement)
    ]


@dataclass(frozen=True)
class Distinguisher:
    """What tells two customers with the same nickname apart, for a list of look-alikes."""

    handle: str | None  # the first platform handle (抖音号)
    platform: str | None
    phone_tail: str | None  # last four digits only: lists may be on screen during a stream
    city: str | None
    last_order_at: datetime | None


def distinguishers(session: Session, customer_ids: list[int]) -> dict[int, Distinguisher]:
    """Handle, phone tail, city and last order of each customer, in one query per kind."""
    if not customer_ids:
        return {}
    handles: dict[int, tuple[str, str]] = {}
    for cid, platform, handle in session.execute(
            select(PlatformAccount.customer_id, PlatformAccount.platform, PlatformAccount.handle)
            .where(PlatformAccount.customer_id.in_(customer_ids), PlatformAccount.handle.is_not(None))
            .order_by(PlatformAccount.id)):
        handles.setdefault(cid, (platform, handle))
    found = {}
    for cid, phone, masked, city, last in session.execute(
            select(Customer.id, Customer.phone, Customer.phone_masked, Customer.city, Customer.last_order_at)
            .where(Customer.id.in_(customer_ids))):
        digits = (phone or masked or "")[-4:]
        platform, handle = handles.get(cid, (None, None))
        found[cid] = Distinguisher(handle, platform, digits if digits.isdigit() else None, city, last)
    return found
