"""The growth-value (成长值) ledger: every gain and spend is a row, never a bare counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class PointsEntry(Base):
    __tablename__ = "points_ledger"
    __table_args__ = (
        # One entry per reason and source (an order, a feed event): replays never pay twice.
        Index("ux_points_ledger_source", "customer_id", "reason", "ref", unique=True),
        # Covers the balance sum per customer.
        Index("ix_points_ledger_customer_delta", "customer_id", "delta"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int]
    # spend | refund | comment | share | review | gift | redeem | redeem_undo | manual
    reason: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who redeemed or undid it (the team member acting), when a person did.
    by_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
