"""How a broadcast's room moved (per-minute figures), its run-of-show, and its comments' intents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, UTCDateTime


class BroadcastMinute(Base):
    """One minute of a broadcast's audience curve (``minute`` is the UTC minute it began)."""

    __tablename__ = "broadcast_minutes"
    __table_args__ = (UniqueConstraint("broadcast_id", "minute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    minute: Mapped[datetime] = mapped_column(UTCDateTime)
    online: Mapped[int] = mapped_column(default=0)  # the last online count the room reported in that minute
    total_viewers: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    gifts: Mapped[int] = mapped_column(default=0)
    gift_value: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(default=0)


class RunOfShowItem(Base):
    """One line of a broadcast's run-of-show (排品): a product, a lucky draw or a flash deal."""

    __tablename__ = "run_of_show_items"
    __table_args__ = (UniqueConstraint("broadcast_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, 3 ... in the planned order
    kind: Mapped[str] = mapped_column(String(16))  # product | draw | flash
    title: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    planned_minutes: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when "now: this" was marked
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommentIntent(Base):
    """One intent of one comment in a broadcast: what the report counts per product and viewer."""

    __tablename__ = "comment_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str] = mapped_column(String(16))
    position: Mapped[int | None]  # the run-of-show item on air, if any
    viewer_key: Mapped[str] = mapped_column(String(160))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
