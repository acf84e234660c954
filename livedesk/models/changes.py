"""The change log: one row per committed writing unit of work, saying which rows of which
tables it changed and who did it. Other processes and machines read it to refresh their
pages and to catch up after being away; the row is written in the same transaction as the
change it describes, so the two are never apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime, utcnow


class ChangeLogEntry(Base):
    __tablename__ = "change_log"

    # 64-bit on a server that may run for years; SQLite's rowid alias must be INTEGER.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    origin: Mapped[str] = mapped_column(String(64))  # the process that wrote it
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    # {"tables": {name: [ids] | null (all)}, "events": [{"kind": ..., ...}]}
    payload: Mapped[Any] = mapped_column(JSON)
