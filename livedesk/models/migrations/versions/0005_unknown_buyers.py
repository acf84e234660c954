"""Orders without a known buyer, the platform's buyer id on the order, and the export time a
status comes from.

- ``orders.customer_id`` becomes nullable: an order whose buyer an export withholds (抖店's
  encrypted recipients) still counts, and waits for an assistant to attach it.
- ``orders.buyer_uid``: the platform's buyer id as the export or API gave it, so attaching
  the order can teach the store that id.
- ``orders.exported_at`` / ``import_batches.exported_at``: when the export that last set the
  order's status was made (from the file name), so an older export never overwrites a
  newer status.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("buyer_uid", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("exported_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.add_column(sa.Column("exported_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("exported_at")
    # Orders nobody was attached to cannot stay once a customer is required again.
    op.execute("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE customer_id IS NULL)")
    op.execute("DELETE FROM orders WHERE customer_id IS NULL")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("exported_at")
        batch_op.drop_column("buyer_uid")
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
