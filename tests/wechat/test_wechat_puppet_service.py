"""Real tier: the python client against the pinned npm puppet service (mock puppet) on loopback.

Scenarios run the whole application (rules, executor, SQLite) behind the WeChat adapter; the
node service records what the bot did (roomDel, messageSendText, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import pytest_asyncio
from event_support import EventRecorder, HandledRecorder
from wechat_fakes import FakeClock
from wechat_harness import PuppetServiceControl

from adapters.wechat.adapter import WeChatAdapter
from adapters.wechat.settings import WeChatSettings
from adapters.wechat.throttle import ThrottleLimits
from bot.events import CommandIssued, MemberJoined, MessagePosted

pytestmark = [pytest.mark.slow, pytest.mark.wechat]

ILLEGAL = "有没有人一起去网络赌博，赌资我出"
QUICK = ThrottleLimits(per_minute=6000, chat_interval=0.01, burst=100)


@dataclass
class Group:
    """Ids of one test's contacts and rooms (unique per test: the service is shared)."""

    room: str
    owner: str
    member: str
    other: str
    stranger: str
    supervisor_room: str


@pytest.fixture
def group(puppet_service: PuppetServiceControl) -> Group:
    p = uuid.uuid4().hex[:8]
    svc = puppet_service
    g = Group(
        f"{p}-room@chatroom",
        f"{p}-owner",
        f"{p}-member",
        f"{p}-other",
        f"{p}-stranger",
        f"{p}-sup@chatroom",
    )
    svc.contact(g.owner, "王主任", friend=True)
    svc.contact(g.member, "张三")
    svc.contact(g.other, "李四")
    svc.contact(g.stranger, "小明")
    svc.room(g.room, "党群工作部工作群", g.owner, [svc.bot_id, g.owner, g.member, g.other])
    svc.room(g.supervisor_room, "分管负责人", g.owner, [svc.bot_id, g.owner])
    svc.alias(g.room, g.owner, "王主任-党群工作部")
    svc.alias(g.room, g.member, "张三-党群工作部")
    svc.alias(g.room, g.other, "李四-办公室")
    return g


def wechat_settings(svc: PuppetServiceControl, throttle: ThrottleLimits = QUICK) -> WeChatSettings:
    return WeChatSettings(
        endpoint=svc.endpoint, token=svc.token, start_timeout=15, throttle=throttle
    )


async def test_adapter_reads_room_events_from_the_real_service(
    puppet_service: PuppetServiceControl, group: Group
) -> None:
    svc, recorder = puppet_service, EventRecorder()
    adapter = WeChatAdapter(wechat_settings(svc))
    await adapter.start(recorder)
    try:
        assert adapter.self_user_id == svc.bot_id, "logged in again after the client's stop/start"
        svc.say(group.member, group.room, "大家好")
        svc.say(group.owner, group.room, "/warn @张三-党群工作部\u2005 刷屏", (group.member,))
        svc.alias(group.room, group.stranger, "小明")
        svc.join(group.room, [group.stranger], group.other)
        posted, command, joined = await recorder.wait(3, within=10)
        assert isinstance(posted, MessagePosted) and posted.sender.nickname == "张三-党群工作部"
        assert isinstance(command, CommandIssued) and command.name == "warn"
        assert command.target is not None and command.target.user_id == group.member
        assert command.sender.is_platform_admin
        assert isinstance(joined, MemberJoined) and joined.member.nickname == "小明"
        assert joined.invited_by is not None and joined.invited_by.user_id == group.other
    finally:
        await adapter.stop()


async def test_setters_reach_a_1x_service_through_the_compat_patch(
    puppet_service: PuppetServiceControl, group: Group
) -> None:
    adapter = WeChatAdapter(wechat_settings(puppet_service))
    await adapter.start(EventRecorder())
    try:
        stub = adapter._stub  # the client's own stub, patched by adapters.wechat.compat
        await stub.room_topic(id=group.room, topic="新群名")
        (call,) = [
            c for c in puppet_service.calls("roomTopic") if c["args"]["roomId"] == group.room
        ]
        assert call["args"]["topic"] == "新群名", "without the patch the set arrives as a get"
        assert (await stub.room_topic(id=group.room)).topic == "新群名"
    finally:
        await adapter.stop()


async def test_burst_of_200_outgoing_messages_is_throttled_and_none_is_lost(
    puppet_service: PuppetServiceControl, group: Group
) -> None:
    svc = puppet_service
    limits = ThrottleLimits(per_minute=3000, chat_interval=0.05, burst=5)
    # The pacing is checked on the throttle's own clock, simulated: arrival times at the
    # service carry network jitter on a shared machine (a gap of 0.037 s once failed 0.04).
    clock = FakeClock()
    adapter = WeChatAdapter(wechat_settings(svc, limits), throttle_clock=clock)
    throttle = adapter.throttle
    released: list[tuple[str, float]] = []
    send = throttle._send

    async def recording_send(item, now):  # type: ignore[no-untyped-def]
        released.append((item.chat_id, now))
        await send(item, now)

    throttle._send = recording_send  # type: ignore[method-assign]
    await adapter.start(EventRecorder())
    try:
        rooms = (group.room, group.supervisor_room)
        for i in range(200):
            await adapter.send_message(rooms[i % 2], f"burst {i}")
        await adapter.drain()
        sent = [c for c in svc.calls("messageSendText") if c["args"]["conversationId"] in rooms]
        assert len(sent) == 200 and throttle.failed == 0
        for room in rooms:
            mine = [c for c in sent if c["args"]["conversationId"] == room]
            numbers = [int(c["args"]["text"].split()[1]) for c in mine]
            assert numbers == sorted(numbers) and len(numbers) == 100
            times = [at for chat, at in released if chat == room]
            gaps = [b - a for a, b in pairwise(times)]
            # 1e-9: float sums on the simulated clock, not time that could pass or not.
            assert min(gaps) >= limits.chat_interval - 1e-9, "per-room spacing held"
        span = released[-1][1] - released[0][1]
        assert span >= (200 - limits.burst) / (limits.per_minute / 60) - 1e-9, "overall rate"
    finally:
        await adapter.stop()


