"""Possible duplicate customers: evidence that two customers may be one person, for a person to decide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class PossibleDuplicate(Base):
    """Two customers that weaker evidence (a shared phone, a full phone fitting a masked one,
    a nickname in the same city...) ties together. Never merged until someone confirms."""

    __tablename__ = "possible_duplicates"
    __table_args__ = (UniqueConstraint("customer_id", "other_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The pair is stored smaller id first, so one pair is one row whichever side found it.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | merged | dismissed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
