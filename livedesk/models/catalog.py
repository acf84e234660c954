"""Products the shop sells, with the usage cycle that drives replenishment reminders."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livedesk.models.base import Base, Money


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("platform", "platform_product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str | None] = mapped_column(String(16))
    platform_product_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str | None] = mapped_column(String(16))  # beauty | apparel | food | appliance
    price_fen: Mapped[int] = mapped_column(Money, default=0)
    usage_cycle_days: Mapped[int | None]
    stock: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
