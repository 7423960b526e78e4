"""The hash-chained journal on a real SQLite file and a real PostgreSQL server: every way of
rewriting the record behind the bot's back is found by ``verify``, with the entry number."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import journal
from storage.store import Store

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


async def seed(store: Store) -> None:
    """A detection with two actions and outcomes, an offence, a blacklist entry lifted later,
    an escalation answered by a supervisor, and a join: 12 entries."""

    async def work(r):  # type: ignore[no-untyped-def]
        await r.add_offence(
            platform="console",
            chat_id="g",
            user_id="u1",
            category="illegal",
            rule="content",
            article="R1 Art.7",
            message_id="m1",
            decision_id="d1",
            at=NOW,
        )
        ids = []
        for kind in ("delete", "blacklist"):
            ids.append(
                await r.record_action(
                    decision_id="d1",
                    at=NOW,
                    platform="console",
                    chat_id="g",
                    user_id="u1",
                    actor="bot",
                    kind=kind,
                    params={},
                    rule="content",
                    article="R1 Art.7",
                    category="illegal",
                    severity="high",
                    message_id="m1",
                    evidence=[{"match": "赌博", "start": 3, "end": 5}],
                    reason="",
                )
            )
        for action_id in ids:
            await r.record_outcome(action_id, "done", "", NOW, ["console:sup"])
        await r.add_blacklist("console", "u1", "illegal", "bot", NOW)
        escalation = await r.add_escalation(
            action_id=None,
            decision_id="d1",
            tier=1,
            target_platform="console",
            target_chat_id="sup",
            platform="console",
            chat_id="g",
            user_id="u1",
            category="illegal",
            article="R1 Art.7",
            summary="赌博",
            status="pending",
            at=NOW,
        )
        await r.set_escalation_status(escalation, "sent", NOW)
        await r.add_escalation_response(escalation, "boss", "lifted", NOW + timedelta(minutes=5))
        await r.lift_blacklist("console", "u1", "supervisor:boss", NOW + timedelta(minutes=5))
        await r.revoke_last_offence("console", "g", "u1", NOW + timedelta(minutes=5))
        await r.record_membership("console", "g", "u2", "joined", None, NOW)

    await store.write(work)


async def unguard(store: Store, table: str) -> None:
    """What someone with the database's password can do: switch the triggers off."""
    async with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            names = (
                await conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=:t"),
                    {"t": table},
                )
            ).scalars()
            for name in list(names):
                await conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


async def run(store: Store, statement: str, **params: object) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(text(statement), params)


async def check(store: Store, **kw: object) -> journal.Break | None:
    return await store.read(lambda r: journal.verify(r.c, **kw))


@pytest.fixture
async def store(db_url: str):  # type: ignore[no-untyped-def]
    opened = await Store.open(db_url, retry_for=2)
    await seed(opened)
    yield opened
    await opened.close()


async def test_an_untouched_record_verifies_and_every_write_is_an_entry(store: Store) -> None:
    assert await check(store) is None
    entries = await store.read(lambda r: journal.entries(r.c))
    assert [e.seq for e in entries] == list(range(1, 13))
    assert [e.kind for e in entries] == [
        "offence",
        "action",
        "action",
        "outcome",
        "outcome",
        "blacklist.added",
        "escalation",
        "escalation.status",
        "escalation.response",
        "blacklist.lifted",
        "offence.revoked",
        "membership",
    ]
    kinds = [e.kind for e in entries]
    assert kinds.count("action") == 2 and kinds.count("outcome") == 2
    assert {"offence", "offence.revoked", "blacklist.added", "blacklist.lifted"} <= set(kinds)
    assert {"escalation", "escalation.status", "escalation.response", "membership"} <= set(kinds)
    assert entries[0].prev_hash == journal.GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(entries))
    head = await store.read(lambda r: journal.head(r.c))
    assert (head.seq, head.hash) == (12, entries[-1].hash)


