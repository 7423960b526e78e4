"""hash-chained journal, public-opinion incidents, report runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:30:00

Written against 0002 and relinked after 0004 (governance) when main was merged; it depends on
nothing of 0003/0004, so the integrator may relink it again (e.g. after a 0003).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = storage.models.UTCDateTime(timezone=True)

# Tables no code path updates or deletes from (0001 guards actions, action_outcomes and
# escalation_responses already).
_APPEND_ONLY = ("journal", "membership_events", "incident_steps")
# PostgreSQL's TRUNCATE bypasses row triggers (and CASCADE empties the referencing tables):
# every kept record refuses it. The journal would show the loss, but refusing is cheaper.
_NO_TRUNCATE = (
    "journal",
    "journal_head",
    "actions",
    "action_outcomes",
    "escalations",
    "escalation_responses",
    "offences",
    "blacklist",
    "membership_events",
    "incidents",
    "incident_steps",
    "report_runs",
)


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("ref_table", sa.String(length=48), nullable=True),
        sa.Column("ref_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.create_index("ix_journal_ref", ["ref_table", "ref_id"], unique=False)
    op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("closed_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_chat", ["platform", "chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_opened_at"), ["opened_at"], unique=False)
    op.create_table(
        "incident_steps",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("told", sa.JSON(), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_steps_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "report_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=96), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=96), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.create_index("ux_report_runs_once", ["period", "scope", "recipient"], unique=True)

    from storage.journal import GENESIS, HEAD_ID, baseline_sync

    op.execute(
        sa.text("INSERT INTO journal_head (id, seq, hash) VALUES (:id, 0, :hash)").bindparams(
            id=HEAD_ID, hash=GENESIS
        )
    )
    # A database already in use: its records become the first entries of the chain.
    baseline_sync(op.get_bind(), at=datetime.now(UTC))
    _install_guards()


def _install_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        op.execute(
            "CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head "
            "BEGIN SELECT RAISE(ABORT, 'journal_head is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER journal_head_forward BEFORE UPDATE ON journal_head "
            "WHEN NEW.seq != OLD.seq + 1 OR NEW.id != OLD.id "
            "BEGIN SELECT RAISE(ABORT, 'journal_head only moves forward by one'); END"
        )
    elif dialect == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION groupguard_append_only()"
            )
        for table in _NO_TRUNCATE:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION groupguard_append_only()"
            )
        op.execute(
            "CREATE FUNCTION groupguard_head_forward() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' OR NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id THEN "
            "RAISE EXCEPTION 'journal_head only moves forward by one'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER journal_head_forward BEFORE UPDATE OR DELETE ON journal_head "
            "FOR EACH ROW EXECUTE FUNCTION groupguard_head_forward()"
        )


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        op.execute("DROP TRIGGER IF EXISTS journal_head_no_delete")
        op.execute("DROP TRIGGER IF EXISTS journal_head_forward")
    elif dialect == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        for table in _NO_TRUNCATE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS journal_head_forward ON journal_head")
        op.execute("DROP FUNCTION IF EXISTS groupguard_head_forward()")


def downgrade() -> None:
    _drop_guards()
    op.drop_table("report_runs")
    op.drop_table("incident_steps")
    op.drop_table("incidents")
    op.drop_table("journal_head")
    op.drop_table("journal")
