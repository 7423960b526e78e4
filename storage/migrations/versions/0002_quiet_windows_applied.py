"""record which scheduled quiet windows were applied

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:50:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quiet_windows_applied",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.String(length=64), nullable=False),
        sa.Column("applied_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("quiet_windows_applied")
