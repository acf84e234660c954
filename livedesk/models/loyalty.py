"""Loyalty: the perk catalogue points buy, coupon batches and their codes, and A/B tests of follow-ups.

Conflicts between two people (or two laptops) acting at once are settled by the schema:
a code is unique and handed out by a conditional UPDATE (``issued_at IS NULL``), a task
carries at most one code, a customer is in an experiment once, a perk's stock is taken
by ``UPDATE … WHERE stock > 0``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class Perk(Base):
    """Something a customer can buy with growth points (小样, 优先发货, 专属客服 …)."""

    __tablename__ = "perks"
    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    cost: Mapped[int]
    stock: Mapped[int | None]  # None: unlimited
    tiers: Mapped[Any | None] = mapped_column(JSON)  # tier codes allowed; None: every tier
    levels: Mapped[Any | None] = mapped_column(JSON)  # level codes allowed; None: every level
    active_from: Mapped[date | None] = mapped_column(Date)  # the shop's local days, inclusive
    active_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponBatch(Base):
    """A run of coupon codes with one value: ¥ off (``amount_fen``) or a discount (``percent_paid``)."""

    __tablename__ = "coupon_batches"
    __table_args__ = (
        CheckConstraint("(amount_fen IS NULL) <> (percent_paid IS NULL)", name="one_value"),
        CheckConstraint("percent_paid IS NULL OR (percent_paid > 0 AND percent_paid < 100)", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # 满减: this much off
    percent_paid: Mapped[int | None]  # 折扣: 90 = 九折
    min_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # The follow-up rule (wakeup, birthday, vip_touch) that hands out this batch's codes.
    rule: Mapped[str | None] = mapped_column(String(24), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponCode(Base):
    """One code; issued once (``issued_at`` set, for good), used once (an imported order names it)."""

    __tablename__ = "coupon_codes"
    __table_args__ = (Index("ix_coupon_codes_batch_free", "batch_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("coupon_batches.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    # The task that carried it; unique: a task never takes two codes.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_tasks.id", ondelete="SET NULL"), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    used_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Experiment(Base):
    """An A/B test of one follow-up rule: its template or its coupon batch, per variant."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(24))  # the follow-up kind
    target: Mapped[str] = mapped_column(String(16))  # template | coupon
    window_days: Mapped[int] = mapped_column(default=14)  # orders this long after assignment count
    seed: Mapped[str] = mapped_column(String(32))  # makes the assignment reproducible
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | finished
    # The variant made the default (no foreign key: variants reference their test already).
    winner_id: Mapped[int | None]
    # At most one running test per rule: the unique index holds ``rule`` only while running.
    running_rule: Mapped[str | None] = mapped_column(String(24), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExperimentVariant(Base):
    __tablename__ = "experiment_variants"
    __table_args__ = (UniqueConstraint("experiment_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(32))  # A, B, …; the first is the control
    position: Mapped[int]
    weight: Mapped[int] = mapped_column(default=1)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("message_templates.id", ondelete="SET NULL"))
    coupon_batch_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_batches.id", ondelete="SET NULL"))


class ExperimentAssignment(Base):
    """A customer's variant, fixed at their first task under the test; outcomes count from ``assigned_at``."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (UniqueConstraint("experiment_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("experiment_variants.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_tasks.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
