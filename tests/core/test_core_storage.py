"""Storage on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.store import Store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str):  # type: ignore[no-untyped-def]
    opened = await Store.open(db_url, retry_for=2)
    yield opened
    await opened.close()


async def test_migrations_are_idempotent_and_create_every_table(db_url: str) -> None:
    first = await Store.open(db_url)
    await first.close()
    again = await Store.open(db_url)  # a second upgrade on start must be a no-op
    async with again.engine.connect() as conn:
        names = await conn.run_sync(lambda c: __import__("sqlalchemy").inspect(c).get_table_names())
    await again.close()
    for table in (
        "groups",
        "members",
        "nickname_history",
        "offences",
        "actions",
        "action_outcomes",
        "escalations",
        "escalation_responses",
        "timers",
        "blacklist",
        "processed_updates",
        "membership_events",
        "alembic_version",
    ):
        assert table in names


async def test_a_repeated_update_id_is_claimed_once(store: Store) -> None:
    assert await store.write(lambda r: r.claim_update("telegram", "42", NOW)) is True
    assert await store.write(lambda r: r.claim_update("telegram", "42", NOW)) is False
    assert await store.write(lambda r: r.claim_update("wechat", "42", NOW)) is True


async def test_audit_journal_refuses_update_and_delete(store: Store) -> None:
    action_id = await store.write(
        lambda r: r.record_action(
            decision_id="d1",
            at=NOW,
            platform="console",
            chat_id="g",
            user_id="u",
            actor="bot",
            kind="warn",
            params={},
            rule="content",
            article="R1 Art.9",
            category="harmful",
            severity="high",
            message_id="m",
            evidence=[{"match": "x"}],
            reason="",
        )
    )
    await store.write(lambda r: r.record_outcome(action_id, "done", "", NOW))
    for statement in (
        "UPDATE actions SET kind = 'none'",
        "DELETE FROM actions",
        "UPDATE action_outcomes SET outcome = 'failed'",
        "DELETE FROM action_outcomes",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.engine.begin() as conn:
                await conn.execute(text(statement))
    rows = await store.read(lambda r: r.audit())
    assert [(r["kind"], r["outcome"]) for r in rows] == [("warn", "done")]


async def test_member_nickname_history_is_kept(store: Store) -> None:
    kw = {"platform": "console", "chat_id": "g", "user_id": "u1", "username": None}
    await store.write(lambda r: r.save_member(None, nickname="小明", at=NOW, **kw))
    previous = await store.read(lambda r: r.member("console", "g", "u1"))
    await store.write(lambda r: r.save_member(previous, nickname="李明-财务科", at=NOW, **kw))
    history = await store.read(lambda r: r.nickname_history("console", "g", "u1"))
    assert [(old, new) for old, new, _ in history] == [(None, "小明"), ("小明", "李明-财务科")]
    assert (await store.read(lambda r: r.member("console", "g", "u1"))).nickname == "李明-财务科"


async def test_timers_rearm_replace_and_are_claimed_once(store: Store) -> None:
    await store.write(
        lambda r: r.arm_timer("mute_expiry", "console", "g", "u1", NOW + timedelta(minutes=10), NOW)
    )
    await store.write(
        lambda r: r.arm_timer("mute_expiry", "console", "g", "u1", NOW + timedelta(hours=2), NOW)
    )
    armed = await store.read(lambda r: r.armed_timers())
    assert len(armed) == 1 and armed[0].due_at == NOW + timedelta(hours=2)
    assert await store.read(lambda r: r.armed_timers(due_before=NOW + timedelta(hours=1))) == []
    assert await store.write(lambda r: r.finish_timer(armed[0].id)) is True
    assert await store.write(lambda r: r.finish_timer(armed[0].id)) is False


async def test_blacklist_is_per_platform_and_liftable(store: Store) -> None:
    assert await store.write(lambda r: r.add_blacklist("telegram", "7", "illegal", "bot", NOW))
    assert not await store.write(lambda r: r.add_blacklist("telegram", "7", "again", "bot", NOW))
    assert await store.read(lambda r: r.is_blacklisted("telegram", "7"))
    assert not await store.read(lambda r: r.is_blacklisted("wechat", "7"))
    assert await store.write(lambda r: r.lift_blacklist("telegram", "7", "admin", NOW))
    assert not await store.read(lambda r: r.is_blacklisted("telegram", "7"))


async def test_offence_counts_respect_window_and_revocation(store: Store) -> None:
    for days_ago in (40, 10, 1):
        await store.write(
            lambda r, d=days_ago: r.add_offence(
                platform="console",
                chat_id="g",
                user_id="u1",
                category="harmful",
                rule="content",
                article="R1 Art.9",
                message_id=None,
                decision_id=f"d{d}",
                at=NOW - timedelta(days=d),
            )
        )
    since = NOW - timedelta(days=30)
    assert await store.read(lambda r: r.offence_counts("console", "g", "u1", since)) == {
        "harmful": 2
    }
    assert await store.write(lambda r: r.revoke_last_offence("console", "g", "u1", NOW))
    assert await store.read(lambda r: r.offence_counts("console", "g", "u1", since)) == {
        "harmful": 1
    }


async def test_datetimes_come_back_aware_utc(store: Store) -> None:
    await store.write(lambda r: r.claim_update("console", "1", NOW))
    await store.write(lambda r: r.touch_group("console", "g", "T", NOW))
    await store.write(lambda r: r.arm_timer("quiet_end", "console", "g", None, NOW, NOW))
    (timer,) = await store.read(lambda r: r.armed_timers())
    assert timer.due_at == NOW and timer.due_at.tzinfo is not None


async def test_migrations_match_the_models(db_url: str) -> None:
    """Alembic's autogenerate finds nothing to add: the schema the migrations build is the
    schema the models describe (no drift between storage/models.py and the versions)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    store = await Store.open(db_url)
    async with store.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    await store.close()
    assert diff == []
