"""Telegram updates, served by the fake Bot API and read by PTB, become the right events."""

from __future__ import annotations

import asyncio
import time

from fake_bot_api import (
    administrator,
    group,
    left_member,
    plain_member,
    restricted_member,
    user,
)

from bot.events import (
    ButtonPressed,
    CommandIssued,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessagePosted,
)

CHAT = group(-1001234567890, "党群工作部工作群")
ZHANG = user(1001001, "张三", "-党群工作部", username="zhangsan")
LI = user(1002002, "李四-办公室")
ADMIN = user(1003003, "王五-主任", username="wangwu")


async def test_text_message_becomes_message_posted_with_nickname_and_update_id(
    api, adapter, recorder
):
    update_id_before = api.pending_updates
    body = await api.post(CHAT, ZHANG, "大家好")
    (event,) = await recorder.wait(1)
    assert update_id_before == 0
    assert isinstance(event, MessagePosted)
    assert event.platform == "telegram"
    assert event.chat_id == "-1001234567890"
    assert event.chat_title == "党群工作部工作群"
    assert event.update_id == "1"
    assert event.message_id == str(body["message_id"])
    assert event.sender.user_id == "1001001"
    assert event.sender.nickname == "张三 -党群工作部"  # first + " " + last, as Telegram shows it
    assert event.sender.username == "zhangsan"
    assert not event.sender.is_service_account
    assert event.text == "大家好"
    assert event.media_kind is None
    assert abs(event.at.timestamp() - time.time()) < 5
    assert event.at.tzinfo is not None


async def test_photo_caption_is_the_text_and_media_kind_is_photo(api, adapter, recorder):
    photo = [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}]
    await api.post(CHAT, LI, None, photo=photo, caption="内部资料 不得外传")
    (event,) = await recorder.wait(1)
    assert event.text == "内部资料 不得外传"
    assert event.media_kind == "photo"


async def test_link_entity_is_media_kind_link(api, adapter, recorder):
    text = "看这个 https://example.com/x"
    await api.post(CHAT, LI, text, entities=[{"type": "url", "offset": 4, "length": 21}])
    (event,) = await recorder.wait(1)
    assert event.media_kind == "link"


async def test_forwarded_from_channel_sets_forwarded_and_origin(api, adapter, recorder):
    origin = {
        "type": "channel",
        "date": int(time.time()),
        "chat": {"id": -1009, "type": "channel", "title": "某某新闻", "username": "news"},
        "message_id": 7,
    }
    await api.post(CHAT, LI, "转发的视频", forward_origin=origin)
    (event,) = await recorder.wait(1)
    assert event.forwarded is True
    assert event.forward_origin == "channel:-1009 某某新闻 @news"


async def test_forward_from_hidden_user_names_the_origin(api, adapter, recorder):
    origin = {"type": "hidden_user", "date": int(time.time()), "sender_user_name": "某人"}
    await api.post(CHAT, LI, "据说", forward_origin=origin)
    (event,) = await recorder.wait(1)
    assert event.forward_origin == "hidden_user:某人"


async def test_reply_sets_reply_to_message_id(api, adapter, recorder):
    first = await api.post(CHAT, ZHANG, "通知")
    await api.post(CHAT, LI, "收到", reply_to_message=first)
    _, reply = await recorder.wait(2)
    assert reply.reply_to_message_id == str(first["message_id"])


async def test_edited_message_becomes_message_edited(api, adapter, recorder):
    original = await api.post(CHAT, LI, "正常内容")
    await api.edit(original, "改成了违规内容")
    _, edited = await recorder.wait(2)
    assert isinstance(edited, MessageEdited)
    assert edited.message_id == str(original["message_id"])
    assert edited.text == "改成了违规内容"
    assert edited.update_id == "2"


