"""Satisfaction survey answers (0–10 and a comment) and the NPS the dashboard shows.

A low score is picked up by the call-back rule at the next generation run (rules.py),
so recording an answer never depends on the queue being open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from livedesk.models import Customer, Order, SurveyResponse
from livedesk.services.customers import NotFound
from livedesk.services.followups.clock import as_utc


@dataclass(frozen=True)
class NpsSummary:
    responses: int
    promoters: int  # 9–10
    passives: int  # 7–8
    detractors: int  # 0–6
    nps: float | None  # % promoters − % detractors, -100..100; None without answers
    average: float | None


def record_survey(
    session: Session, customer_id: int, score: int, comment: str | None = None, order_id: int | None = None,
    *, answered_at: datetime | None = None,
) -> int:
    """Store one answer; scores outside 0–10 are refused."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"a survey score is a whole number from 0 to 10, not {score!r}")
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist")
    if order_id is not None:
        owner = session.scalar(select(Order.customer_id).where(Order.id == order_id))
        if owner != customer_id:
            raise ValueError(f"order {order_id} is not an order of customer {customer_id}")
    row = SurveyResponse(customer_id=customer_id, order_id=order_id, score=score,
                         comment=(comment or "").strip() or None, answered_at=as_utc(answered_at))
    session.add(row)
    session.flush()
    return row.id


def nps(session: Session, since: datetime, until: datetime) -> NpsSummary:
    """Net Promoter Score of the answers given in [since, until)."""
    s = SurveyResponse
    responses, promoters, detractors, total = session.execute(
        select(func.count(), func.sum(case((s.score >= 9, 1), else_=0)), func.sum(case((s.score <= 6, 1), else_=0)),
               func.sum(s.score))
        .where(s.answered_at >= since, s.answered_at < until)
    ).one()
    if not responses:
        return NpsSummary(0, 0, 0, 0, None, None)
    promoters, detractors = int(promoters), int(detractors)
    return NpsSummary(
        responses=responses, promoters=promoters, passives=responses - promoters - detractors,
        detractors=detractors, nps=round(100 * (promoters - detractors) / responses, 1),
        average=round(total / responses, 2),
    )
