"""Issue 10's durability items on the console stack: text a database refuses, a failing
batch, re-applying interrupted intents, and backlog amplification."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from core_harness import Harness, make_harness

from bot.clean_text import REPLACEMENT, clean_event
from bot.events import Member, MessagePosted
from bot.hot_path import HotPath
from storage.store import Store

BAD = "加我微信带你赌博，稳赚不赔"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _message(n: int, user: str, nickname: str, text: str) -> MessagePosted:
    return MessagePosted(
        platform="console",
        chat_id="console-group",
        update_id=f"up-{n}",
        message_id=f"m{n}",
        sender=Member(user, nickname),
        text=text,
    )


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(sqlite_url)
    yield harness
    await harness.close()


@pytest.fixture
async def hdb(db_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(db_url)
    yield harness
    await harness.close()


# -- item 8: one bad row ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\ud800", "\x00"])
async def test_a_nickname_the_database_refuses_blocks_no_later_write(
    hdb: Harness, bad: str
) -> None:
    """A lone surrogate (SQLite) or a NUL (PostgreSQL) in a nickname used to fail its batch
    and every later one: 0 of 3 following offending messages were acted on."""
    await hdb.app.handle(_message(1, "u50", f"李{bad}四-工会", "早上好"))
    for n in range(2, 5):
        await hdb.app.handle(_message(n, f"u{n}", "张三-工会", BAD))
    deleted = {c[2] for c in hdb.adapter.calls if c[0] == "delete_message"}
    assert deleted == {"m2", "m3", "m4"}
    member = await hdb.app.store.read(lambda r: r.member("console", "console-group", "u50"))
    assert member is not None and member.nickname == f"李{REPLACEMENT}四-工会"


def test_cleaning_reaches_every_text_field_and_keeps_clean_events_as_they_are() -> None:
    event = _message(1, "u\x00", "a\udfffb", "x\x00y")
    cleaned = clean_event(event)
    assert (cleaned.sender.user_id, cleaned.sender.nickname, cleaned.text) == (
        f"u{REPLACEMENT}",
        f"a{REPLACEMENT}b",
        f"x{REPLACEMENT}y",
    )
    fine = _message(2, "u1", "张三-工会", "早上好 😀")
    assert clean_event(fine) is fine


async def test_a_failing_batch_keeps_its_good_rows_and_later_batches_work(db_url: str) -> None:
    store = await Store.open(db_url, retry_for=1)
    hot = HotPath(store, max_delay=3600)
    try:
        await hot.start()
        hot.claim("console", "good-1", NOW)
        # Past the boundary on purpose: a row the database refuses, in the same batch.
        hot.save_member(
            None,
            platform="console",
            chat_id="g",
            user_id="bad",
            nickname="\ud800\x00",
            username=None,
            at=NOW,
        )
        hot.claim("console", "good-2", NOW)
        await hot.flush()  # must not raise, must not keep the bad row for ever
        hot.claim("console", "good-3", NOW)
        await hot.flush()
        claimed = [
            await store.read(lambda r, u=u: r.update_claimed("console", u))  # type: ignore[misc]
            for u in ("good-1", "good-2", "good-3")
        ]
        assert claimed == [True, True, True]
    finally:
        await hot.stop()
        await store.close()


# -- item 7: reconcile re-applies through the specs ------------------------------------------


def _intent(h: Harness, kind: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "decision_id": "d-crash",
        "at": h.clock.now(),
        "platform": "console",
        "chat_id": "console-group",
        "user_id": "u9",
        "actor": "bot",
        "kind": kind,
        "params": {},
        "rule": "content",
        "article": "R1 Art.7",
        "category": "illegal",
        "severity": "critical",
        "message_id": "m1",
        "evidence": [{"match": "赌博", "start": 6, "end": 8, "kind": "lexicon"}],
        "reason": "",
    }
    row.update(extra)
    return row


async def _crash_with(
    sqlite_url: str, *intents: dict[str, Any], done: tuple[str, ...] = ()
) -> Harness:
    """Write a decision's intents as a run killed before their outcomes would leave them
    (``done``: kinds whose outcome was recorded before the kill), then start again."""
    h = await make_harness(sqlite_url)
    await h.record({"type": "message", "user": "张三-党群工作部", "chat": "group-2", "text": "早"})

    async def write(r: Any) -> None:
        for intent in intents:
            action_id = await r.record_action(**intent)
            if intent["kind"] in done:
                await r.record_outcome(action_id, "done", "", h.clock.now())

    await h.app.store.write(write)
    await h.close()
    return await make_harness(sqlite_url)  # start() reconciles


async def test_reconciled_escalation_and_warning_are_sent_and_say_what_was_done(
    sqlite_url: str,
) -> None:
    h0 = await make_harness(sqlite_url)
    intents = [
        _intent(h0, "delete"),
        _intent(h0, "warn"),
        _intent(h0, "escalate", params={"tier": 1}),
    ]
    await h0.close()
    h = await _crash_with(sqlite_url, *intents, done=("delete",))
    try:
        (text,) = h.sent_to("tier1-分管负责人")
        assert "删除消息" in text  # the delete done before the crash is listed
        assert any(where == "console-group" for where, _ in h.adapter.sent)  # the warning
        rows = [r for r in await h.audit(user_id="u9") if r["kind"] in ("warn", "escalate")]
        assert [r["outcome"] for r in rows] == ["done", "done"]
        assert not await h.app.store.read(lambda r: r.actions_without_outcome())
    finally:
        await h.close()


async def test_reconciled_blacklist_writes_its_row_and_bans_in_every_group(
    sqlite_url: str,
) -> None:
    h0 = await make_harness(sqlite_url)
    intent = _intent(h0, "blacklist")
    await h0.close()
    h = await _crash_with(sqlite_url, intent)
    try:
        assert await h.app.store.read(lambda r: r.is_blacklisted("console", "u9"))
        bans = {c[1] for c in h.adapter.calls if c[0] == "ban" and c[2] == "u9"}
        assert bans == {"console-group", "group-2"}
    finally:
        await h.close()


async def test_reconciled_mute_without_the_capability_is_a_recorded_fallback_not_done(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.console import ConsoleAdapter

    h0 = await make_harness(sqlite_url)
    until = "2026-01-05T02:00:00+00:00"
    intent = _intent(h0, "mute", params={"duration": "1h", "until": until})
    await h0.close()
    no_mute = dataclasses.replace(ConsoleAdapter.capabilities, mute=False)
    monkeypatch.setattr(ConsoleAdapter, "capabilities", no_mute)
    h = await _crash_with(sqlite_url, intent)
    try:
        (row,) = [r for r in await h.audit(user_id="u9") if r["kind"] == "mute"]
        assert row["outcome"] == "fallback"
        assert not any(c[0] == "mute" for c in h.adapter.calls)
        member = await h.app.store.read(lambda r: r.member("console", "console-group", "u9"))
        assert member is not None and member.restricted_until == datetime.fromisoformat(until)
        timers = await h.app.store.read(lambda r: r.armed_timers())
        assert [(t.kind, t.user_id) for t in timers if t.kind == "mute_expiry"] == [
            ("mute_expiry", "u9")
        ]
    finally:
        await h.close()


# -- item 12: backlog amplification ----------------------------------------------------------


def _in(chat: str, event: MessagePosted) -> MessagePosted:
    return dataclasses.replace(event, chat_id=chat)


async def test_a_blacklisted_members_backlog_is_deleted_without_more_bans_or_notices(
    h: Harness,
) -> None:
    await h.app.handle(_in("group-2", _message(0, "u0", "王五-工会", "早上好")))
    await h.app.handle(_message(1, "u1", "张三-工会", BAD))
    await h.app.executor.settle()
    # The member's messages queued before the ban took effect, in both groups.
    for n in range(2, 22):
        event = _message(n, "u1", "张三-工会", BAD if n % 2 else "收到")
        await h.app.handle(_in("group-2", event) if n % 3 == 0 else event)
        await h.app.executor.settle()
    deleted = [c for c in h.adapter.calls if c[0] == "delete_message"]
    assert len(deleted) == 21  # every message of the backlog is still deleted
    bans = sorted(c[1] for c in h.adapter.calls if c[0] == "ban")
    assert bans == ["console-group", "group-2"]  # once per group, not once per message
    notices = [t for _, t in h.adapter.sent if "已被纳入黑名单" in t]
    assert len(notices) == 1
    escalations = h.sent_to("tier1-分管负责人")
    assert len(escalations) == 1


async def test_speaking_while_restricted_climbs_the_ladder_once_then_only_deletes(
    h: Harness,
) -> None:
    await h.app.handle(_message(1, "u7", "李明-财务科", "早上好"))
    await h.app.hot.flush()
    until = h.clock.now() + timedelta(hours=1)
    await h.app.store.write(
        lambda r: r.set_member_fields("console", "console-group", "u7", restricted_until=until)
    )
    await h.app.hot.invalidate("console", "console-group", "u7")
    for n in range(2, 12):
        await h.app.handle(_message(n, "u7", "李明-财务科", "我还在说话"))
    assert len([c for c in h.adapter.calls if c[0] == "delete_message"]) == 10
    assert len([c for c in h.adapter.calls if c[0] == "remove"]) == 1
    removed_notices = [t for _, t in h.adapter.sent if "已被移出群聊" in t]
    admin_notices = [t for _, t in h.adapter.sent if t.startswith("【限制发言】")]
    assert len(admin_notices) == 1
    assert len(removed_notices) == 1


# -- item 10: cross-group bans in the background ---------------------------------------------


async def test_a_blacklisting_does_not_wait_for_the_bans_in_other_groups(h: Harness) -> None:
    for n, chat in enumerate(("group-2", "group-3")):
        await h.app.handle(_in(chat, _message(100 + n, "u0", "王五-工会", "早上好")))
    release = asyncio.Event()
    plain_ban = h.adapter.ban

    async def slow_elsewhere(chat_id: str, user_id: str) -> None:
        if chat_id != "console-group":
            await release.wait()  # a slow group (or many of them)
        await plain_ban(chat_id, user_id)

    h.adapter.ban = slow_elsewhere  # type: ignore[method-assign]
    handled = await asyncio.wait_for(h.app.handle(_message(1, "u1", "张三-工会", BAD)), 10)
    assert [d.category for d in handled.decisions] == ["illegal"]
    (row,) = [r for r in await h.audit(user_id="u1") if r["kind"] == "blacklist"]
    assert row["outcome"] == "done" and "2 other group(s)" in row["detail"]
    assert [c[1] for c in h.adapter.calls if c[0] == "ban"] == ["console-group"]
    release.set()
    await h.app.executor.settle()
    bans = sorted(c[1] for c in h.adapter.calls if c[0] == "ban")
    assert bans == ["console-group", "group-2", "group-3"]


async def test_bans_a_stop_interrupted_are_made_by_the_scheduler_after_a_start(
    sqlite_url: str,
) -> None:
    h = await make_harness(sqlite_url)
    await h.app.handle(_in("group-2", _message(100, "u0", "王五-工会", "早上好")))
    never = asyncio.Event()
    plain_ban = h.adapter.ban

    async def stuck_elsewhere(chat_id: str, user_id: str) -> None:
        if chat_id != "console-group":
            await never.wait()
        await plain_ban(chat_id, user_id)

    h.adapter.ban = stuck_elsewhere  # type: ignore[method-assign]
    await h.app.handle(_message(1, "u1", "张三-工会", BAD))
    await h.app.executor.settle(grace=0)  # a stop that cannot wait: the ban is cut off
    await h.close()
    h2 = await make_harness(sqlite_url)
    try:
        assert await h2.advance(timedelta(0)) == 1  # its timer row was left armed
        assert ("ban", "group-2", "u1") in h2.adapter.calls
        left = await h2.app.store.read(lambda r: r.armed_timers())
        assert [t for t in left if not t.kind.startswith("mem_")] == []  # the audit stays
    finally:
        await h2.close()


# -- item 6: commands and button presses -----------------------------------------------------


async def test_a_command_cut_off_by_a_crash_is_handled_when_its_update_is_replayed(
    sqlite_url: str,
) -> None:
    from bot.events import CommandIssued

    h = await make_harness(sqlite_url)
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    (command,) = [
        e
        for e in h.script.parse_line("管理员-办公室: /kick @李明-财务科")
        if isinstance(e, CommandIssued)
    ]
    handle = h.app.commands.handle

    async def dies(_event: object) -> list[str]:
        raise KeyboardInterrupt  # the process dies inside the command

    h.app.commands.handle = dies  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        await h.app.handle(command)
    h.app.commands.handle = handle  # type: ignore[method-assign]
    await h.close()
    h2 = await make_harness(sqlite_url)
    try:
        handled = await h2.app.handle(command)  # the inbox hands the update over again
        assert not handled.duplicate
        assert ("remove", "console-group", "u2") in h2.adapter.calls
        again = await h2.app.handle(command)
        assert again.duplicate
    finally:
        await h2.close()


async def test_an_error_text_the_database_refuses_does_not_lose_the_outcomes(hdb: Harness) -> None:
    from bot.ports import PlatformError

    async def refuses(_chat: str, _message: str) -> None:
        raise PlatformError("bad_request", "Bad Request: message \x00\ud800 can't be deleted")

    hdb.adapter.delete_message = refuses  # type: ignore[method-assign]
    await hdb.app.handle(_message(1, "u1", "张三-工会", BAD))
    rows = await hdb.audit(user_id="u1")
    assert rows and all(r["outcome"] is not None for r in rows)
    assert [r["outcome"] for r in rows if r["kind"] == "delete"] == ["failed"]


def test_a_delete_or_ban_two_rules_ask_for_is_taken_once_but_each_text_stays() -> None:
    from rules.actions import Action, ActionKind
    from rules.decisions import Decision
    from rules.engine import _once_per_event

    def decision(rule: str, *kinds: ActionKind) -> Decision:
        return Decision(
            rule=rule,
            article="R1",
            category=rule,
            severity="high",
            actions=tuple(Action(k) for k in kinds),
        )

    kinds = (ActionKind.DELETE, ActionKind.BLACKLIST, ActionKind.NOTIFY_ADMINS)
    first, second = decision("blacklist", *kinds), decision("content", *kinds)
    kept = _once_per_event([first, second])
    assert kept[0] is first
    assert [a.kind for a in kept[1].actions] == [ActionKind.NOTIFY_ADMINS]


def test_speaking_while_restricted_beyond_the_ladders_end_only_deletes() -> None:
    """Where the last step cannot remove (a platform without kick), each further message
    used to repeat remove + notify_admins."""
    from rules.detection.detector import Detector
    from rules.engine import Engine
    from rules.observation import Kind, MemberRecord, Observation
    from rules.policy import GroupPolicy

    engine = Engine(Detector.load())
    until = NOW + timedelta(hours=1)
    observation = Observation(Kind.MESSAGE, "u1", "张三-工会", NOW, message_id="m9", text="说")
    steps = len(GroupPolicy().category("restricted").steps)  # type: ignore[union-attr]
    (last,) = engine.decide(
        observation,
        GroupPolicy(),
        MemberRecord(restricted_until=until, offences={"restricted": steps - 1}),
    )
    (beyond,) = engine.decide(
        observation,
        GroupPolicy(),
        MemberRecord(restricted_until=until, offences={"restricted": steps}),
    )
    assert "remove" in [str(a.kind) for a in last.actions]
    assert [str(a.kind) for a in beyond.actions] == ["delete"]
    assert beyond.counts_as_offence
