"""Join requests and the roster (R2 Art.11(3)): once a roster (名册) is imported, a request
from someone not on it is held for the admins or refused with a reason, by config; someone on
it is left to the admins; without a roster nothing is judged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from fake_onebot import FakeOneBot
from qq_harness import ADMIN, GROUP_B, MEMBER, STRANGER, Bot, start_bot

from bot.clock import ManualClock
from bot.workflows.members.roster_file import parse_rows
from bot.workflows.members.roster_import import import_roster

# 张三's QQ number is on the roster: a request carries the account, not the group card.
ROSTER = [
    ["姓名", "单位", "部门", "qq", "状态"],
    ["张三", "党群工作部", "", str(MEMBER.user_id), "在岗"],
]


async def load_roster(bot: Bot) -> None:
    await import_roster(bot.app.store, parse_rows(ROSTER), bot.clock.now())


def admin_texts(fake: FakeOneBot) -> list[str]:
    return [
        c.params["message"] if isinstance(c.params["message"], str) else str(c.params["message"])
        for c in fake.calls_to("send_private_msg")
        if int(c.params["user_id"]) == ADMIN.user_id
    ]


@pytest_asyncio.fixture
async def refusing(fake: FakeOneBot, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Bot]:
    running = await start_bot(
        fake, tmp_path / "gg.db", clock, app={"members": {"join_requests": "refuse"}}
    )
    try:
        yield running
    finally:
        await running.stop()


async def test_without_a_roster_requests_are_left_to_the_admins(fake, bot: Bot):
    await fake.request_join(GROUP_B, STRANGER.user_id, "新同事")
    await bot.handled.wait(1)
    assert not fake.calls_to("set_group_add_request")
    assert await bot.audit(chat_id=str(GROUP_B)) == []


async def test_a_stranger_is_held_for_the_admins_by_default(fake, bot: Bot):
    await load_roster(bot)
    await fake.request_join(GROUP_B, STRANGER.user_id, "我是新来的")
    await bot.handled.wait(1)
    assert not fake.calls_to("set_group_add_request")  # pending: the admins decide
    assert any("不在名册" in t and "我是新来的" in t for t in admin_texts(fake))
    records = await bot.audit(chat_id=str(GROUP_B), user_id=str(STRANGER.user_id))
    assert ("join_request:hold", "done") in [(k, o) for k, o, _ in records]


async def test_someone_on_the_roster_is_left_to_the_admins(fake, bot: Bot):
    await load_roster(bot)
    await fake.request_join(GROUP_B, MEMBER.user_id, "张三-党群工作部")
    await bot.handled.wait(1)
    assert not fake.calls_to("set_group_add_request")
    assert not any("不在名册" in t for t in admin_texts(fake))


async def test_a_stranger_is_refused_with_a_reason_when_configured(fake, refusing: Bot):
    await load_roster(refusing)
    flag = await fake.request_join(GROUP_B, STRANGER.user_id, "让我进群")
    await refusing.handled.wait(1)
    (answer,) = await fake.wait_for("set_group_add_request")
    assert answer.params["flag"] == flag and answer.params["approve"] is False
    assert "名册" in answer.params["reason"]
    records = await refusing.audit(chat_id=str(GROUP_B), user_id=str(STRANGER.user_id))
    assert ("join_request:refuse", "done") in [(k, o) for k, o, _ in records]
