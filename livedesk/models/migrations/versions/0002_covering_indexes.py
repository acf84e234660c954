"""Covering indexes for the segments recompute (orders by customer/status, points by customer).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_index(
            "ix_orders_customer_status_ordered_total", ["customer_id", "status", "ordered_at", "total_fen"]
        )
    with op.batch_alter_table("points_ledger") as batch_op:
        batch_op.create_index("ix_points_ledger_customer_delta", ["customer_id", "delta"])


def downgrade() -> None:
    with op.batch_alter_table("points_ledger") as batch_op:
        batch_op.drop_index("ix_points_ledger_customer_delta")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_customer_status_ordered_total")
