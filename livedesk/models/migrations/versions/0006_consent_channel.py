"""Consent has a channel (how the customer agreed: in the live room, a chat, a form…).

Erased customers' orders stay for the accounts with no link to anyone: ``orders.customer_id``
became nullable in 0005 (unknown buyers). Switching an existing store to
``auto_vacuum=INCREMENTAL`` needs a VACUUM, which cannot run inside the migration's
transaction: ``store.ensure_incremental_vacuum`` does it after upgrading.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("consent_channel", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("consent_channel")
