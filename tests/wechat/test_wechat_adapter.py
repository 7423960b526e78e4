"""No-Node tier: the real python wechaty client over an in-process fake of the gRPC stub."""

from __future__ import annotations

import asyncio

import pytest
from event_support import EventRecorder
from wechat_fakes import CHAT_HISTORY, IMAGE, RECALLED, URL, FakeStub, fake_puppet_factory
from wechat_harness import settings_for

from adapters.wechat.adapter import CAPABILITIES, WeChatAdapter
from adapters.wechat.connection import WeChatStartError
from bot.events import CommandIssued, MemberJoined, MemberLeft, MessagePosted
from bot.ports import PlatformError

ROOM = "r1@chatroom"


@pytest.fixture
def group(fake_service: FakeStub) -> FakeStub:
    s = fake_service
    s.contact("owner", "王主任", friend=True)
    s.contact("zs", "张三")
    s.contact("ls", "李四")
    s.room(ROOM, "党群工作群", "owner", ["bot", "owner", "zs", "ls"])
    s.aliases[(ROOM, "zs")] = "张三-党群工作部"
    return s


async def test_room_text_becomes_a_message_with_the_room_alias_as_nickname(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.say("zs", ROOM, "大家好")
    group.say("ls", ROOM, "收到")
    first, second = await recorder.wait(2)
    assert isinstance(first, MessagePosted) and first.text == "大家好"
    assert first.sender.nickname == "张三-党群工作部" and first.chat_title == "党群工作群"
    assert first.platform == "wechat" and first.update_id == "msg:m1"
    assert second.sender.nickname == "李四", "no alias: the WeChat name"
    assert not first.sender.is_platform_admin


async def test_owner_is_platform_admin_and_the_only_admin(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.say("owner", ROOM, "开会")
    (event,) = await recorder.wait(1)
    assert event.sender.is_platform_admin
    admins = await adapter.get_admins(ROOM)
    assert [(a.user_id, a.is_owner) for a in admins] == [("owner", True)]


async def test_slash_text_is_a_command_with_the_mentioned_member_as_target(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.say("owner", ROOM, "/mute @张三-党群工作部\u2005 10m 刷屏", mentions=("zs",))
    group.say("ls", ROOM, "／rules")
    command, rules = await recorder.wait(2)
    assert isinstance(command, CommandIssued)
    assert command.name == "mute" and command.args == ("10m", "刷屏")
    assert command.target is not None and command.target.user_id == "zs"
    assert command.sender.is_platform_admin
    assert isinstance(rules, CommandIssued) and rules.name == "rules" and rules.target is None


async def test_own_private_and_recalled_messages_are_not_events(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.say("bot", ROOM, "我是机器人")
    group.say("zs", "", "私聊")
    group.say("zs", ROOM, "", type_=RECALLED)
    group.say("zs", ROOM, "最后一条")
    await recorder.wait(1)
    await adapter.drain()
    assert [e.text for e in recorder.events] == ["最后一条"]


async def test_media_forward_and_link_cards(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.say("zs", ROOM, "", type_=IMAGE)
    group.say("zs", ROOM, "<msg><title>群聊的聊天记录</title></msg>", type_=CHAT_HISTORY)
    group.urls["m3"] = {"title": "兼职刷单", "description": "日赚500", "url": "http://x.example"}
    group.say("zs", ROOM, "<appmsg/>", type_=URL)
    photo, history, link = await recorder.wait(3)
    assert photo.media_kind == "photo" and not photo.forwarded
    assert history.media_kind == "chat_history" and history.forwarded
    assert history.forward_origin == "群聊的聊天记录"
    assert link.media_kind == "link" and link.text == "兼职刷单\n日赚500\nhttp://x.example"


async def test_join_and_leave_carry_who_and_by_whom(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.contact("ww", "王五")
    group.rooms[ROOM]["members"].append("ww")
    group.emit(
        "room-join",
        roomId=ROOM,
        inviteeIdList=["ww", "bot"],
        inviterId="zs",
        timestamp=1_700_000_000,
    )
    group.emit(
        "room-leave", roomId=ROOM, removeeIdList=["ls"], removerId="owner", timestamp=1_700_000_001
    )
    joined, left = await recorder.wait(2)
    assert isinstance(joined, MemberJoined) and joined.member.user_id == "ww"
    assert joined.invited_by is not None and joined.invited_by.nickname == "张三-党群工作部"
    assert isinstance(left, MemberLeft) and left.member.nickname == "李四"
    assert left.removed_by is not None and left.removed_by.user_id == "owner"
    await adapter.drain()
    assert len(recorder.events) == 2, "the bot's own join is not a member joining"


async def test_events_keep_their_order_when_an_earlier_payload_is_slow(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.payload_delay["m1"] = 0.2
    group.say("zs", ROOM, "第一")
    group.say("zs", ROOM, "第二")
    events = await recorder.wait(2)
    assert [e.text for e in events] == ["第一", "第二"]


async def test_an_unreadable_event_is_skipped_and_the_rest_still_arrive(
    group: FakeStub, adapter: WeChatAdapter, recorder: EventRecorder
) -> None:
    group.broken_messages.add("m1")
    group.say("zs", ROOM, "坏的")
    group.say("zs", ROOM, "好的")
    (event,) = await recorder.wait(1)
    await adapter.drain()
    assert event.text == "好的" and len(recorder.events) == 1


async def test_warning_mentions_by_alias_and_goes_through_the_throttle(
    group: FakeStub, adapter: WeChatAdapter
) -> None:
    assert await adapter.send_message(ROOM, "请按规范修改群昵称", mention=["zs"]) is None
    await adapter.drain()
    (sent,) = group.calls_of("messageSendText")
    assert sent == {
        "conversationId": ROOM,
        "text": "@张三-党群工作部\u2005请按规范修改群昵称",
        "mentionIdList": ["zs"],
    }
    assert adapter.throttle.sent == 1


async def test_private_reminder_only_to_friends(group: FakeStub, adapter: WeChatAdapter) -> None:
    assert await adapter.send_private("owner", "提醒") is True
    assert await adapter.send_private("zs", "提醒") is False
    await adapter.drain()
    assert [c["conversationId"] for c in group.calls_of("messageSendText")] == ["owner"]


async def test_remove_and_ban_call_room_delete_and_refusals_are_platform_errors(
    group: FakeStub, adapter: WeChatAdapter
) -> None:
    with pytest.raises(PlatformError) as refused:
        await adapter.remove(ROOM, "zs")
    assert refused.value.kind == "forbidden"
    group.rooms[ROOM]["owner"] = "bot"
    await adapter.ban(ROOM, "zs")
    assert group.calls_of("roomDel")[-1] == {"roomId": ROOM, "contactId": "zs"}
    assert "zs" not in group.rooms[ROOM]["members"]


async def test_capabilities_declare_what_wechat_cannot_do(adapter: WeChatAdapter) -> None:
    assert (CAPABILITIES.remove, CAPABILITIES.ban, CAPABILITIES.private_message) == (
        True,
        True,
        True,
    )
    assert not any(
        (
            CAPABILITIES.delete_message,
            CAPABILITIES.mute,
            CAPABILITIES.quiet_group,
            CAPABILITIES.delete_own_messages,
            CAPABILITIES.admin_roles,
            CAPABILITIES.buttons,
        )
    )
    with pytest.raises(PlatformError):
        await adapter.mute(ROOM, "zs", None)


async def test_wrong_token_ends_start_with_a_clear_error(endpoint: str) -> None:
    stub = FakeStub(token_ok=False)
    a = WeChatAdapter(settings_for(endpoint), puppet_factory=fake_puppet_factory(stub))
    with pytest.raises(WeChatStartError, match="refused the token"):
        await asyncio.wait_for(a.start(EventRecorder()), 5)
    await a.stop()


async def test_no_login_ends_start_within_the_timeout(endpoint: str) -> None:
    stub = FakeStub(login_on_start=False)
    a = WeChatAdapter(
        settings_for(endpoint, start_timeout=0.3), puppet_factory=fake_puppet_factory(stub)
    )
    with pytest.raises(WeChatStartError, match=r"no login .* check the token"):
        await asyncio.wait_for(a.start(EventRecorder()), 5)
    await a.stop()


async def test_unreachable_endpoint_ends_start_with_a_clear_error() -> None:
    from event_support import free_port

    a = WeChatAdapter(settings_for(f"127.0.0.1:{free_port()}"))
    with pytest.raises(WeChatStartError, match="cannot reach"):
        await asyncio.wait_for(a.start(EventRecorder()), 5)
    await a.stop()


async def test_start_logs_in_again_after_the_clients_stop_then_start(
    endpoint: str,
) -> None:
    # The client stops the service before starting it (which logs a 1.x service out); the
    # adapter must wait for the login that follows, not give up at the logout.
    stub = FakeStub(login_on_start=False)
    stub.emit("logout", contactId="bot", data="stopped")
    a = WeChatAdapter(settings_for(endpoint), puppet_factory=fake_puppet_factory(stub))
    task = asyncio.create_task(a.start(EventRecorder()))
    await asyncio.sleep(0.1)
    assert not task.done()
    stub.emit("login", contactId="bot")
    await asyncio.wait_for(task, 3)
    assert a.self_id == "bot"
    assert [name for name, _ in stub.calls] == ["stop", "start"]
    await a.stop()