# -- the whole application ------------------------------------------------------------------


@dataclass
class Bot:
    svc: PuppetServiceControl
    group: Group
    runtime: object
    handled: object

    @property
    def app(self):
        return self.runtime.app

    async def audit(self, **filters: object) -> list[tuple[object, object]]:
        rows = await self.app.store.read(lambda r: r.audit(**filters))
        return [(_field(row, "kind"), _field(row, "outcome")) for row in rows]

    def texts_to(self, conversation: str) -> list[str]:
        return [
            c["args"]["text"]
            for c in self.svc.calls("messageSendText")
            if c["args"]["conversationId"] == conversation
        ]


def _field(row: dict, name: str) -> object:
    if name in row:
        return row[name]
    record = next(v for v in row.values() if hasattr(v, "kind"))
    return getattr(record, name)


@pytest_asyncio.fixture
async def bot(
    puppet_service: PuppetServiceControl, group: Group, tmp_path: Path
) -> AsyncIterator[Bot]:
    app_mod = pytest.importorskip("bot.app")  # noqa: F841 - the core must be present
    from bot.config import DatabaseSettings, EscalationSettings, Settings
    from bot.runtime import build
    from rules.policy import EscalationTarget

    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"),
        escalation=EscalationSettings(
            tiers={
                1: (
                    EscalationTarget(
                        platform="wechat", chat_id=group.supervisor_room, name="分管负责人"
                    ),
                )
            }
        ),
    )
    adapter = WeChatAdapter(wechat_settings(puppet_service))
    runtime = await build(settings, {"wechat": adapter})
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    try:
        yield Bot(puppet_service, group, runtime, handled)
    finally:
        await runtime.app.stop()
        await runtime.close()


async def test_join_with_a_bad_alias_is_reminded(bot: Bot) -> None:
    g = bot.group
    bot.svc.alias(g.room, g.stranger, "小明")
    bot.svc.join(g.room, [g.stranger], g.other)
    await bot.handled.wait(1)
    await bot.app.adapters["wechat"].drain()
    reminders = bot.texts_to(g.room) + bot.texts_to(g.stranger)
    assert reminders, "the member was not reminded"
    assert any(
        g.stranger in c["args"]["mentionIdList"] for c in bot.svc.calls("messageSendText")
    ), "the reminder @-mentions the member"
    assert not [c for c in bot.svc.calls("roomDel") if c["args"]["roomId"] == g.room]


async def test_illegal_message_removes_blacklists_and_escalates(bot: Bot) -> None:
    g = bot.group
    bot.svc.say(g.member, g.room, ILLEGAL)
    await bot.handled.wait(1)
    removed = await bot.svc.wait_calls("roomDel", 1, roomId=g.room)
    assert {"roomId": g.room, "contactId": g.member} in [c["args"] for c in removed]
    await bot.app.adapters["wechat"].drain()
    assert bot.texts_to(g.supervisor_room), "the escalation reached the supervisor room"
    kinds = {kind for kind, _ in await bot.audit(user_id=g.member)}
    assert {"blacklist", "escalate"} <= kinds


async def test_non_admin_command_is_refused(bot: Bot) -> None:
    g = bot.group
    bot.svc.say(g.other, g.room, "/kick @张三-党群工作部\u2005", (g.member,))
    await bot.handled.wait(1)
    await bot.app.adapters["wechat"].drain()
    assert not [c for c in bot.svc.calls("roomDel") if c["args"]["roomId"] == g.room]
    assert ("command:kick", "refused") in await bot.audit(chat_id=g.room)


async def test_restriction_then_a_message_during_it_leads_to_removal(bot: Bot) -> None:
    g = bot.group
    bot.svc.say(g.member, g.room, "大家好")
    bot.svc.say(g.owner, g.room, "/mute @张三-党群工作部\u2005 10m 刷屏", (g.member,))
    await bot.handled.wait(2)
    await bot.app.adapters["wechat"].drain()
    told = [
        c
        for c in bot.svc.calls("messageSendText")
        if c["args"]["conversationId"] in (g.room, g.member)
    ]
    assert told, "the member is told about the restriction (WeChat cannot mute)"
    assert not [c for c in bot.svc.calls("roomDel") if c["args"]["roomId"] == g.room]
    # The "restricted" ladder: the first message during the restriction is warned, the next
    # one removes (WeChat cannot delete it, so each one counts).
    bot.svc.say(g.member, g.room, "我偏要说")
    bot.svc.say(g.member, g.room, "就要说")
    await bot.handled.wait(4)
    removed = await bot.svc.wait_calls("roomDel", 1, roomId=g.room)
    assert {"roomId": g.room, "contactId": g.member} in [c["args"] for c in removed]


async def test_restriction_of_a_member_not_seen_before_still_holds(bot: Bot) -> None:
    g = bot.group
    bot.svc.say(g.owner, g.room, "/mute @张三-党群工作部\u2005 10m", (g.member,))
    await bot.handled.wait(1)
    bot.svc.say(g.member, g.room, "我偏要说")
    bot.svc.say(g.member, g.room, "就要说")
    await bot.handled.wait(3)
    removed = await bot.svc.wait_calls("roomDel", 1, within=3, roomId=g.room)
    assert {"roomId": g.room, "contactId": g.member} in [c["args"] for c in removed]
