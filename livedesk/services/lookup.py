"""Find a customer from what an assistant types: nickname, pinyin, initials, handle, phone tail."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from livedesk.models import Customer
from livedesk.services.customers import CustomerFilter, apply_filter

TIER_RANK = {"vip": 0, "potential": 1, "new": 2, "dormant": 3, "lost": 4, "prospect": 5}


@dataclass(frozen=True)
class Match:
    id: int
    nickname: str
    real_name: str | None
    phone: str | None
    city: str | None
    tier: str
    level: str
    total_spent_fen: int
    how: str  # exact | prefix | contains


def lookup(session: Session, query: str, limit: int = 20) -> list[Match]:
    text = query.strip().lower()
    if not text:
        return []
    nickname = Customer.nickname
    rank = case(
        (nickname == query.strip(), 0),
        (nickname.startswith(query.strip(), autoescape=True), 1),
        else_=2,
    )
    statement = (
        apply_filter(select(Customer, rank.label("rank")), CustomerFilter(text=text))
        .order_by(rank, Customer.total_spent_fen.desc(), Customer.id)
        .limit(limit)
    )
    hows = ("exact", "prefix", "contains")
    return [
        Match(c.id, c.nickname, c.real_name, c.phone or c.phone_masked, c.city, c.tier, c.level,
              c.total_spent_fen, hows[r])
        for c, r in session.execute(statement)
    ]