async def test_service_join_and_chat_member_join_are_reported_once(api, adapter, recorder):
    await api.join(CHAT, LI, added_by=ZHANG)
    await api.chat_member(CHAT, ZHANG, left_member(LI), plain_member(LI))
    await api.post(CHAT, LI, "大家好")  # a marker: everything before it has been handled
    events = await recorder.wait(2)
    await api.drained()
    joins = [e for e in recorder.events if isinstance(e, MemberJoined)]
    assert len(joins) == 1
    assert joins[0].member.user_id == str(LI["id"])
    assert joins[0].member.nickname == "李四-办公室"
    assert joins[0].invited_by is not None and joins[0].invited_by.user_id == str(ZHANG["id"])
    assert isinstance(events[-1], MessagePosted)


async def test_join_leave_join_reports_every_change(api, adapter, recorder):
    await api.join(CHAT, LI)
    await api.chat_member(CHAT, LI, left_member(LI), plain_member(LI))  # same join, other view
    await api.leave(CHAT, LI)
    await api.chat_member(CHAT, LI, plain_member(LI), left_member(LI))  # same leave
    await api.join(CHAT, LI)
    events = await recorder.wait(3)
    assert [type(e) for e in events] == [MemberJoined, MemberLeft, MemberJoined]
    assert events[0].invited_by is None  # joined by link: nobody invited them


async def test_several_joiners_in_one_service_message_get_distinct_update_ids(
    api, adapter, recorder
):
    await api.join(CHAT, LI, ADMIN, added_by=ZHANG)
    first, second = await recorder.wait(2)
    assert {first.member.user_id, second.member.user_id} == {str(LI["id"]), str(ADMIN["id"])}
    assert first.update_id != second.update_id


async def test_chat_member_kick_becomes_member_left_with_remover(api, adapter, recorder):
    kicked = {"status": "kicked", "user": LI, "until_date": 0}
    await api.chat_member(CHAT, ADMIN, plain_member(LI), kicked)
    (event,) = await recorder.wait(1)
    assert isinstance(event, MemberLeft)
    assert event.removed_by is not None and event.removed_by.user_id == str(ADMIN["id"])


async def test_restricted_member_is_still_a_member_and_promotion_is_no_event(
    api, adapter, recorder
):
    await api.chat_member(CHAT, ADMIN, plain_member(LI), restricted_member(LI))
    await api.chat_member(CHAT, ZHANG, plain_member(ADMIN), administrator(ADMIN))
    await api.post(CHAT, LI, "marker")
    (event,) = await recorder.wait(1)
    await api.drained()
    assert isinstance(event, MessagePosted) and len(recorder.events) == 1


async def test_reply_command_targets_the_replied_member(api, adapter, recorder):
    bad = await api.post(CHAT, LI, "广告链接")
    await api.post(CHAT, ADMIN, "/Mute@GroupGuardBot 10m 刷屏", reply_to_message=bad)
    _, command = await recorder.wait(2)
    assert isinstance(command, CommandIssued)
    assert command.name == "mute"
    assert command.args == ("10m", "刷屏")
    assert command.sender.user_id == str(ADMIN["id"])
    assert command.target is not None and command.target.user_id == str(LI["id"])
    assert command.replied is not None
    assert command.replied.message_id == str(bad["message_id"])
    assert command.replied.text == "广告链接"
    assert command.raw_text.startswith("/Mute@GroupGuardBot")


async def test_username_target_is_resolved_from_names_seen_before(api, adapter, recorder):
    await api.post(CHAT, ZHANG, "我在")
    await api.post(CHAT, ADMIN, "/warn @ZhangSan 昵称不规范")
    _, command = await recorder.wait(2)
    assert command.target is not None and command.target.user_id == str(ZHANG["id"])
    assert command.args == ("昵称不规范",)


async def test_unknown_username_is_left_in_args_without_target(api, adapter, recorder):
    await api.post(CHAT, ADMIN, "/warn @nobody_seen")
    (command,) = await recorder.wait(1)
    assert command.target is None
    assert command.args == ("@nobody_seen",)


