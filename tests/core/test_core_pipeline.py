"""End to end on the console adapter: events → engine → executor → storage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from core_harness import Harness, make_harness

from bot.events import Member, MessagePosted

BAD_LINE = "张三-党群工作部: 加我微信带你赌博，稳赚不赔"


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


async def test_wrongly_named_member_is_reminded_then_removed_at_the_deadline(hdb: Harness) -> None:
    h = hdb
    await h.say("/admin 管理员-办公室")
    (handled,) = await h.say("/join 小明")
    assert [d.rule for d in handled.decisions] == ["nickname"]
    reminder = [t for _, t in h.adapter.sent if "真实姓名" in t]
    assert reminder and "张三-党群工作部" in reminder[0]  # the expected format, with an example
    assert await h.advance(timedelta(hours=23)) == 0
    assert await h.advance(timedelta(hours=2)) == 1
    assert ("remove", "console-group", "u2") in h.adapter.calls
    told = [where for where, t in h.adapter.sent if "宽限期" in t and where.startswith("private")]
    assert told == ["private:u1"]  # the group's admin, not the bot itself
    kinds = [(r["kind"], r["outcome"]) for r in await h.audit(user_id="u2")]
    assert ("remind", "done") in kinds and ("remove", "done") in kinds


async def test_fixing_the_name_in_time_cancels_the_deadline(h: Harness) -> None:
    await h.say("/join 小明")
    await h.say("/rename 小明 李明-财务科")
    assert await h.advance(timedelta(hours=25)) == 0
    assert not any(c[0] == "remove" for c in h.adapter.calls)


async def test_a_message_under_a_new_wrong_name_is_checked(h: Harness) -> None:
    await h.say("张三-党群工作部: 早上好")
    h.script._remember("u1", "三哥")
    (handled,) = await h.say("三哥: 我改名了")
    assert [d.rule for d in handled.decisions] == ["nickname"]
    history = await h.app.store.read(lambda r: r.nickname_history("console", "console-group", "u1"))
    assert [new for _, new, _ in history] == ["张三-党群工作部", "三哥"]


async def test_illegal_message_is_deleted_member_blacklisted_and_escalated(hdb: Harness) -> None:
    h = hdb
    handled = (await h.say(BAD_LINE))[-1]
    assert [d.category for d in handled.decisions] == ["illegal"]
    assert ("delete_message", "console-group", "1") in h.adapter.calls
    assert ("ban", "console-group", "u1") in h.adapter.calls
    assert await h.app.store.read(lambda r: r.is_blacklisted("console", "u1"))
    for tier in ("tier1-分管负责人", "tier2-网信办"):
        (text,) = h.sent_to(tier)
        # The regulation's name and article, not its code (issue 14).
        assert h.app.catalogue.article("R1 Art.7(9)") in text and "赌博" in text
        assert "R1 Art." not in text
    rows = await h.audit(category="illegal")
    assert {r["kind"] for r in rows} >= {"delete", "blacklist", "escalate"}
    assert all(r["outcome"] == "done" for r in rows)
    assert rows[0]["evidence"][0]["match"] in BAD_LINE


async def test_blacklisted_member_joining_another_group_is_removed(h: Harness) -> None:
    await h.say(BAD_LINE)
    await h.record({"type": "join", "user": "张三-党群工作部", "chat": "group-2"})
    assert ("ban", "group-2", "u1") in h.adapter.calls


async def test_evidence_sent_to_supervisors_masks_personal_data(h: Harness) -> None:
    await h.say("张三-党群工作部: 我的身份证110105199001011236，一起赌博")
    (text,) = h.sent_to("tier1-分管负责人")
    assert "110105199001011236" not in text


async def test_repeated_update_is_not_handled_twice(h: Harness) -> None:
    steps = h.script.parse_line("李四-财务科: 赌博吗加我")
    message = steps[-1]
    first = await h.app.handle(message)
    second = await h.app.handle(message)
    assert not first.duplicate and second.duplicate and second.decisions == ()
    assert len([c for c in h.adapter.calls if c[0] == "delete_message"]) <= 1


async def test_the_bots_own_messages_are_ignored(h: Harness) -> None:
    bot = Member(user_id="bot", nickname="GroupGuard", is_bot=True)
    event = MessagePosted(
        platform="console", chat_id="g", update_id="x1", message_id="9", sender=bot, text="一起赌博"
    )
    handled = await h.app.handle(event)
    assert handled.decisions == () and h.adapter.calls == []


@pytest.mark.parametrize(
    "text",
    ["", "好" * 10_000, "\u200b\u200e\u202e\u2066", "🙂" * 500, "\x00\x01控制字符", "a\ud800b"],
    ids=["empty", "10k", "invisible-rtl", "emoji", "control", "lone-surrogate"],
)
async def test_odd_messages_are_handled_and_recorded(h: Harness, text: str) -> None:
    sender = Member(user_id="u9", nickname="王五-办公室")
    event = MessagePosted(
        platform="console",
        chat_id="g",
        update_id=f"odd-{hash(text)}",
        message_id="1",
        sender=sender,
        text=text,
    )
    handled = await h.app.handle(event)
    assert not handled.duplicate
    await h.app.hot.flush()  # ordinary messages are group-committed
    assert await h.app.store.read(lambda r: r.member("console", "g", "u9")) is not None
    assert not await h.app.store.write(
        lambda r: r.claim_update("console", event.update_id, h.clock.now())
    )


async def test_zero_width_characters_do_not_hide_a_bad_word(h: Harness) -> None:
    handled = (await h.say("张三-党群工作部: 一起赌\u200b博吧"))[-1]
    assert [d.category for d in handled.decisions] == ["illegal"]


async def test_non_admin_command_is_refused_and_recorded(h: Harness) -> None:
    await h.say("/join 小明")
    (handled,) = (await h.say("路人-街道办: /mute @小明 10m"))[-1:]
    assert handled.replies and "没有" in handled.replies[0]
    assert not any(c[0] == "mute" for c in h.adapter.calls)
    rows = await h.audit(category="command")
    assert [(r["kind"], r["outcome"], r["actor"]) for r in rows] == [
        ("command:mute", "refused", "u2")
    ]


async def test_admin_mute_sets_restriction_and_lifts_it_on_time(h: Harness) -> None:
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    await h.say("管理员-办公室: /mute @李明-财务科 10m 刷屏")
    (mute,) = [c for c in h.adapter.calls if c[0] == "mute"]
    assert mute[2] == "u2" and mute[3] == (h.clock.now() + timedelta(minutes=10)).isoformat(
        timespec="minutes"
    )
    await h.advance(timedelta(minutes=9))
    assert not any(c[0] == "unmute" for c in h.adapter.calls)
    await h.advance(timedelta(minutes=2))
    assert ("unmute", "console-group", "u2") in h.adapter.calls
    member = await h.app.store.read(lambda r: r.member("console", "console-group", "u2"))
    assert member.restricted_until is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("管理员-办公室: /mute abc", "请回复"),
        ("管理员-办公室: /mute @李明-财务科 abc", "时长格式不正确"),
        ("管理员-办公室: /mute @李明-财务科", "用法"),
        ("管理员-办公室: /mute @李明-财务科 0s", "时长格式不正确"),
        ("管理员-办公室: /kick @nobody", "找不到该成员"),
        ("管理员-办公室: /mute @管理员-办公室 10m", "不能对管理员"),
        ("管理员-办公室: /quiet maybe", "用法"),
    ],
)
async def test_malformed_commands_get_a_one_line_answer(
    h: Harness, line: str, expected: str
) -> None:
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    handled = (await h.say(line))[-1]
    assert len(handled.replies) == 1 and expected in handled.replies[0]
    assert "\n" not in handled.replies[0]
    assert not any(c[0] in ("mute", "remove") for c in h.adapter.calls)


async def test_restart_finishes_an_action_interrupted_between_intent_and_outcome(
    sqlite_url: str,
) -> None:
    h = await make_harness(sqlite_url)
    await h.say("/join 李明-财务科")
    await h.app.store.write(
        lambda r: r.record_action(
            decision_id="d",
            at=h.clock.now(),
            platform="console",
            chat_id="console-group",
            user_id="u1",
            actor="bot",
            kind="remove",
            params={},
            rule="content",
            article="R1 Art.10",
            category="harmful",
            severity="high",
            message_id=None,
            evidence=[],
            reason="",
        )
    )
    await h.close()
    h2 = await make_harness(sqlite_url)  # start() reconciles
    assert ("remove", "console-group", "u1") in h2.adapter.calls
    rows = await h2.audit(category="harmful")
    assert rows[-1]["outcome"] == "done" and "run stopped" in rows[-1]["detail"]
    await h2.close()


async def test_mute_survives_a_restart_and_is_lifted_on_time(sqlite_url: str) -> None:
    h = await make_harness(sqlite_url)
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    await h.say("管理员-办公室: /mute @李明-财务科 1h")
    start = h.clock.now()
    await h.close()
    h2 = await make_harness(sqlite_url)
    h2.clock.set(start + timedelta(minutes=61))
    assert await h2.scheduler.tick() == 1
    assert ("unmute", "console-group", "u2") in h2.adapter.calls
    await h2.close()


async def test_a_briefly_locked_database_loses_no_record(sqlite_url: str) -> None:
    import sqlite3

    h = await make_harness(sqlite_url)
    path = sqlite_url.split("///", 1)[1]
    blocker = sqlite3.connect(path, timeout=1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")

    async def release() -> None:
        await asyncio.sleep(6.5)  # longer than SQLite's own 5 s busy timeout
        blocker.execute("COMMIT")

    releasing = asyncio.create_task(release())
    handled = (await h.say(BAD_LINE))[-1]
    await releasing
    blocker.close()
    assert [d.category for d in handled.decisions] == ["illegal"]
    rows = await h.audit(category="illegal")
    assert rows and all(r["outcome"] == "done" for r in rows)
    await h.close()


async def test_capability_fallback_is_recorded(h: Harness) -> None:
    from bot.ports import Capabilities

    h.adapter.capabilities = Capabilities(remove=True, ban=False, private_message=False)
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    await h.say("管理员-办公室: /mute @李明-财务科 10m")
    (row,) = [r for r in await h.audit() if r["kind"] == "mute"]
    assert row["outcome"] == "fallback"
    assert any("无法自动禁言" in t for _, t in h.adapter.sent)
    handled = (await h.say("李明-财务科: 我还要说"))[-1]
    assert [d.category for d in handled.decisions] == ["restricted"]


async def test_dry_run_decides_and_records_but_never_acts(sqlite_url: str) -> None:
    h = await make_harness(sqlite_url, dry_run=True)
    await h.say(BAD_LINE)
    assert h.adapter.calls == [] and h.adapter.sent == []
    assert await h.audit(category="illegal")
    await h.close()


def supervisor_press(data: str, by: str = "sup-1", chat: str = "tier1-分管负责人") -> dict:
    return {"type": "button", "user": by, "chat": chat, "data": data, "id": "cb1"}


async def test_supervisor_false_positive_press_lifts_and_is_recorded(h: Harness) -> None:
    await h.say(BAD_LINE)
    h.script._remember("sup-1", "分管负责人-街道办")
    await h.record(supervisor_press("wf:esc:1:fp"))
    assert not await h.app.store.read(lambda r: r.is_blacklisted("console", "u1"))
    assert ("unban", "console-group", "u1") in h.adapter.calls
    counts = await h.app.store.read(
        lambda r: r.offence_counts(
            "console", "console-group", "u1", h.clock.now() - timedelta(days=1)
        )
    )
    assert counts == {}


async def test_departures_are_recorded_and_admins_told(h: Harness) -> None:
    await h.say("/admin 管理员-办公室")
    await h.say("/join 李明-财务科")
    await h.say("/leave 李明-财务科")
    assert any("退出" in t for where, t in h.adapter.sent if where == "private:u1")
    member = await h.app.store.read(lambda r: r.member("console", "console-group", "u2"))
    assert member.status == "left"


async def test_queued_records_survive_a_stop_and_repeats_are_caught_after_restart(
    sqlite_url: str,
) -> None:
    h = await make_harness(sqlite_url)
    sender = Member(user_id="u5", nickname="钱五-工会")
    event = MessagePosted(
        platform="console", chat_id="g", update_id="777", message_id="1", sender=sender, text="收到"
    )
    await h.app.handle(event)
    await h.close()  # stop() flushes the queue
    h2 = await make_harness(sqlite_url)
    assert (await h2.app.handle(event)).duplicate
    member = await h2.app.store.read(lambda r: r.member("console", "g", "u5"))
    assert member is not None and member.nickname == "钱五-工会"
    await h2.close()


@pytest.mark.postgres
async def test_postgres_briefly_gone_loses_no_record(postgres) -> None:  # type: ignore[no-untyped-def]
    """The server stops mid-run and comes back 2 s later: the message waiting on it is handled
    and every record of it is there."""
    h = await make_harness(postgres.new_database())
    await h.say("张三-党群工作部: 早上好")  # warm the pool and caches
    await h.app.hot.flush()
    await asyncio.to_thread(postgres.halt)

    async def come_back() -> None:
        await asyncio.sleep(2)
        await asyncio.to_thread(postgres.resume)

    returning = asyncio.create_task(come_back())
    try:
        handled = (await h.say(BAD_LINE))[-1]
    finally:
        await returning
    assert [d.category for d in handled.decisions] == ["illegal"]
    rows = await h.audit(category="illegal")
    assert {r["kind"] for r in rows} >= {"delete", "blacklist"}
    assert all(r["outcome"] == "done" for r in rows)
    await h.close()


@pytest.mark.parametrize(("arg", "minutes"), [("2h", 120), ("10:30", 90), ("2026-01-05T10:00", 60)])
async def test_quiet_until_a_time_in_the_configured_zone(
    h: Harness, arg: str, minutes: int
) -> None:
    # The harness clock starts at 2026-01-05 01:00 UTC = 09:00 in Asia/Shanghai.
    await h.say("/admin 管理员-办公室")
    await h.say(f"管理员-办公室: /quiet {arg}")
    assert ("set_quiet", "console-group", "on") in h.adapter.calls
    assert any("全员禁言" in t and "CST" in t for _, t in h.adapter.sent)
    await h.advance(timedelta(minutes=minutes - 1))
    assert ("set_quiet", "console-group", "off") not in h.adapter.calls
    await h.advance(timedelta(minutes=2))
    assert ("set_quiet", "console-group", "off") in h.adapter.calls


async def test_the_bot_follows_the_real_name_rule_but_never_acts_on_itself(h: Harness) -> None:
    from bot.events import MemberJoined

    await h.say("/admin 管理员-办公室")
    bot = Member(user_id="bot", nickname="GroupGuard", is_bot=True)
    handled = await h.app.handle(
        MemberJoined(platform="console", chat_id="console-group", update_id="j-bot", member=bot)
    )
    assert [d.reason for d in handled.decisions] == ["reason.bot_nickname_invalid"]
    told = [t for where, t in h.adapter.sent if where == "private:u1"]
    assert told and "GroupGuard" in told[0] and "exempt_user_ids" in told[0]
    assert not [c for c in h.adapter.calls if c[0] in ("remove", "ban", "mute")]
    timers = await h.app.store.read(lambda r: r.armed_timers())
    assert [t for t in timers if t.kind != "mem_audit"] == []  # the monthly member audit


async def test_an_exempted_bot_name_is_left_alone(sqlite_url: str) -> None:
    from bot.events import MemberJoined

    h = await make_harness(sqlite_url, policy={"nickname": {"exempt_user_ids": ["bot"]}})
    bot = Member(user_id="bot", nickname="GroupGuard", is_bot=True)
    handled = await h.app.handle(
        MemberJoined(platform="console", chat_id="console-group", update_id="j-bot", member=bot)
    )
    assert handled.decisions == ()
    # Only the governance notice that the group is not filed (issue 11), nothing on the name.
    assert [t for _, t in h.adapter.sent if "尚未备案" not in t] == []
    await h.close()


async def test_lexicons_reload_without_a_restart(tmp_path, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    extra = tmp_path / "lexicons" / "offtopic"
    h = await make_harness(sqlite_url, lexicon_dirs=[str(tmp_path / "lexicons")])
    before = (await h.say("张三-党群工作部: 周末一起去钓鱼吧"))[-1]
    # No rule knows the phrase yet: any decision is the work-chat model's (idle chatter), with
    # no matched words as evidence — none when acted on, the whole message when the admins are
    # asked to review it.
    evidence = [e for d in before.decisions for e in d.evidence]
    assert all(e.kind == "model" and e.match in ("", "周末一起去钓鱼吧") for e in evidence), (
        before.decisions
    )
    extra.mkdir(parents=True)
    (extra / "chatter.txt").write_text(
        "@article R2 Art.13(6)\n@reason 与工作无关的闲聊\n钓鱼吧\n", encoding="utf-8"
    )
    h.app.reload_lexicons()
    after = (await h.say("张三-党群工作部: 周末一起去钓鱼吧"))[-1]
    assert [d.category for d in after.decisions] == ["offtopic"]
    assert after.decisions[0].evidence[0].match == "钓鱼吧"
    await h.close()


async def test_scheduled_quiet_window_applies_once_even_across_a_restart(sqlite_url: str) -> None:
    # The harness clock starts at 2026-01-05 01:00 UTC; the window is 02:00–04:00 UTC.
    window = {"start": "2026-01-05T10:00:00+08:00", "end": "2026-01-05T12:00:00+08:00"}
    h = await make_harness(sqlite_url, quiet_schedule=[window])
    await h.say("/admin 管理员-办公室")
    await h.say("张三-党群工作部: 早")  # the group becomes known
    await h.advance(timedelta(minutes=30))
    assert ("set_quiet", "console-group", "on") not in h.adapter.calls
    await h.advance(timedelta(minutes=31))
    assert ("set_quiet", "console-group", "on") in h.adapter.calls
    await h.say("管理员-办公室: /quiet off")  # lifted by hand inside the window
    start = h.clock.now()
    await h.close()
    h2 = await make_harness(sqlite_url, quiet_schedule=[window])
    h2.clock.set(start + timedelta(minutes=5))
    await h2.scheduler.tick()
    assert ("set_quiet", "console-group", "on") not in h2.adapter.calls
    await h2.close()


async def test_a_group_override_governs_its_own_reminders(sqlite_url: str) -> None:
    h = await make_harness(
        sqlite_url,
        groups=[
            {
                "platform": "console",
                "chat_id": "console-group",
                "policy": {"nickname": {"grace_period": "2h", "action": ["notify_admins"]}},
            }
        ],
    )
    await h.say("/join 小明")
    (reminder,) = [t for _, t in h.adapter.sent if "真实姓名" in t]
    assert "2026-01-05 11:00 CST" in reminder  # 09:00 + the group's 2 h, not the default 24 h
    assert "移出" not in reminder  # the group's action is only to tell the admins
    await h.advance(timedelta(hours=2, seconds=1))
    assert not any(c[0] == "remove" for c in h.adapter.calls)
    await h.close()


async def test_quiet_mode_does_not_hide_illegal_content(h: Harness) -> None:
    """R2 Art.22 quiet mode deletes chatter, but illegal content must still be detected,
    blacklisted and reported (it used to end the rule run at the quiet rule)."""
    await h.say("/admin 管理员-办公室")
    await h.say("管理员-办公室: /quiet on")
    handled = (await h.say(BAD_LINE))[-1]
    assert [d.category for d in handled.decisions] == ["illegal"]
    assert await h.app.store.read(lambda r: r.is_blacklisted("console", "u2"))
    assert h.sent_to("tier1-分管负责人") and h.sent_to("tier2-网信办")


async def test_a_forged_or_foreign_press_is_refused_and_journaled(h: Harness) -> None:
    await h.say(BAD_LINE)
    h.script._remember("sup-1", "分管负责人-街道办")
    forged = [
        supervisor_press("wf:esc:1:lift", by="u1"),  # the punished member himself
        {"type": "button", "user": "sup-1", "data": "wf:esc:1:lift", "id": "x"},  # wrong chat
        supervisor_press("wf:esc:01:lift"),  # not canonical
        supervisor_press("wf:esc:١:lift"),  # not ASCII digits
        supervisor_press("wf:esc:99999999999999999999999:lift"),
        supervisor_press("wf:esc:7:lift"),  # no such escalation
    ]
    for press in forged:
        await h.record(press)
    assert await h.app.store.read(lambda r: r.is_blacklisted("console", "u1"))
    assert not any(c[0] == "unban" for c in h.adapter.calls)
    refusals = [r for r in await h.audit() if r["outcome"] == "refused"]
    assert len(refusals) == len(forged)


async def test_wechat_style_text_verbs_answer_an_escalation(h: Harness) -> None:
    await h.say(BAD_LINE)
    h.script._remember("sup-1", "分管负责人-街道办")
    await h.record(
        {"type": "command", "user": "sup-1", "chat": "tier1-分管负责人", "text": "/fp 1"}
    )
    assert not await h.app.store.read(lambda r: r.is_blacklisted("console", "u1"))


async def test_reconcile_after_a_crash_reapplies_through_the_specs_and_never_stops_the_bot(
    sqlite_url: str,
) -> None:
    """An intent with no outcome (kill -9 between the two) is re-run after the adapters are
    up; a re-run that raises something other than a platform error is recorded, not fatal."""
    from datetime import UTC, datetime

    h = await make_harness(sqlite_url)
    base = {
        "decision_id": "d-crash",
        "at": datetime(2026, 1, 5, tzinfo=UTC),
        "platform": "console",
        "chat_id": "console-group",
        "user_id": "u9",
        "actor": "bot",
        "params": {"duration": "1h", "until": "2026-01-05T02:00:00+00:00"},
        "rule": "content",
        "article": "R1 Art.10",
        "category": "abuse",
        "severity": "medium",
        "message_id": "m1",
        "evidence": [],
        "reason": "",
    }
    await h.app.store.write(lambda r: r.record_action(**{**base, "kind": "mute"}))
    await h.close()

    async def broken_mute(*_a: object) -> None:
        raise RuntimeError("adapter not ready")

    h2 = await make_harness(sqlite_url)  # starts, reconciles: must not raise
    member = await h2.app.store.read(lambda r: r.member("console", "console-group", "u9"))
    assert member is not None and member.restricted_until is not None  # state written too
    # Re-applied with the intent's own deadline, not a fresh hour from the restart.
    assert ("mute", "console-group", "u9", "2026-01-05T02:00+00:00") in h2.adapter.calls
    rows = await h2.audit(user_id="u9")
    assert [(r["kind"], r["outcome"]) for r in rows] == [("mute", "done")]
    await h2.app.store.write(lambda r: r.record_action(**{**base, "kind": "mute"}))
    h2.adapter.mute = broken_mute  # type: ignore[method-assign]
    assert await h2.app.executor.reconcile() == 1
    rows = await h2.audit(user_id="u9")
    assert rows[-1]["outcome"] == "failed"
    await h2.close()
