"""Orders and their items. Money is integer fen; an order is unique per platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livedesk.models.base import Base, Money, UTCDateTime, utcnow

ORDER_STATUSES = ("pending", "paid", "completed", "cancelled", "refunded")
# Statuses whose money the shop keeps: they count as spend, frequency and points.
SPEND_STATUSES = ("paid", "completed")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("platform", "platform_order_id"),
        Index("ix_orders_customer_ordered", "customer_id", "ordered_at"),
        # Covers the segments recompute's per-customer aggregation: no row lookups.
        Index("ix_orders_customer_status_ordered_total", "customer_id", "status", "ordered_at", "total_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    # No cascade: an order never disappears with a customer by accident; merges move
    # orders explicitly and erasure anonymises them. NULL: the export withheld the buyer, or the buyer was erased
    # (encrypted recipients); the order counts and waits on the unknown-buyers list.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # The platform's buyer id as the source gave it: attaching the order links it to the customer.
    buyer_uid: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="paid")
    after_sale: Mapped[str | None] = mapped_column(String(32))
    total_fen: Mapped[int] = mapped_column(Money, default=0)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the export that last set the status was made: an older one never overwrites it.
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    recipient_name: Mapped[str | None] = mapped_column(String(50))
    recipient_phone: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sub_order_id: Mapped[str | None] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_fen: Mapped[int] = mapped_column(Money, default=0)
    amount_fen: Mapped[int] = mapped_column(Money, default=0)
    status: Mapped[str | None] = mapped_column(String(16))

    order: Mapped[Order] = relationship(back_populates="items")
