"""Customers and what the team knows about them: accounts, profile, notes, tags, level history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livedesk.models.base import Base, Money, UTCDateTime, utcnow


class Customer(Base):
    """One person, however many platform accounts they buy from.

    The order/spend/tier columns are caches recomputed from orders by the segments
    service; ``search_text`` is the denormalised key the lookup service matches.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_tier_spent", "tier", "total_spent_fen"),
        Index("ix_customers_level_spent", "level", "total_spent_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nickname: Mapped[str] = mapped_column(String(100), index=True)
    real_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(1))  # F | M
    birthday: Mapped[date | None] = mapped_column(Date)
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(200))

    tier: Mapped[str] = mapped_column(String(16), default="prospect", index=True)
    rfm_segment: Mapped[str | None] = mapped_column(String(24))
    level: Mapped[str] = mapped_column(String(16), default="none", index=True)
    level_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_count: Mapped[int] = mapped_column(default=0)
    total_spent_fen: Mapped[int] = mapped_column(Money, default=0, index=True)
    spent_12m_fen: Mapped[int] = mapped_column(Money, default=0)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    points_balance: Mapped[int] = mapped_column(default=0)

    assigned_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_note: Mapped[str | None] = mapped_column(String(200))
    consent_channel: Mapped[str | None] = mapped_column(String(16))  # services/privacy.py CONSENT_CHANNELS
    source_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    accounts: Mapped[list[PlatformAccount]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )


class PlatformAccount(Base):
    """A customer's account on one platform. ``uid`` is the stable id (SecUid, numeric id)."""

    __tablename__ = "platform_accounts"
    __table_args__ = (
        UniqueConstraint("platform", "uid"),
        Index("ix_platform_accounts_platform_handle", "platform", "handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # douyin | taobao | kuaishou | channels | tiktok | shopify
    uid: Mapped[str | None] = mapped_column(String(128))
    handle: Mapped[str | None] = mapped_column(String(64))
    nickname: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="accounts")


class ProfileValue(Base):
    """One per-industry profile field (skin type, sizes, diet...) chosen by the shop preset."""

    __tablename__ = "profile_values"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    color: Mapped[str | None] = mapped_column(String(9))


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="note")  # note | complaint | followup
    body: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(default=False)
    # Bumped by every edit: an edit made against an older version asks before overwriting.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LevelChange(Base):
    """A membership level change, so the panel can say "升级为金钻 3 天前"."""

    __tablename__ = "level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    from_level: Mapped[str] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
