"""The OneBot client against the fake implementation: the token check in both transports and
both refusal styles, the silence watchdog, call failures and malformed frames — each bad
input is one clear line and a recorded outcome, never a crash."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from event_support import EventRecorder
from fake_onebot import FakeOneBot
from qq_harness import ADMIN, GROUP_A, MEMBER, Bot, populate, settings_for, start_bot

from adapters.qq.adapter import QQAdapter
from adapters.qq.client import QQStartError
from bot.events import CommandIssued, MessagePosted

ILLEGAL = "有没有人一起去网络赌博，赌资我出"


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("style", ["napcat", "http"])
async def test_a_wrong_token_stops_forward_start_with_one_clear_line(style, caplog):
    async with FakeOneBot(auth_style=style) as fake:
        adapter = QQAdapter(settings_for(fake, token="not-the-token"))
        with pytest.raises(QQStartError) as raised:
            await adapter.start(EventRecorder())
        await adapter.stop()
    message = str(raised.value)
    assert "refused the access token" in message and "QQ_ONEBOT_TOKEN" in message
    assert "not-the-token" not in message  # the token itself is never printed
    assert "\n" not in message
    assert error_lines(caplog) == [message]
    assert fake.refused == 1  # refused once: no retry loop against a wrong token


async def test_a_wrong_token_on_a_reverse_connection_is_one_line_however_often_it_retries(
    caplog,
):
    async with FakeOneBot(transport="reverse", offered_token="wrong") as fake:
        adapter = QQAdapter(settings_for(fake))
        await adapter.start(EventRecorder())
        try:
            s = adapter.settings
            fake.dial(f"ws://127.0.0.1:{s.listen_port}{s.path}", retry_every=0.01)
            for _ in range(1000):  # until the implementation has retried five times
                if fake.refused >= 5:
                    break
                await asyncio.sleep(0.01)
            assert fake.refused >= 5
            assert not adapter.client.connected
        finally:
            await adapter.stop()
    lines = error_lines(caplog)
    assert len(lines) == 1 and "wrong access token" in lines[0] and "QQ_ONEBOT_TOKEN" in lines[0]


async def test_nothing_listening_is_a_start_error_naming_the_address():
    async with FakeOneBot() as fake:
        settings = settings_for(fake, start_timeout=0.5)
    adapter = QQAdapter(settings)  # the fake is gone: nothing listens on its port
    with pytest.raises(QQStartError, match="no OneBot implementation answered at ws://"):
        await adapter.start(EventRecorder())


async def test_a_silent_link_is_probed_then_replaced(caplog):
    caplog.set_level(logging.WARNING)
    async with FakeOneBot() as fake:
        populate(fake)
        fake.unanswered.add("get_status")  # hung: the probe gets no answer
        adapter = QQAdapter(settings_for(fake, heartbeat_timeout=0.2, call_timeout=0.3))
        await adapter.start(EventRecorder())
        try:
            await fake.wait_for("get_status", 1)
            await fake.wait_for("get_login_info", 2)  # a second connection said hello
            assert adapter.client.connections >= 2
        finally:
            await adapter.stop()
    assert any("silent for" in r.getMessage() for r in caplog.records)


@pytest_asyncio.fixture
async def cq_fake() -> AsyncIterator[FakeOneBot]:
    # CQ strings and ids as strings: the other shape implementations send.
    async with FakeOneBot(message_format="string", string_ids=True) as server:
        populate(server)
        yield server


async def test_cq_strings_and_string_ids_read_like_arrays(cq_fake: FakeOneBot):
    recorder = EventRecorder()
    adapter = QQAdapter(settings_for(cq_fake))
    await adapter.start(recorder)
    try:
        await cq_fake.post(GROUP_A, MEMBER.user_id, "看 [这个] & 那个,好")
        await cq_fake.post(GROUP_A, ADMIN.user_id, "/mute 10m", at=(MEMBER.user_id,))
        await cq_fake.post(GROUP_A, MEMBER.user_id, "负数编号", message_id=-42)
        events = await recorder.wait(3)
    finally:
        await adapter.stop()
    first, command, negative = events
    assert isinstance(first, MessagePosted) and first.text == "看 [这个] & 那个,好"
    assert first.chat_id == str(GROUP_A) and first.sender.user_id == str(MEMBER.user_id)
    assert isinstance(command, CommandIssued) and command.args == ("10m",)
    assert command.target is not None and command.target.user_id == str(MEMBER.user_id)
    assert command.sender.is_platform_admin
    assert isinstance(negative, MessagePosted) and negative.message_id == "-42"


async def test_a_string_format_bot_sends_cq_strings(cq_fake: FakeOneBot):
    adapter = QQAdapter(settings_for(cq_fake, message_format="string"))
    await adapter.start(EventRecorder())
    try:
        await adapter.send_message(
            str(GROUP_A), "@张三 请注意 [群规]", mention=[str(MEMBER.user_id)]
        )
    finally:
        await adapter.stop()
    (sent,) = cq_fake.calls_to("send_group_msg")
    assert sent.params["message"] == f"[CQ:at,qq={MEMBER.user_id}] 请注意 &#91;群规&#93;"


async def test_malformed_frames_and_events_are_skipped_one_line_each(caplog):
    async with FakeOneBot() as fake:
        populate(fake)
        recorder = EventRecorder()
        adapter = QQAdapter(settings_for(fake))
        await adapter.start(recorder)
        try:
            await fake.push_raw("not json at all")
            await fake.push_raw("[1, 2, 3]")
            await fake.push({"post_type": "message", "message_type": "group"})  # no ids
            await fake.push({"post_type": "notice", "notice_type": "group_increase"})
            await fake.push(
                {
                    "post_type": "message",
                    "message_type": "group",
                    "group_id": {"x": 1},
                    "user_id": 1,
                    "message_id": 1,
                    "message": 5,
                    "sender": "nobody",
                }
            )
            await fake.post(GROUP_A, MEMBER.user_id, "正常消息")
            await recorder.wait(1)
            await adapter.drain()
        finally:
            await adapter.stop()
    assert [e.text for e in recorder.events if isinstance(e, MessagePosted)] == ["正常消息"]
    assert fake.connections == 1  # nothing above broke the connection
    assert not error_lines(caplog)


# -- failures through the whole application ------------------------------------------------


@pytest_asyncio.fixture
async def app_bot(tmp_path: Path) -> AsyncIterator[Bot]:
    from datetime import UTC, datetime

    from bot.clock import ManualClock

    async with FakeOneBot() as fake:
        populate(fake)
        running = await start_bot(fake, tmp_path / "gg.db", ManualClock(datetime.now(UTC)))
        try:
            yield running
        finally:
            await running.stop()


async def test_a_send_blocked_by_risk_control_is_retried(app_bot: Bot):
    fake = app_bot.fake
    fake.fail("send_group_msg", 200, "发送消息失败，可能被风控", times=1)
    await fake.post(GROUP_A, ADMIN.user_id, "/rules")
    await app_bot.handled.wait(1)
    sends = await fake.wait_for("send_group_msg", 2)
    assert len(sends) == 2  # refused once, then sent


async def test_a_send_blocked_for_good_is_recorded_not_a_crash(app_bot: Bot):
    fake = app_bot.fake
    fake.fail("send_group_msg", 200, "风控", times=100)
    fake.fail("send_private_msg", 200, "风控", times=100)
    fake.fail("delete_msg", 200, "ERR_NOT_GROUP_ADMIN", times=100)
    await fake.post(GROUP_A, MEMBER.user_id, ILLEGAL)
    await app_bot.handled.wait(1)
    records = await app_bot.audit(chat_id=str(GROUP_A))
    outcomes = {kind: (outcome, detail) for kind, outcome, detail in records}
    assert outcomes["delete"][0] == "failed" and "forbidden" in outcomes["delete"][1]
    # The kick worked; the notice after it was blocked, and the record says so.
    assert fake.calls_to("set_group_kick")
    assert outcomes["blacklist"][0] == "failed" and "rate_limited" in outcomes["blacklist"][1]
    # The bot still runs: the next message is handled.
    fake.failures.clear()
    await fake.post(GROUP_A, ADMIN.user_id, "/rules")
    await app_bot.handled.wait(2)
    await fake.wait_for("send_group_msg", 1)


async def test_muting_an_admin_is_refused_by_qq_and_recorded(app_bot: Bot):
    fake = app_bot.fake
    fake.fail("set_group_ban", 200, "cannot ban admin")
    await fake.post(GROUP_A, ADMIN.user_id, "/mute 10m", at=(MEMBER.user_id,))
    await app_bot.handled.wait(1)
    records = await app_bot.audit(chat_id=str(GROUP_A))
    (mute,) = [(o, d) for k, o, d in records if k == "mute"]
    assert mute[0] == "failed" and "forbidden" in mute[1]


async def test_reverse_with_separate_api_and_event_connections():
    async with FakeOneBot(transport="reverse") as fake:
        populate(fake)
        recorder = EventRecorder()
        adapter = QQAdapter(settings_for(fake))
        await adapter.start(recorder)
        try:
            s = adapter.settings
            fake.dial(f"ws://127.0.0.1:{s.listen_port}{s.path}", roles=("API", "Event"))
            assert await adapter.client.wait_connected(10.0)
            await fake.post(GROUP_A, MEMBER.user_id, "分开的连接")
            (event,) = await recorder.wait(1)
            await adapter.send_message(str(GROUP_A), "收到")
        finally:
            await adapter.stop()
    assert isinstance(event, MessagePosted) and event.text == "分开的连接"
    assert adapter.self_user_id == "10000001"  # from X-Self-ID / get_login_info
    assert fake.calls_to("send_group_msg")
