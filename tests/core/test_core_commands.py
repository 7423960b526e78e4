"""Every admin and member command, end to end on the console adapter."""

from __future__ import annotations

import pytest
from core_harness import Harness, make_harness


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(
        sqlite_url,
        groups=[
            {"platform": "console", "chat_id": "console-group", "rules_text": "本群只谈工作。"}
        ],
    )
    await harness.say("/admin 管理员-办公室")
    await harness.say("/join 李明-财务科")
    yield harness
    await harness.close()


async def reply(h: Harness, line: str) -> str:
    handled = (await h.say(line))[-1]
    assert len(handled.replies) == 1, handled.replies
    return handled.replies[0]


async def test_warn_counts_and_unwarn_revokes(h: Harness) -> None:
    await h.say("管理员-办公室: /warn @李明-财务科 刷屏")
    await h.say("管理员-办公室: /warn @李明-财务科 广告")
    assert any("第 2 次" in t for _, t in h.adapter.sent)
    listing = await reply(h, "管理员-办公室: /warns @李明-财务科")
    assert "2 次" in listing and listing.count("管理员认定的违规") == 2
    assert "已撤销" in await reply(h, "管理员-办公室: /unwarn @李明-财务科")
    assert "1 次" in await reply(h, "管理员-办公室: /warns @李明-财务科")
    rows = [r for r in await h.audit(user_id="u2") if r["kind"] == "warn"]
    assert [r["evidence"][0]["match"] for r in rows] == ["刷屏", "广告"]


async def test_unmute_lifts_a_mute_early(h: Harness) -> None:
    await h.say("管理员-办公室: /mute @李明-财务科 2h")
    await h.say("管理员-办公室: /unmute @李明-财务科")
    assert ("unmute", "console-group", "u2") in h.adapter.calls
    member = await h.app.store.read(lambda r: r.member("console", "console-group", "u2"))
    assert member.restricted_until is None
    timers = await h.app.store.read(lambda r: r.armed_timers())
    assert [t for t in timers if not t.kind.startswith("gov_")] == []  # lifecycle timers stay


async def test_kick_removes_but_ban_blacklists_everywhere_and_unban_lifts(h: Harness) -> None:
    await h.record({"type": "join", "user": "王五-工会", "chat": "group-2"})
    await h.say("管理员-办公室: /kick @李明-财务科")
    assert ("remove", "console-group", "u2") in h.adapter.calls
    assert not await h.app.store.read(lambda r: r.is_blacklisted("console", "u2"))
    await h.say("管理员-办公室: /ban @李明-财务科 传播谣言")
    assert {("ban", "console-group", "u2"), ("ban", "group-2", "u2")} <= set(h.adapter.calls)
    assert await h.app.store.read(lambda r: r.is_blacklisted("console", "u2"))
    assert "移出黑名单" in await reply(h, "管理员-办公室: /unban @李明-财务科")
    assert ("unban", "group-2", "u2") in h.adapter.calls
    assert not await h.app.store.read(lambda r: r.is_blacklisted("console", "u2"))


async def test_check_explains_a_replied_message_with_personal_data_masked(h: Harness) -> None:
    await h.say("李明-财务科: 我手机13812345678，一起赌博")
    text = await reply(h, "管理员-办公室: /check #1")
    assert "赌博" in text and "13812345678" not in text and "138****5678" in text
    assert "未发现" in await reply(h, "管理员-办公室: /check 明天开会")


async def test_status_shows_rights_policy_and_timers(h: Harness) -> None:
    await h.say("/join 小明")  # arms a real-name deadline
    text = await reply(h, "管理员-办公室: /status")
    t = h.app.catalogue.t
    # Words, not codes (issue 14): rights, timers and ladders as admins read them.
    assert t("right.can_restrict_members") in text and "can_restrict_members" not in text
    assert t("timer.nickname_deadline") in text and "nickname_deadline" not in text
    assert "违法信息" in text and "+" not in text and "escalate:" not in text
    assert t("words.escalate_tier", tier=1) in text


async def test_rules_and_help_for_members_and_admins(h: Harness) -> None:
    assert await reply(h, "李明-财务科: /rules") == "本群只谈工作。"
    member_help = await reply(h, "李明-财务科: /help")
    admin_help = await reply(h, "管理员-办公室: /help")
    assert "/report" in member_help and "/mute" not in member_help
    assert "/mute" in admin_help and "/quiet" in admin_help


async def test_member_report_reaches_the_admins_and_is_recorded(h: Harness) -> None:
    await h.say("李明-财务科: 有事加我 13812345678")
    assert "已通知" in await reply(h, "张三-党群工作部: /report #1")
    told = [t for where, t in h.adapter.sent if where == "private:u1" and "举报" in t]
    assert told and "138****5678" in told[0]
    rows = [r for r in await h.audit(category="command") if r["kind"] == "command:report"]
    assert rows and rows[0]["outcome"] == "done"


async def test_members_cannot_use_admin_commands(h: Harness) -> None:
    for command in (
        "/warn @管理员-办公室",
        "/kick @管理员-办公室",
        "/quiet on",
        "/status",
        "/check 赌博",
    ):
        assert "没有" in await reply(h, f"李明-财务科: {command}")
    refused = [r for r in await h.audit(category="command") if r["outcome"] == "refused"]
    assert len(refused) == 5


async def test_other_bots_commands_are_ignored(h: Harness) -> None:
    handled = (await h.say("李明-财务科: /start"))[-1]
    assert handled.replies == () and h.adapter.calls == []


async def test_help_is_generated_from_the_command_registry(h: Harness) -> None:
    registry = h.app.commands.tools.registry
    admin_help = await reply(h, "管理员-办公室: /help")
    member_help = await reply(h, "李明-财务科: /help")
    t = h.app.catalogue.t
    for spec in registry:
        assert t(f"help.{spec.name}") in admin_help
        assert (t(f"help.{spec.name}") in member_help) is (not spec.admin)


async def test_a_registered_command_runs_and_appears_in_help(h: Harness) -> None:
    from bot.commands.spec import CommandSpec

    async def ping(tools, event, spec):  # type: ignore[no-untyped-def]
        return ["pong"]

    h.app.commands.tools.registry.register(CommandSpec("ping", "/ping", False, ping))
    assert await reply(h, "李明-财务科: /ping") == "pong"
    assert "help.ping" in await reply(h, "李明-财务科: /help")  # no catalogue line yet: the key
