"""Loyalty: the perk catalogue, coupon batches and codes, A/B tests; who redeemed a points entry.

The perks a store had in its ``points.perks`` setting (or the shipped ones) become
catalogue rows, with the playbook's 小样 and 小礼品 examples.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SHIPPED_PERKS = [
    {"code": "sample", "name": "小样", "cost": 300},
    {"code": "small_gift", "name": "小礼品", "cost": 100},
    {"code": "priority_shipping", "name": "优先发货", "cost": 1000},
    {"code": "dedicated_service", "name": "专属客服", "cost": 3000},
]


def upgrade() -> None:
    op.create_table(
        "perks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=True),
        sa.Column("levels", sa.JSON(), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("cost > 0", name=op.f("ck_perks_cost_positive")),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name=op.f("ck_perks_stock_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perks")),
        sa.UniqueConstraint("code", name=op.f("uq_perks_code")),
    )
    op.create_table(
        "coupon_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("percent_paid", sa.Integer(), nullable=True),
        sa.Column("min_spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("rule", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("(amount_fen IS NULL) <> (percent_paid IS NULL)", name=op.f("ck_coupon_batches_one_value")),
        sa.CheckConstraint("percent_paid IS NULL OR (percent_paid > 0 AND percent_paid < 100)",
                           name=op.f("ck_coupon_batches_percent_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_batches")),
        sa.UniqueConstraint("name", name=op.f("uq_coupon_batches_name")),
    )
    with op.batch_alter_table("coupon_batches") as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_batches_rule"), ["rule"], unique=False)
    op.create_table(
        "coupon_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("used_order_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["coupon_batches.id"],
                                name=op.f("fk_coupon_codes_batch_id_coupon_batches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_coupon_codes_customer_id_customers"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["task_id"], ["followup_tasks.id"],
                                name=op.f("fk_coupon_codes_task_id_followup_tasks"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["issued_by_id"], ["team_members.id"],
                                name=op.f("fk_coupon_codes_issued_by_id_team_members"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["used_order_id"], ["orders.id"],
                                name=op.f("fk_coupon_codes_used_order_id_orders"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_codes_code")),
        sa.UniqueConstraint("task_id", name=op.f("uq_coupon_codes_task_id")),
    )
    with op.batch_alter_table("coupon_codes") as batch_op:
        batch_op.create_index("ix_coupon_codes_batch_free", ["batch_id", "issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupon_codes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupon_codes_used_order_id"), ["used_order_id"], unique=False)
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("running_rule", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("running_rule", name=op.f("uq_experiments_running_rule")),
    )
    op.create_table(
        "experiment_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("coupon_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"],
                                name=op.f("fk_experiment_variants_experiment_id_experiments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["message_templates.id"],
                                name=op.f("fk_experiment_variants_template_id_message_templates"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["coupon_batch_id"], ["coupon_batches.id"],
                                name=op.f("fk_experiment_variants_coupon_batch_id_coupon_batches"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_variants")),
        sa.UniqueConstraint("experiment_id", "label", name=op.f("uq_experiment_variants_experiment_id_label")),
    )
    with op.batch_alter_table("experiment_variants") as batch_op:
        batch_op.create_index(batch_op.f("ix_experiment_variants_experiment_id"), ["experiment_id"], unique=False)
    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"],
                                name=op.f("fk_experiment_assignments_experiment_id_experiments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["variant_id"], ["experiment_variants.id"],
                                name=op.f("fk_experiment_assignments_variant_id_experiment_variants"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_experiment_assignments_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["followup_tasks.id"],
                                name=op.f("fk_experiment_assignments_task_id_followup_tasks"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint("experiment_id", "customer_id",
                            name=op.f("uq_experiment_assignments_experiment_id_customer_id")),
    )
    with op.batch_alter_table("experiment_assignments") as batch_op:
        batch_op.create_index(batch_op.f("ix_experiment_assignments_variant_id"), ["variant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_experiment_assignments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_experiment_assignments_task_id"), ["task_id"], unique=False)
    with op.batch_alter_table("points_ledger") as batch_op:
        batch_op.add_column(sa.Column("by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_points_ledger_by_id_team_members"), "team_members",
                                    ["by_id"], ["id"], ondelete="SET NULL")
    _seed_perks()


def _seed_perks() -> None:
    conn = op.get_bind()
    stored = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'points.perks'")).scalar()
    if isinstance(stored, str):
        stored = json.loads(stored)
    perks = {p["code"]: p for p in SHIPPED_PERKS}
    perks.update({p["code"]: p for p in stored or []})
    table = sa.table("perks", sa.column("code"), sa.column("name"), sa.column("cost"), sa.column("active"),
                     sa.column("created_at", sa.DateTime()))  # typed: the dialect formats the time
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(table, [{"code": p["code"], "name": p["name"], "cost": int(p["cost"]), "active": True,
                            "created_at": now} for p in perks.values()])
    conn.execute(sa.text("DELETE FROM settings WHERE key = 'points.perks'"))


def downgrade() -> None:
    with op.batch_alter_table("points_ledger") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_points_ledger_by_id_team_members"), type_="foreignkey")
        batch_op.drop_column("by_id")
    for name in ("experiment_assignments", "experiment_variants", "experiments", "coupon_codes", "coupon_batches",
                 "perks"):
        op.drop_table(name)
