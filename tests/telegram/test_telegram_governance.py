"""Governance on Telegram, end to end through PTB and the fake Bot API: a filing is asked of
each approver privately with 通过/退回 buttons; only that step's approver may press them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from event_support import HandledRecorder
from fake_bot_api import FakeBotApi, administrator, group, owner, user
from telegram_harness import settings_for

from adapters.telegram import TelegramAdapter
from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import Runtime, build
from storage.directory import DirectoryRepository
from storage.filings import FilingRepository

CHAT = group(-1001000000009, "党群工作部工作群")
OWNER = user(10001, "王五-党群工作部")
ADMIN = user(10002, "赵六-党群工作部")
DEPUTY, DIRECTOR, REGISTRAR = user(30001, "李副主任"), user(30002, "王主任"), user(30003, "钱工")


def _account(person: dict) -> list[dict]:
    return [{"platform": "telegram", "user_id": str(person["id"])}]


SETTINGS = {
    "directory": {
        "units": [
            {"name": "北京办事处", "roles": {"director": "王主任", "registrar": "钱工"}},
            {
                "name": "党群工作部",
                "parent": "北京办事处",
                "roles": {"deputy_director": "李副主任"},
            },
        ],
        "people": [
            {"name": "赵六", "unit": "党群工作部", "accounts": _account(ADMIN)},
            {"name": "李副主任", "unit": "北京办事处", "accounts": _account(DEPUTY)},
            {"name": "王主任", "unit": "北京办事处", "accounts": _account(DIRECTOR)},
            {"name": "钱工", "unit": "北京办事处", "accounts": _account(REGISTRAR)},
        ],
    }
}
FORM = (
    "/filing\n使用部门：党群工作部\n备案类别：创建\n平台类别：Telegram\n群组名称：党群工作部工作群\n"
    "群组负责人：赵六\n成员范围：部门职工\n建群目的：工作交流\n备案事项说明：新建"
)


@pytest_asyncio.fixture
async def running(
    api: FakeBotApi, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, HandledRecorder]]:
    api.set_admins(
        CHAT["id"],
        owner(OWNER),
        administrator(ADMIN, "can_restrict_members", "can_delete_messages"),
        administrator(api.bot, "can_restrict_members", "can_delete_messages"),
    )
    settings = Settings.model_validate(
        {**SETTINGS, "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"}}
    )
    adapter = TelegramAdapter(settings_for(api))
    runtime = await build(settings, {"telegram": adapter}, ManualClock(datetime.now(UTC)))
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    try:
        yield runtime, handled
    finally:
        await runtime.app.stop()
        await runtime.close()


def request_to(api: FakeBotApi, person: dict) -> dict:
    """The approval request sent privately to ``person``, with its buttons."""
    calls = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == str(person["id"])]
    assert calls, f"nothing was sent to {person['first_name']}"
    return calls[-1].params


def buttons(params: dict) -> list[str]:
    return [b["callback_data"] for row in params["reply_markup"]["inline_keyboard"] for b in row]


async def press(api: FakeBotApi, person: dict, data: str, handled: HandledRecorder, n: int) -> str:
    sent = {"message_id": 99, "date": 1, "chat": {"id": person["id"], "type": "private"}}
    query_id = await api.press(person, data, sent)
    await handled.wait(n)
    answers = [
        c for c in api.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query_id
    ]
    return answers[-1].params["text"]


async def test_internal_filing_runs_three_steps_and_a_stranger_is_refused(api, running):
    runtime, handled = running
    await api.post(CHAT, ADMIN, FORM)
    await handled.wait(1)
    first = request_to(api, DEPUTY)
    assert "分管主任审核" in first["text"]
    assert buttons(first) == ["wf:gov:1:approve", "wf:gov:1:reject"]
    # The group's admin pressing 通过 on the deputy director's step is refused and journaled.
    refused = await press(api, ADMIN, "wf:gov:1:approve", handled, 2)
    assert "无权" in refused
    rows = await runtime.app.store.read(lambda r: r.audit(category="refused"))
    assert [r["kind"] for r in rows] == ["button:wf:gov:1:approve"]
    for number, person in enumerate((DEPUTY, DIRECTOR, REGISTRAR), start=3):
        assert "wf:gov:1:approve" in buttons(request_to(api, person))
        assert "已通过" in await press(api, person, "wf:gov:1:approve", handled, number)
    filing = await runtime.app.store.read(lambda r: FilingRepository(r.c).get(1))
    assert filing.status == "approved"
    group_row = await runtime.app.store.read(
        lambda r: DirectoryRepository(r.c).group("telegram", str(CHAT["id"]))
    )
    assert group_row.status == "filed"
    told = [c.params["text"] for c in api.calls_to("sendMessage")]
    assert any("已登记备案" in t for t in told)


async def test_an_unfiled_groups_admins_are_told_once_privately(api, running):
    _, handled = running
    await api.post(CHAT, ADMIN, "大家好")
    await api.post(CHAT, ADMIN, "开会了")
    await handled.wait(2)
    notices = [
        c.params["chat_id"]
        for c in api.calls_to("sendMessage")
        if "尚未备案" in c.params.get("text", "")
    ]
    assert sorted(notices) == sorted([str(OWNER["id"]), str(ADMIN["id"])])
