"""The shop's team: owner, hosts and assistants who log notes and work queues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class TeamMember(Base):
    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16), default="assistant")  # owner | host | assistant
    active: Mapped[bool] = mapped_column(default=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255))  # optional PIN: salted scrypt, never the PIN
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
