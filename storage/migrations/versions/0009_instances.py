"""several instances on one database: leases, owned inbox rows and intents, timer claims,
cross-instance cache invalidation, and processed update ids pruned by age

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

At = storage.models.UTCDateTime(timezone=True)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", At, nullable=False),
        sa.Column("heartbeat_at", At, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "decision_owners",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("at", At, nullable=False),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index("ix_decision_owners_owner", "decision_owners", ["owner"])
    op.create_table(
        "state_changes",
        sa.Column("id", Id, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("at", At, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_state_changes_at", "state_changes", ["at"])
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", At, nullable=True))
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
    op.create_index("ix_processed_updates_at", "processed_updates", ["at"])


def downgrade() -> None:
    op.drop_index("ix_processed_updates_at", table_name="processed_updates")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("owner")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
    op.drop_index("ix_state_changes_at", table_name="state_changes")
    op.drop_table("state_changes")
    op.drop_index("ix_decision_owners_owner", table_name="decision_owners")
    op.drop_table("decision_owners")
    op.drop_table("instances")
