"""members: roster (名册) entries and accounts, member flags, activity, tasks, lost accounts

Revision ID: 0007
Revises: 0004 (the integrator relinks it after the other branches' migrations)
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "roster_entries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("imported_at", At, nullable=False),
        sa.Column("updated_at", At, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_roster_person", "roster_entries", ["name", "unit", "department"], unique=True
    )
    op.create_index("ix_roster_name", "roster_entries", ["name"])
    op.create_table(
        "roster_accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("entry_id", Id, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["roster_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_roster_accounts_entry_id", "roster_accounts", ["entry_id"])
    op.create_index("ux_roster_accounts", "roster_accounts", ["platform", "user_id"], unique=True)
    op.create_table(
        "member_flags",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("nickname", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flagged_at", At, nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", At, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_member_flags_member", "member_flags", ["platform", "chat_id", "user_id"])
    op.create_table(
        "member_activity",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("last_message_at", At, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_member_activity", "member_activity", ["platform", "chat_id", "user_id"], unique=True
    )
    op.create_table(
        "tasks",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("creator_name", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", At, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.Column("closed_at", At, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tasks_chat_id", "tasks", ["chat_id"])
    op.create_table(
        "task_assignees",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("task_id", Id, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("done_at", At, nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_assignees_task_id", "task_assignees", ["task_id"])
    op.create_index("ux_task_assignee", "task_assignees", ["task_id", "user_id"], unique=True)
    op.create_table(
        "lost_accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("nickname", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_in", sa.String(length=64), nullable=False),
        sa.Column("reported_at", At, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_by", sa.String(length=64), nullable=True),
        sa.Column("found_at", At, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lost_accounts_user", "lost_accounts", ["platform", "user_id"])


def downgrade() -> None:
    for table in ("lost_accounts", "task_assignees", "tasks", "member_activity"):
        op.drop_table(table)
    op.drop_table("member_flags")
    op.drop_table("roster_accounts")
    op.drop_table("roster_entries")
