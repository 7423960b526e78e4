"""directory (units, people, accounts), group registry, filings, approval steps, hand-overs

Revision ID: 0004
Revises: 0002 (the integrator relinks it after 0003)
Create Date: 2026-12-05 08:30:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("parent", sa.String(length=128), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "people",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "person_accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_id", Id, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_accounts_person_id", "person_accounts", ["person_id"])
    op.create_index("ux_person_accounts", "person_accounts", ["platform", "user_id"], unique=True)
    op.create_table(
        "group_registry",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=128), nullable=True),
        sa.Column("responsible", sa.String(length=64), nullable=True),
        sa.Column("admins", sa.JSON(), nullable=False),
        sa.Column("group_class", sa.String(length=16), nullable=False),
        sa.Column("term", sa.String(length=16), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("member_cap", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.Column("last_activity_at", At, nullable=True),
        sa.Column("unfiled_notice_at", At, nullable=True),
        sa.Column("service_stopped_at", At, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_group_registry_chat", "group_registry", ["platform", "chat_id"], unique=True
    )
    op.create_table(
        "filings",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("platform_label", sa.String(length=32), nullable=False),
        sa.Column("group_name", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=64), nullable=False),
        sa.Column("member_scope", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("group_class", sa.String(length=16), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitter_name", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", At, nullable=False),
        sa.Column("step_requested_at", At, nullable=True),
        sa.Column("decided_at", At, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_filings_chat_id", "filings", ["chat_id"])
    op.create_table(
        "filing_steps",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("filing_id", Id, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False),
        sa.Column("by_platform", sa.String(length=16), nullable=False),
        sa.Column("by_user_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", At, nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_filing_steps_filing_id", "filing_steps", ["filing_id"])
    op.create_index("ux_filing_steps_once", "filing_steps", ["filing_id", "step"], unique=True)
    op.create_table(
        "handovers",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("old", sa.String(length=64), nullable=True),
        sa.Column("new", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("at", At, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handovers_chat_id", "handovers", ["chat_id"])


def downgrade() -> None:
    for table in ("handovers", "filing_steps", "filings", "group_registry"):
        op.drop_table(table)
    op.drop_table("person_accounts")
    op.drop_table("units")
    op.drop_table("people")
