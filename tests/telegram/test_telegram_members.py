"""Members on Telegram, end to end through PTB and the fake Bot API: a stranger is flagged to
the admins privately with 确认保留/移出 buttons and removed by one press; the member audit
arrives with its xlsx; a task with an unparseable due time and ``/lost`` by a non-member are
refused and journaled."""

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
from bot.workflows.members.roster_file import parse_rows
from bot.workflows.members.roster_import import import_roster

CHAT = group(-1001000000012, "党群工作部工作群")
OWNER = user(10001, "王五-党群工作部")
ADMIN = user(10002, "赵六-党群工作部")
ZHANG = user(20001, "张三-党群工作部", username="zhangsan")
STRANGER = user(20009, "推销员")
SETTINGS = {
    "directory": {
        "units": [{"name": "党群工作部"}],
        "people": [
            {
                "name": "赵六",
                "unit": "党群工作部",
                "accounts": [{"platform": "telegram", "user_id": str(ADMIN["id"])}],
            }
        ],
    },
    "groups": [
        {
            "platform": "telegram",
            "chat_id": str(CHAT["id"]),
            "name": "党群工作部工作群",
            "unit": "党群工作部",
            "responsible": "赵六",
        }
    ],
}
ROSTER = [
    ["姓名", "单位", "部门", "telegram", "状态"],
    ["张三", "党群工作部", "", str(ZHANG["id"]), "在岗"],
    ["王五", "党群工作部", "", str(OWNER["id"]), "在岗"],
]


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
    api.on("sendDocument", lambda params: _sent_document(params))
    settings = Settings.model_validate(
        {**SETTINGS, "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"}}
    )
    adapter = TelegramAdapter(settings_for(api))
    clock = ManualClock(datetime.now(UTC))
    runtime = await build(settings, {"telegram": adapter}, clock)
    await import_roster(runtime.app.store, parse_rows(ROSTER), clock.now())
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    try:
        yield runtime, handled
    finally:
        await runtime.app.stop()
        await runtime.close()


def _sent_document(params: dict) -> dict:
    chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "u"}
    return {
        "message_id": 1,
        "date": 1,
        "chat": chat,
        "document": {"file_id": "f", "file_unique_id": "u"},
    }


def texts_to(api: FakeBotApi, person: dict) -> list[dict]:
    return [
        c.params for c in api.calls_to("sendMessage") if c.params["chat_id"] == str(person["id"])
    ]


async def test_a_stranger_is_flagged_privately_and_removed_by_a_press(api, running):
    runtime, handled = running
    await api.join(CHAT, ZHANG)
    await api.join(CHAT, STRANGER)
    await handled.wait(2)
    flags = [p for p in texts_to(api, ADMIN) if "无关人员" in p["text"]]
    assert len(flags) == 1 and "推销员" in flags[0]["text"]  # 张三 is on the roster
    keyboard = flags[0]["reply_markup"]["inline_keyboard"]
    data = [b["callback_data"] for row in keyboard for b in row]
    assert data == ["wf:mem:1:keep", "wf:mem:1:remove"]
    sent = {"message_id": 99, "date": 1, "chat": {"id": ADMIN["id"], "type": "private"}}
    await api.press(ADMIN, "wf:mem:1:remove", sent)
    await handled.wait(3)
    banned = [c.params for c in api.calls_to("banChatMember")]
    assert banned and banned[-1]["user_id"] == str(STRANGER["id"])
    rows = await runtime.app.store.read(lambda r: r.audit())
    decided = [r for r in rows if r["kind"] == "mem:flag_removed"]
    assert decided and decided[0]["actor"] == str(ADMIN["id"])


async def test_members_sends_the_report_and_its_xlsx(api, running):
    _, handled = running
    await api.join(CHAT, STRANGER)
    await api.post(CHAT, ADMIN, "/members")
    await handled.wait(2)
    report = [p for p in texts_to(api, ADMIN) if "【成员检查】" in p["text"]]
    assert report and "推销员" in report[-1]["text"]
    documents = api.calls_to("sendDocument")
    assert documents and documents[-1].params["chat_id"] == str(ADMIN["id"])
    summary = [
        c.params["text"] for c in api.calls_to("sendMessage") if "成员检查：" in c.params["text"]
    ]
    assert summary and "推销员" not in summary[0]  # names stay out of the group


async def test_bad_due_time_and_lost_by_a_non_member_are_refused(api, running):
    runtime, handled = running
    await api.post(CHAT, ZHANG, "收到")
    await api.post(CHAT, ADMIN, "/task @zhangsan 下个月吧 报送总结")
    await api.post(CHAT, STRANGER, "/lost @zhangsan")
    await handled.wait(3)
    told = [c.params["text"] for c in api.calls_to("sendMessage")]
    assert any("看不懂截止时间“下个月吧”" in t for t in told)
    assert any("只有本群成员" in t for t in told)
    rows = await runtime.app.store.read(lambda r: r.audit())
    assert {"mem:task_rejected", "mem:lost_refused"} <= {r["kind"] for r in rows}
