"""Possible duplicate customers found by imports (and the duplicate finder), for a person to confirm.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "possible_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"],
                                name=op.f("fk_possible_duplicates_batch_id_import_batches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_possible_duplicates_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["customers.id"],
                                name=op.f("fk_possible_duplicates_other_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_duplicates")),
        sa.UniqueConstraint("customer_id", "other_id", "reason",
                            name=op.f("uq_possible_duplicates_customer_id_other_id_reason")),
    )
    with op.batch_alter_table("possible_duplicates") as batch_op:
        batch_op.create_index(batch_op.f("ix_possible_duplicates_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_possible_duplicates_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_possible_duplicates_other_id"), ["other_id"], unique=False)


def downgrade() -> None:
    op.drop_table("possible_duplicates")
