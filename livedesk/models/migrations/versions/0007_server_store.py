"""Money columns are 64-bit: a PostgreSQL INTEGER overflows at ¥21,474,836.47.

SQLite's INTEGER is already 64-bit whatever the declared type, so there the change is a
no-op and no table is rebuilt (a batch rebuild of a million orders would cost a start-up).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MONEY = {
    "products": ("price_fen",),
    "customers": ("total_spent_fen", "spent_12m_fen"),
    "orders": ("total_fen",),
    "order_items": ("unit_price_fen", "amount_fen"),
}


def _alter(type_: sa.types.TypeEngine, existing: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in MONEY.items():
        for name in columns:
            op.alter_column(table, name, type_=type_, existing_type=existing, existing_nullable=False)


def upgrade() -> None:
    _alter(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _alter(sa.Integer(), sa.BigInteger())
