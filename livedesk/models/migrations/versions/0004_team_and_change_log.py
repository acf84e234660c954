"""Team mode: the change log other machines follow, who did what, one live broadcast per room.

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
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["team_members.id"],
                                name=op.f("fk_change_log_actor_id_team_members"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_at"), ["at"], unique=False)
    with op.batch_alter_table("team_members") as batch_op:
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=128), nullable=True))
    with op.batch_alter_table("notes") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("edited_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notes_edited_by_id_team_members"), "team_members",
                                    ["edited_by_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("followup_tasks") as batch_op:
        batch_op.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_followup_tasks_done_by_id_team_members"), "team_members",
                                    ["done_by_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("live_room", sa.String(length=96), nullable=True))
        batch_op.add_column(sa.Column("recorder", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("recorder_member_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_broadcasts_live_room"), ["live_room"])
        batch_op.create_foreign_key(batch_op.f("fk_broadcasts_recorder_member_id_team_members"), "team_members",
                                    ["recorder_member_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("appearances") as batch_op:
        batch_op.add_column(sa.Column("greeted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_appearances_greeted_by_id_team_members"), "team_members",
                                    ["greeted_by_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_audit_log_member_id_team_members"), "team_members",
                                    ["member_id"], ["id"], ondelete="SET NULL")
    # Broadcasts still on air when the store is upgraded keep their room: at most one per room
    # (older stores could hold several; the newest keeps the slot).
    op.execute(
        "UPDATE broadcasts SET live_room = platform || ':' || coalesce(room_id, '') "
        "WHERE ended_at IS NULL AND id = (SELECT max(b.id) FROM broadcasts b "
        "WHERE b.ended_at IS NULL AND b.platform = broadcasts.platform "
        "AND coalesce(b.room_id, '') = coalesce(broadcasts.room_id, ''))"
    )


def downgrade() -> None:
    for table, columns in (("audit_log", ["member_id"]), ("appearances", ["greeted_by_id"]),
                           ("broadcasts", ["recorder_member_id", "recorder", "live_room"]),
                           ("followup_tasks", ["done_by_id"]), ("notes", ["edited_by_id", "version"]),
                           ("team_members", ["pin_hash"])):
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
    op.drop_table("change_log")