async def test_the_database_refuses_to_edit_or_delete_the_journal(store: Store) -> None:
    for statement in (
        "UPDATE journal SET kind = 'x' WHERE seq = 2",
        "DELETE FROM journal WHERE seq = 12",
        "DELETE FROM journal_head",
        "UPDATE journal_head SET seq = 3",
        "UPDATE membership_events SET kind = 'left'",
    ):
        with pytest.raises(DBAPIError):
            await run(store, statement)
    if store.engine.dialect.name == "postgresql":
        for table in ("journal", "actions", "escalations", "offences"):
            with pytest.raises(DBAPIError, match="append-only"):
                await run(store, f"TRUNCATE {table} CASCADE")
    assert await check(store) is None


async def test_an_edited_entry_is_found_with_its_number(store: Store) -> None:
    await unguard(store, "journal")
    await run(store, "UPDATE journal SET payload = replace(payload, '赌博', '**') WHERE seq = 2")
    found = await check(store)
    assert found is not None and (found.seq, found.reason) == (2, "altered")


async def test_a_deleted_entry_is_found_with_its_number(store: Store) -> None:
    await unguard(store, "journal")
    await run(store, "DELETE FROM journal WHERE seq = 5")
    found = await check(store)
    assert found is not None and (found.seq, found.reason) == (5, "removed")


async def forge(store: Store, seq: int, prev_hash: str, at: datetime) -> None:
    """An entry with a correct hash for its place, as someone who read this module would."""
    payload = journal.canonical({"forged": True})
    await run(
        store,
        "INSERT INTO journal (seq, at, kind, payload, prev_hash, hash) "
        "VALUES (:seq, :at, 'note', :p, :prev, :h)",
        seq=seq,
        at=at.isoformat(sep=" ") if store.engine.dialect.name == "sqlite" else at,
        p=payload,
        prev=prev_hash,
        h=journal.entry_hash(prev_hash, seq, at, "note", None, None, payload),
    )


async def test_an_inserted_entry_is_found_even_with_a_correct_hash(store: Store) -> None:
    last = (await store.read(lambda r: journal.entries(r.c)))[-1]
    await forge(store, 13, last.hash, NOW + timedelta(hours=1))
    found = await check(store)
    assert found is not None and (found.seq, found.reason) == (13, "inserted")


async def test_a_renumbered_insertion_in_the_middle_breaks_the_link(store: Store) -> None:
    await unguard(store, "journal")
    await run(store, "DELETE FROM journal WHERE seq = 7")
    entries = await store.read(lambda r: journal.entries(r.c))
    await forge(store, 7, next(e for e in entries if e.seq == 6).hash, NOW)
    found = await check(store)
    assert found is not None and (found.seq, found.reason) == (8, "relinked")


async def test_the_chain_is_read_a_page_at_a_time(store: Store) -> None:
    assert await check(store, batch=5) is None
    await unguard(store, "journal")
    await run(store, "DELETE FROM journal WHERE seq = 6")  # the first of a page
    found = await check(store, batch=5)
    assert found is not None and (found.seq, found.reason) == (6, "removed")


async def test_a_truncated_tail_is_found(store: Store) -> None:
    await unguard(store, "journal")
    await run(store, "DELETE FROM journal WHERE seq >= 11")
    found = await check(store)
    assert found is not None and (found.seq, found.reason) == (11, "truncated")
    assert "11..12" in found.detail


async def test_a_tail_truncated_with_its_head_is_caught_by_a_reports_head(store: Store) -> None:
    reported = await store.read(lambda r: journal.head(r.c))
    await unguard(store, "journal")
    await unguard(store, "journal_head")
    last = (await store.read(lambda r: journal.entries(r.c)))[9]
    await run(store, "DELETE FROM journal WHERE seq >= 11")
    await run(store, "UPDATE journal_head SET seq = 10, hash = :h", h=last.hash)
    found = await check(store)
    # The records written after entry 10 still exist and no longer match the journal.
    assert found is not None and found.reason.startswith("row_")
    found = await check(store, anchors=[reported], tables=())
    assert found is not None and (found.seq, found.reason) == (11, "truncated")


async def test_a_rewritten_chain_differs_from_the_head_in_a_report(store: Store) -> None:
    reported = await store.read(lambda r: journal.head(r.c))
    await unguard(store, "journal")
    await run(store, "UPDATE journal SET hash = :h WHERE seq = 12", h="f" * 64)
    found = await check(store, anchors=[journal.Head(12, reported.hash)])
    assert found is not None and found.seq == 12


