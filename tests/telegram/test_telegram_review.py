"""The admins' review on Telegram (issue 17, item 2): the unsure band reaches each admin of the
group in a private chat with inline buttons 确认违规 / 误报; a press is answered with who decided
what. Driven through PTB's real stack against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from event_support import HandledRecorder
from fake_bot_api import FakeBotApi, administrator, group, owner, private_chat, user
from telegram_harness import settings_for

from adapters.telegram import TelegramAdapter
from bot.clock import ManualClock
from bot.config import DatabaseSettings, GroupSettings, Settings
from bot.runtime import Runtime, build

CHAT = group(-1001000000001, "党群工作部工作群")
OWNER = user(10001, "王主任-党群工作部")
ADMIN = user(10002, "赵六-党群工作部")
MEMBER = user(20001, "张三-党群工作部")
STRANGER = user(20002, "李四-办公室")
# A COLD dev comment the shipped model scores ~0.903: its review band (0.9–0.92).
UNSURE = "白人是上等人，黑人不是"


class Bot:
    def __init__(self, api: FakeBotApi, runtime: Runtime, handled: HandledRecorder) -> None:
        self.api, self.runtime, self.handled = api, runtime, handled
        self.count = 0

    async def post(self, sender: dict, text: str) -> dict:
        body = await self.api.post(CHAT, sender, text)
        return await self._handled(body)

    async def press(self, presser: dict, data: str) -> str:
        """Presses ``data`` in the presser's private chat; returns the answer shown to him."""
        on = {"message_id": 99, "date": 1, "chat": private_chat(presser["id"]), "text": "复核"}
        query_id = await self._handled(await self.api.press(presser, data, on))
        (answer,) = [
            c.params["text"]
            for c in self.api.calls_to("answerCallbackQuery")
            if c.params["callback_query_id"] == query_id
        ]
        return answer

    async def _handled(self, result: object) -> object:
        self.count += 1
        await self.handled.wait(self.count)
        return result

    def reviews(self) -> dict[str, list[str]]:
        """Per chat the review messages sent there, as their button payloads."""
        sent: dict[str, list[str]] = {}
        for call in self.api.calls_to("sendMessage"):
            if "待复核" in call.params["text"]:
                keys = call.params.get("reply_markup", {}).get("inline_keyboard", [])
                sent[call.params["chat_id"]] = [b["callback_data"] for row in keys for b in row]
        return sent

    async def journal(self) -> list[dict]:
        return await self.runtime.app.store.read(lambda r: r.audit())


@pytest_asyncio.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Bot]:
    api.set_admins(
        CHAT["id"],
        owner(OWNER),
        administrator(ADMIN, "can_restrict_members", "can_delete_messages"),
        administrator(api.bot, "can_restrict_members", "can_delete_messages"),
    )
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"),
        groups=(GroupSettings(platform="telegram", chat_id=str(CHAT["id"]), name="党群工作部"),),
    )
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    adapter = TelegramAdapter(settings_for(api))
    runtime = await build(settings, {"telegram": adapter}, clock=clock)
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    try:
        yield Bot(api, runtime, handled)
    finally:
        await runtime.app.stop()
        await runtime.close()


async def test_admins_get_buttons_privately_and_a_confirm_applies_the_ladder(api, bot):
    posted = await bot.post(MEMBER, UNSURE)
    reviews = bot.reviews()
    assert set(reviews) == {str(OWNER["id"]), str(ADMIN["id"])}  # never the group
    payloads = reviews[str(ADMIN["id"])]
    assert [p.rsplit(":", 1)[1] for p in payloads] == ["confirm", "dismiss"]
    assert not api.calls_to("deleteMessage")

    assert "确认违规" in await bot.press(ADMIN, payloads[0])
    (delete,) = api.calls_to("deleteMessage")
    assert delete.params["message_id"] == str(posted["message_id"])
    later = await bot.press(OWNER, reviews[str(OWNER["id"])][1])
    assert "已由" in later and "赵六" in later and "确认违规" in later
    assert len(api.calls_to("deleteMessage")) == 1
    offences = [r for r in await bot.journal() if r["kind"] == "review_answer"]
    assert [r["outcome"] for r in offences] == ["confirmed"]


async def test_dismiss_records_a_false_positive_and_refusals_are_journaled(api, bot):
    await bot.post(MEMBER, UNSURE)
    payloads = bot.reviews()[str(OWNER["id"])]
    confirm = payloads[0]
    assert "当事人" in await bot.press(MEMBER, confirm)
    assert "只有本群管理员" in await bot.press(STRANGER, confirm)
    assert "误报" in await bot.press(OWNER, payloads[1])
    assert not api.calls_to("deleteMessage") and not api.calls_to("restrictChatMember")
    rows = await bot.journal()
    assert [r["outcome"] for r in rows if r["kind"] == "review_answer"] == ["false_positive"]
    refused = [r["detail"] for r in rows if r["outcome"] == "refused"]
    assert refused == ["member concerned", "not an admin of the group"]


async def test_admins_who_cannot_be_written_to_get_it_in_the_group(api, bot):
    api.fail(
        "sendMessage",
        times=2,
        status=403,
        description="Forbidden: bot can't initiate conversation with a user",
    )
    await bot.post(MEMBER, UNSURE)
    group_id = str(CHAT["id"])
    (sent,) = [
        c
        for c in api.calls_to("sendMessage")
        if c.params["chat_id"] == group_id and "待复核" in c.params["text"]
    ]
    assert "无法私信" in sent.params["text"]
    assert "确认违规" in await bot.press(ADMIN, bot.reviews()[group_id][0])
    assert api.calls_to("deleteMessage")