async def test_numeric_id_target(api, adapter, recorder):
    await api.post(CHAT, ADMIN, "/ban 1002002 违法信息")
    (command,) = await recorder.wait(1)
    assert command.target is not None and command.target.user_id == "1002002"
    assert command.args == ("违法信息",)


async def test_short_number_is_an_argument_not_a_target(api, adapter, recorder):
    await api.post(CHAT, ADMIN, "/mute 10")
    (command,) = await recorder.wait(1)
    assert command.target is None and command.args == ("10",)


async def test_text_mention_target_is_cut_out_of_args(api, adapter, recorder):
    text = "/mute 李四 办公室 1h"
    offset = len("/mute ")
    entities = [
        {"type": "bot_command", "offset": 0, "length": 5},
        {"type": "text_mention", "offset": offset, "length": len("李四 办公室"), "user": LI},
    ]
    await api.post(CHAT, ADMIN, text, entities=entities)
    (command,) = await recorder.wait(1)
    assert command.target is not None and command.target.user_id == str(LI["id"])
    assert command.args == ("1h",)


async def test_command_for_another_bot_is_an_ordinary_message(api, adapter, recorder):
    await api.post(CHAT, LI, "/start@OtherBot")
    (event,) = await recorder.wait(1)
    assert type(event) is MessagePosted


async def test_anonymous_admin_is_a_service_account_that_may_command(api, adapter, recorder):
    anonymous = user(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
    bad = await api.post(CHAT, LI, "x")
    await api.post(CHAT, anonymous, "/kick", sender_chat=CHAT, reply_to_message=bad)
    _, command = await recorder.wait(2)
    assert command.sender.is_service_account
    assert command.sender.is_platform_admin
    assert command.target is not None and command.target.user_id == str(LI["id"])


async def test_linked_channel_post_is_a_service_account(api, adapter, recorder):
    telegram = user(777000, "Telegram")
    channel = {"id": -1005, "type": "channel", "title": "单位公众号"}
    await api.post(CHAT, telegram, "频道推送", sender_chat=channel, is_automatic_forward=True)
    (event,) = await recorder.wait(1)
    assert event.sender.is_service_account
    assert not event.sender.is_platform_admin


async def test_member_posting_as_own_channel_is_an_ordinary_sender(api, adapter, recorder):
    channel_bot = user(136817688, "Channel", username="Channel_Bot", is_bot=True)
    channel = {"id": -1006, "type": "channel", "title": "我的频道"}
    await api.post(CHAT, channel_bot, "广告", sender_chat=channel)
    (event,) = await recorder.wait(1)
    assert event.sender.user_id == "-1006"
    assert not event.sender.is_service_account


async def test_callback_query_becomes_button_pressed(api, adapter, recorder):
    supervisor = user(2002, "赵六-分管负责人")
    escalation = {
        "message_id": 55,
        "date": int(time.time()),
        "chat": {"id": 2002, "type": "private", "first_name": "赵六"},
        "from": api.bot,
        "text": "上报",
    }
    query_id = await api.press(supervisor, "ack:42", escalation)
    (event,) = await recorder.wait(1)
    assert isinstance(event, ButtonPressed)
    assert event.chat_id == "2002"
    assert event.presser.user_id == "2002"
    assert event.data == "ack:42"
    assert event.callback_id == query_id


async def test_polling_asks_for_chat_member_updates(api, adapter):
    first_poll = (await api.wait_for("getUpdates"))[0]
    allowed = first_poll.params["allowed_updates"]
    assert "chat_member" in allowed and "callback_query" in allowed


async def test_a_failing_sink_does_not_stop_later_updates(api, adapter, recorder):
    calls = []

    async def sink(event):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("core failed on this one")

    adapter._sink = sink  # the sink the adapter was started with, replaced for this test
    await api.post(CHAT, LI, "one")
    await api.post(CHAT, LI, "two")
    await api.drained()
    for _ in range(100):
        if len(calls) == 2:
            break
        await asyncio.sleep(0.01)
    assert [c.text for c in calls] == ["one", "two"]
