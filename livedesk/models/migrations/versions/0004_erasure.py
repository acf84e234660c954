"""Erasure and consent: orders can outlive their customer (anonymised), consent has a channel.

``orders.customer_id`` becomes nullable so an erased customer's orders stay for the accounts
with no link to anyone (the ``douyin`` branch needs the same for unknown buyers: one
migration at merge). ``customers.consent_channel`` records how consent was given.

Switching an existing store to ``auto_vacuum=INCREMENTAL`` needs a VACUUM, which cannot run
inside the migration's transaction: ``store.ensure_incremental_vacuum`` does it after upgrading.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("consent_channel", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("consent_channel")
    # Anonymised orders have no customer: they cannot go back under a NOT NULL column.
    op.execute("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE customer_id IS NULL)")
    op.execute("DELETE FROM orders WHERE customer_id IS NULL")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
