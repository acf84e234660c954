"""Broadcasts and who appeared in them (entered, commented, gifted, greeted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[str | None] = mapped_column(String(64))
    host_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "platform:room" while on air, NULL once ended: unique, so one room is live once at a time
    # (NULLs never collide, on SQLite and PostgreSQL alike).
    live_room: Mapped[str | None] = mapped_column(String(96), unique=True)
    # The process recording the capture feed (a change-log origin) and the member at it.
    recorder: Mapped[str | None] = mapped_column(String(64))
    recorder_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))


class Appearance(Base):
    """One viewer in one broadcast. ``viewer_key`` is the platform uid, or ``nick:<name>``."""

    __tablename__ = "appearances"
    __table_args__ = (UniqueConstraint("broadcast_id", "viewer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    match: Mapped[str | None] = mapped_column(String(16))  # uid | handle | phone | possible
    platform: Mapped[str] = mapped_column(String(16))
    viewer_key: Mapped[str] = mapped_column(String(160))
    nickname: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered: Mapped[bool] = mapped_column(default=False)
    comment_count: Mapped[int] = mapped_column(default=0)
    gift_count: Mapped[int] = mapped_column(default=0)
    gift_value: Mapped[int] = mapped_column(default=0)  # platform currency units (diamonds)
    greeted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    greeted_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
