"""End to end on Telegram: the whole application (rules, executor, SQLite, timers) driven by
updates from the fake Bot API through PTB's real HTTP stack, acting back through it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from event_support import HandledRecorder
from fake_bot_api import FakeBotApi, administrator, group, owner, user
from telegram_harness import settings_for

from adapters.telegram import TelegramAdapter
from bot.app import Application
from bot.clock import ManualClock
from bot.config import DatabaseSettings, EscalationSettings, Settings
from bot.runtime import Runtime, build
from rules.policy import EscalationTarget

CHAT_A = group(-1001000000001, "党群工作部工作群")
CHAT_B = group(-1001000000002, "综治办工作群")
OWNER = user(10001, "王主任-党群工作部", username="wangzr")
ADMIN = user(10002, "赵六-党群工作部", username="zhaoliu")
MEMBER = user(20001, "张三-党群工作部", username="zhangsan")
STRANGER = user(20002, "小明", username="xiaoming")
TIER1, TIER2 = "7001", "7002"
ILLEGAL = "有没有人一起去网络赌博，赌资我出"
HARMFUL = "卧槽这也太离谱了"


@dataclass
class Bot:
    api: FakeBotApi
    runtime: Runtime
    adapter: TelegramAdapter
    handled: HandledRecorder
    clock: ManualClock

    @property
    def app(self) -> Application:
        return self.runtime.app

    async def stop(self) -> None:
        await self.app.stop()
        await self.runtime.close()

    async def audit(self, **filters: object) -> list[tuple[str, str | None]]:
        """(action kind, latest outcome) for each journal row matching ``filters``."""
        rows = await self.app.store.read(lambda r: r.audit(**filters))
        return [(_field(row, "kind"), _field(row, "outcome")) for row in rows]

    async def tick(self) -> int:
        return await self.app.scheduler().tick()


def _field(row: dict, name: str) -> object:
    # The audit rows carry the ActionRecord plus outcome columns; read either shape.
    if name in row:
        return row[name]
    record = next(v for v in row.values() if hasattr(v, "kind"))
    return getattr(record, name)


def _settings(db: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db}"),
        escalation=EscalationSettings(
            tiers={
                1: (EscalationTarget(platform="telegram", chat_id=TIER1, name="分管负责人"),),
                2: (EscalationTarget(platform="telegram", chat_id=TIER2, name="网信办"),),
            }
        ),
    )


async def start_bot(api: FakeBotApi, db: Path, clock: ManualClock) -> Bot:
    adapter = TelegramAdapter(settings_for(api))
    runtime = await build(_settings(db), {"telegram": adapter}, clock=clock)
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    adapter.on_admins_changed = lambda chat_id: runtime.app.admins.invalidate("telegram", chat_id)
    await runtime.app.start()
    return Bot(api, runtime, adapter, handled, clock)


@pytest.fixture
def clock() -> ManualClock:
    # Real time: Telegram (and the adapter) read until_date against the wall clock.
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest_asyncio.fixture
async def bot(api: FakeBotApi, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Bot]:
    for chat in (CHAT_A, CHAT_B):
        api.set_admins(
            chat["id"],
            owner(OWNER),
            administrator(ADMIN, "can_restrict_members", "can_delete_messages"),
            administrator(api.bot, "can_restrict_members", "can_delete_messages"),
        )
    running = await start_bot(api, tmp_path / "gg.db", clock)
    try:
        yield running
    finally:
        await running.stop()


def texts_to(api: FakeBotApi, chat_id: object) -> list[str]:
    return [
        c.params["text"] for c in api.calls_to("sendMessage") if c.params["chat_id"] == str(chat_id)
    ]


async def test_join_with_a_bad_name_is_reminded_then_removed_at_the_deadline(api, bot):
    await api.join(CHAT_A, STRANGER)
    await bot.handled.wait(1)
    reminders = [
        c
        for c in api.calls_to("sendMessage")
        if c.params["chat_id"] in (str(STRANGER["id"]), str(CHAT_A["id"]))
    ]
    assert reminders, "the member was not reminded"
    assert not api.calls_to("banChatMember")
    bot.clock.advance(timedelta(hours=24, seconds=1))
    assert await bot.tick() == 1
    ban = await api.wait_for("banChatMember")
    assert ban[0].params == {"chat_id": str(CHAT_A["id"]), "user_id": str(STRANGER["id"])}
    unban = await api.wait_for("unbanChatMember")
    assert unban[0].params["only_if_banned"] == "true"  # removed, may rejoin once renamed


async def test_illegal_message_is_deleted_blacklisted_and_escalated_to_both_tiers(api, bot):
    posted = await api.post(CHAT_A, MEMBER, ILLEGAL)
    await bot.handled.wait(1)
    (delete,) = api.calls_to("deleteMessage")
    assert delete.params == {"chat_id": str(CHAT_A["id"]), "message_id": str(posted["message_id"])}
    bans = api.calls_to("banChatMember")
    assert {c.params["chat_id"] for c in bans} >= {str(CHAT_A["id"])}
    assert all(c.params["user_id"] == str(MEMBER["id"]) for c in bans)
    assert not api.calls_to("unbanChatMember")  # a blacklist ban is kept
    for tier_chat in (TIER1, TIER2):
        (escalation,) = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == tier_chat]
        buttons = [
            b["callback_data"]
            for row in escalation.params["reply_markup"]["inline_keyboard"]
            for b in row
        ]
        assert len(buttons) == 3 and all(b.startswith("wf:esc:") for b in buttons)
    records = await bot.audit(user_id=str(MEMBER["id"]))
    kinds = {kind for kind, _ in records}
    assert {"delete", "blacklist", "escalate"} <= kinds


async def test_supervisor_button_press_is_answered(api, bot):
    await api.post(CHAT_A, MEMBER, ILLEGAL)
    await bot.handled.wait(1)
    (escalation,) = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == TIER1]
    data = escalation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    sent = {
        "message_id": 9,
        "date": 1,
        "chat": {"id": int(TIER1), "type": "private", "first_name": "x"},
        "text": "上报",
    }
    query_id = await api.press(user(int(TIER1), "分管负责人"), data, sent)
    await bot.handled.wait(2)
    answers = await api.wait_for("answerCallbackQuery")
    assert answers[0].params["callback_query_id"] == query_id
    # The escalation is edited: its buttons go, and it says who answered what (issue 14).
    (edited,) = await api.wait_for("editMessageText")
    assert edited.params["chat_id"] == TIER1 and edited.params["message_id"] == "9"
    assert "reply_markup" not in edited.params or not edited.params["reply_markup"]
    assert edited.params["text"].startswith("上报\n") and "分管负责人" in edited.params["text"]
    assert "已知悉" in edited.params["text"]


async def test_non_admin_mute_is_refused_and_recorded(api, bot):
    target = await api.post(CHAT_A, MEMBER, "大家好")
    await api.post(CHAT_A, user(20003, "李四-办公室"), "/mute 10m", reply_to_message=target)
    await bot.handled.wait(2)
    assert not api.calls_to("restrictChatMember")
    (refusal,) = texts_to(api, CHAT_A["id"])
    assert refusal
    records = await bot.audit(chat_id=str(CHAT_A["id"]))
    # Beside the governance notice that this unregistered group must be filed (issue 11).
    assert [r for r in records if not str(r[0]).startswith("gov:")] == [("command:mute", "refused")]


async def test_admin_mute_10m_restricts_until_ten_minutes_from_now(api, bot, clock):
    target = await api.post(CHAT_A, MEMBER, "大家好")
    await api.post(CHAT_A, ADMIN, "/mute 10m 刷屏", reply_to_message=target)
    await bot.handled.wait(2)
    (restrict,) = api.calls_to("restrictChatMember")
    assert restrict.params["user_id"] == str(MEMBER["id"])
    expected = clock.now() + timedelta(minutes=10)
    assert int(restrict.params["until_date"]) == int(expected.timestamp())
    assert restrict.params["permissions"]["can_send_messages"] is False


async def test_anonymous_admin_can_mute_by_username(api, bot, clock):
    await api.post(CHAT_A, MEMBER, "大家好")
    anonymous = user(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
    await api.post(CHAT_A, anonymous, "/mute @zhangsan 1h", sender_chat=CHAT_A)
    await bot.handled.wait(2)
    (restrict,) = api.calls_to("restrictChatMember")
    assert restrict.params["user_id"] == str(MEMBER["id"])
    assert int(restrict.params["until_date"]) == int((clock.now() + timedelta(hours=1)).timestamp())


async def test_restart_during_a_mute_still_lifts_it_on_time(api, bot, tmp_path, clock):
    target = await api.post(CHAT_A, MEMBER, "大家好")
    await api.post(CHAT_A, ADMIN, "/mute 10m", reply_to_message=target)
    await bot.handled.wait(2)
    await api.wait_for("restrictChatMember")
    await bot.stop()

    restarted = await start_bot(api, tmp_path / "gg.db", clock)
    try:
        clock.advance(timedelta(minutes=9))
        await restarted.tick()
        assert len(api.calls_to("restrictChatMember")) == 1  # not yet
        clock.advance(timedelta(minutes=1, seconds=1))
        await restarted.tick()
        lift = api.calls_to("restrictChatMember")[-1]
        assert lift.params["user_id"] == str(MEMBER["id"])
        assert all(lift.params["permissions"].values())
        row = await restarted.app.store.read(
            lambda r: r.member("telegram", str(CHAT_A["id"]), str(MEMBER["id"]))
        )
        assert row is not None and row.restricted_until is None
    finally:
        await restarted.stop()


async def test_blacklisted_user_joining_a_second_group_is_removed(api, bot):
    await api.post(CHAT_A, MEMBER, ILLEGAL)
    await bot.handled.wait(1)
    await api.join(CHAT_B, MEMBER)
    await bot.handled.wait(2)
    bans_in_b = [
        c for c in api.calls_to("banChatMember") if c.params["chat_id"] == str(CHAT_B["id"])
    ]
    assert bans_in_b and bans_in_b[-1].params["user_id"] == str(MEMBER["id"])


async def test_429_then_200_is_retried_and_nothing_is_lost(api, bot):
    api.rate_limit("deleteMessage", retry_after=1)
    await api.post(CHAT_A, MEMBER, ILLEGAL)
    await api.post(CHAT_A, user(20004, "陈静-社区服务中心"), "收到")
    await bot.handled.wait(2, within=15)
    deletes = api.calls_to("deleteMessage")
    assert len(deletes) == 2 and deletes[0].params == deletes[1].params
    assert deletes[1].at - deletes[0].at >= 0.9  # Retry-After honoured
    records = await bot.audit(user_id=str(MEMBER["id"]))
    outcomes = dict(records)
    assert outcomes["delete"] == "done"
    assert {TIER1, TIER2} <= {c.params["chat_id"] for c in api.calls_to("sendMessage")}


async def test_bot_without_delete_right_tells_the_admins_once(api, bot):
    api.fail("deleteMessage", times=5, description="Bad Request: message can't be deleted")
    await api.post(CHAT_A, MEMBER, HARMFUL)
    await api.post(CHAT_A, user(20005, "刘洋-综治办"), HARMFUL)
    await bot.handled.wait(2)
    assert len(api.calls_to("deleteMessage")) == 2  # a refusal is not retried
    # Privately to the admins, once each, the right in words (issue 14); not in the group.
    assert not [t for t in texts_to(api, CHAT_A["id"]) if "删除消息权限" in t]
    told = [
        c.params["chat_id"]
        for c in api.calls_to("sendMessage")
        if "删除消息权限" in c.params.get("text", "")
    ]
    assert told and len(told) == len(set(told)), told
    assert "can_delete_messages" not in str([c.params for c in api.calls_to("sendMessage")])
    records = await bot.audit(chat_id=str(CHAT_A["id"]), category="harmful")
    assert [outcome for kind, outcome in records if kind == "delete"] == ["failed", "failed"]


async def test_a_reminder_deletes_itself_even_across_a_restart(api, bot, tmp_path, clock):
    # The stranger's private chat is unreachable (Telegram: the bot cannot start a chat), so
    # the reminder goes to the group, where it must not linger.
    api.fail("sendMessage", times=1, status=403, description="Forbidden: bot can't initiate")
    await api.join(CHAT_A, STRANGER)
    await bot.handled.wait(1)
    in_group = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == str(CHAT_A["id"])]
    assert in_group, "the reminder was not posted in the group"
    await bot.stop()
    restarted = await start_bot(api, tmp_path / "gg.db", clock)
    try:
        clock.advance(timedelta(minutes=10, seconds=1))
        assert await restarted.tick() >= 1
        (delete,) = await api.wait_for("deleteMessage")
        assert delete.params["chat_id"] == str(CHAT_A["id"])
    finally:
        await restarted.stop()
