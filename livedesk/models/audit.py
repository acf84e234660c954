"""Shop-wide bookkeeping: settings, import batches and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class Setting(Base):
    """A shop rule shared by the whole team (tier thresholds, levels, preset...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportBatch(Base):
    """One import run; its orders and the customers it created can be reverted together."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="orders")
    source: Mapped[str | None] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(260))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the source's export time, when known
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed|reverted
    row_count: Mapped[int] = mapped_column(default=0)
    summary: Mapped[Any | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who did what to whose data: exports, erasures, merges, reverts (PIPL)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(50))  # the member's name, else the OS user
    member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[Any | None] = mapped_column(JSON)
