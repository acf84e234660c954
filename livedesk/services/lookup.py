"""Find a customer straight from the store, without the in-memory index.

For one-off questions (``livedesk lookup``, the console before its index is built):
one LIKE query over the denormalised search text, so no start-up cost, but a scan.
Search-as-you-type uses services/search_index.py; both answer with the same ``Hit``.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from livedesk.models import Customer
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