async def test_editing_a_record_after_dropping_its_triggers_is_found(store: Store) -> None:
    await unguard(store, "actions")
    await run(store, "UPDATE actions SET kind = 'warn' WHERE id = 2")
    found = await check(store)
    assert found is not None and found.reason == "row_altered"
    assert found.row == "actions #2" and found.seq == 3


async def test_a_deleted_record_and_a_record_added_behind_the_journal_are_found(
    store: Store,
) -> None:
    await unguard(store, "escalation_responses")
    await run(store, "DELETE FROM escalation_responses")
    found = await check(store)
    assert found is not None and found.reason == "row_removed"
    assert found.row == "escalation_responses #1" and found.seq == 9
    await run(
        store,
        "INSERT INTO action_outcomes (action_id, at, outcome, detail, notified) "
        "VALUES (1, :at, 'failed', '', '[]')",
        at=NOW.isoformat(sep=" ") if store.engine.dialect.name == "sqlite" else NOW,
    )
    found = await check(store)
    assert found is not None and found.reason == "row_unjournaled"
    assert found.row == "action_outcomes #3" and found.seq == 12


async def test_an_existing_database_gets_its_records_as_the_first_entries(db_url: str) -> None:
    from alembic import command

    from storage.db import alembic_config, make_engine

    engine = make_engine(db_url)

    def to(revision: str):  # type: ignore[no-untyped-def]
        def go(connection) -> None:  # type: ignore[no-untyped-def]
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)

        return go

    async with engine.begin() as conn:
        await conn.run_sync(to("0002"))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO membership_events (platform, chat_id, user_id, kind, at) "
                "VALUES ('console', 'g', 'u', 'joined', :at)"
            ),
            {"at": NOW.isoformat(sep=" ") if engine.dialect.name == "sqlite" else NOW},
        )
    await engine.dispose()
    store = await Store.open(db_url)
    try:
        entries = await store.read(lambda r: journal.entries(r.c))
        assert [(e.kind, e.ref_table) for e in entries] == [("baseline", "membership_events")]
        assert await check(store) is None
    finally:
        await store.close()


async def test_two_writers_never_share_a_sequence_number(db_url: str) -> None:
    """Two processes (two engines) appending at once: one chain, no gap, no fork."""
    first = await Store.open(db_url, retry_for=10)
    second = await Store.open(db_url, retry_for=10, migrate=False)

    async def burst(store: Store, who: str) -> None:
        for i in range(25):
            await store.write(
                lambda r, i=i: r.record_membership("console", "g", f"{who}{i}", "joined", None, NOW)
            )

    try:
        await asyncio.gather(burst(first, "a"), burst(second, "b"))
        entries = await first.read(lambda r: journal.entries(r.c))
        assert [e.seq for e in entries] == list(range(1, 51))
        assert await check(first) is None
    finally:
        await second.close()
        await first.close()


async def test_filings_their_approval_steps_and_hand_overs_are_in_the_chain(db_url: str) -> None:
    """The governance records (R2 Art.6-9: 备案 and its approval chain) are kept records too."""
    from test_core_governance import FORM, _harness, command, press

    h = await _harness(db_url)
    try:
        await command(h, "zhao", FORM)
        for who in ("lee", "wang", "qian"):
            await press(h, who, 1, "approve")
        entries = await h.app.store.read(lambda r: journal.entries(r.c))
        kinds = [e.kind for e in entries]
        assert kinds.count("filing") == 1 and kinds.count("filing.step") == 3
        assert kinds.count("filing.change") >= 3  # each step moves it; the last files it
        assert await h.app.store.read(lambda r: journal.verify(r.c)) is None
        await unguard(h.app.store, "filing_steps")
        await run(h.app.store, "UPDATE filing_steps SET decision = 'rejected' WHERE step = 1")
        found = await h.app.store.read(lambda r: journal.verify(r.c))
        assert found is not None and found.reason == "row_altered"
        assert found.row is not None and found.row.startswith("filing_steps #")
    finally:
        await h.close()
