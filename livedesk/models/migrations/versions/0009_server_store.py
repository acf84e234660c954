"""Money columns are 64-bit: a PostgreSQL INTEGER overflows at ¥21,474,836.47.

SQLite's INTEGER is already 64-bit whatever the declared type, so there the change is a
no-op and no table is rebuilt (a batch rebuild of a million orders would cost a start-up).

A member's PIN hash is 168 characters ("scrypt$", 32 hex of salt, "$", 128 hex of digest):
``team_members.pin_hash`` was VARCHAR(128), which SQLite never enforced and PostgreSQL
refuses. It becomes VARCHAR(255) on both (team_members is a few rows: the rebuild is free).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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


def _pin_hash(type_: sa.types.TypeEngine, existing: sa.types.TypeEngine) -> None:
    with op.batch_alter_table("team_members") as batch_op:
        batch_op.alter_column("pin_hash", type_=type_, existing_type=existing, existing_nullable=True)


def upgrade() -> None:
    _alter(sa.BigInteger(), sa.Integer())
    _pin_hash(sa.String(length=255), sa.String(length=128))


def downgrade() -> None:
    _pin_hash(sa.String(length=128), sa.String(length=255))
    _alter(sa.Integer(), sa.BigInteger())
