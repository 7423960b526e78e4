"""Each adapter action reaches the Bot API as the right method with the right parameters."""

from __future__ import annotations

import asyncio
import time
from dataclasses import astuple, replace
from datetime import UTC, datetime, timedelta

from fake_bot_api import administrator, group, owner, user

from bot.ports import RIGHT_DELETE, RIGHT_RESTRICT, Adapter, Button

CHAT_ID = "-1001234567890"
CHAT = group(int(CHAT_ID))
LI = user(1002002, "李四-办公室", username="lisi")


async def test_adapter_fulfils_the_protocol_and_knows_itself(adapter):
    assert isinstance(adapter, Adapter)
    assert adapter.bot_user_id == "5000000001"
    assert adapter.bot_username == "GroupGuardBot"
    # Telegram can do everything the core asks, except what issue 15 added for QQ: answering
    # join requests (chat_join_request is not wired up yet) and setting a member's name.
    caps = replace(adapter.capabilities, join_requests=True, set_nickname=True)
    assert all(astuple(caps))


async def test_send_message_replies_mentions_and_carries_buttons(api, adapter, recorder):
    await api.post(CHAT, LI, "hi")  # the adapter learns 李四's name from what it sees
    await recorder.wait(1)
    message_id = await adapter.send_message(
        CHAT_ID,
        "请 李四-办公室 修改昵称 <按格式>",
        reply_to="77",
        mention=["1002002", "1003003"],
        buttons=[Button("确认", "ack:1"), Button("解除", "lift:1"), Button("误报", "fp:1")],
    )
    (call,) = api.calls_to("sendMessage")
    assert message_id is not None and message_id.isdigit()
    params = call.params
    assert params["chat_id"] == CHAT_ID
    assert params["parse_mode"] == "HTML"
    # A known name in the text becomes the link; an unknown user is linked in front.
    assert params["text"] == (
        '<a href="tg://user?id=1003003">1003003</a> '
        '请 <a href="tg://user?id=1002002">李四-办公室</a> 修改昵称 &lt;按格式&gt;'
    )
    assert params["reply_parameters"] == {"message_id": 77, "allow_sending_without_reply": True}
    keyboard = params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        ["ack:1", "lift:1"],
        ["fp:1"],
    ]


async def test_reminder_deletes_itself_after_delete_after(api, adapter):
    message_id = await adapter.send_message(CHAT_ID, "请修改昵称", delete_after=0.2)
    (deleted,) = await api.wait_for("deleteMessage", within=3)
    assert deleted.params == {"chat_id": CHAT_ID, "message_id": message_id}


async def test_send_private_reports_whether_the_user_was_reached(api, adapter):
    assert await adapter.send_private("1002002", "您好") is True
    assert api.calls_to("sendMessage")[-1].params["chat_id"] == "1002002"
    api.fail("sendMessage", status=403, description="Forbidden: bot can't initiate conversation")
    assert await adapter.send_private("1002002", "您好") is False
    api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    assert await adapter.send_private("1002002", "您好") is False


async def test_delete_message(api, adapter):
    await adapter.delete_message(CHAT_ID, "4242")
    (call,) = api.calls_to("deleteMessage")
    assert call.params == {"chat_id": CHAT_ID, "message_id": "4242"}


async def test_mute_restricts_until_the_given_time(api, adapter):
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    await adapter.mute(CHAT_ID, "1002002", until)
    (call,) = api.calls_to("restrictChatMember")
    assert call.params["chat_id"] == CHAT_ID
    assert call.params["user_id"] == "1002002"
    assert int(call.params["until_date"]) == int(until.timestamp())
    permissions = call.params["permissions"]
    assert permissions["can_send_messages"] is False
    assert not any(permissions.values())


async def test_a_very_short_mute_is_not_turned_into_a_permanent_one(api, adapter):
    # Telegram reads an until_date under 30 s away as "forever". Measured from the moment the
    # call was made (not after it returned: a slow machine must not fail the test).
    asked_at = time.time()
    await adapter.mute(CHAT_ID, "1002002", datetime.now(UTC) + timedelta(seconds=5))
    (call,) = api.calls_to("restrictChatMember")
    assert int(call.params["until_date"]) >= int(asked_at) + 30


async def test_mute_without_end_sends_no_until_date(api, adapter):
    await adapter.mute(CHAT_ID, "1002002", None)
    (call,) = api.calls_to("restrictChatMember")
    assert "until_date" not in call.params


async def test_unmute_restores_every_permission(api, adapter):
    await adapter.unmute(CHAT_ID, "1002002")
    (call,) = api.calls_to("restrictChatMember")
    assert all(call.params["permissions"].values())
    assert "until_date" not in call.params


async def test_remove_is_ban_then_unban_so_the_member_may_rejoin(api, adapter):
    await adapter.remove(CHAT_ID, "1002002")
    assert [c.method for c in api.actions()] == ["banChatMember", "unbanChatMember"]
    unban = api.calls_to("unbanChatMember")[0].params
    assert unban == {"chat_id": CHAT_ID, "user_id": "1002002", "only_if_banned": "true"}


async def test_ban_and_unban(api, adapter):
    await adapter.ban(CHAT_ID, "1002002")
    await adapter.unban(CHAT_ID, "1002002")
    ban, unban = api.actions()
    assert (ban.method, ban.params) == ("banChatMember", {"chat_id": CHAT_ID, "user_id": "1002002"})
    assert unban.method == "unbanChatMember" and unban.params["only_if_banned"] == "true"


async def test_a_channel_sender_is_banned_as_a_sender_chat(api, adapter):
    await adapter.ban(CHAT_ID, "-1006")
    (call,) = api.actions()
    assert call.method == "banChatSenderChat"
    assert call.params == {"chat_id": CHAT_ID, "sender_chat_id": "-1006"}


async def test_quiet_mode_on_and_off_sets_chat_permissions(api, adapter):
    await adapter.set_quiet(CHAT_ID, True)
    await adapter.set_quiet(CHAT_ID, False)
    on, off = api.calls_to("setChatPermissions")
    assert not any(on.params["permissions"].values())
    restored = off.params["permissions"]
    assert restored["can_send_messages"] is True
    assert restored["can_change_info"] is False  # members never get to rename a work group


async def test_get_admins_maps_owner_and_rights(api, adapter):
    api.set_admins(
        CHAT_ID,
        owner(user(1, "群主")),
        administrator(user(2, "管理员"), RIGHT_RESTRICT, RIGHT_DELETE),
        administrator(api.bot, RIGHT_DELETE),
    )
    admins = {a.user_id: a for a in await adapter.get_admins(CHAT_ID)}
    assert admins["1"].is_owner and admins["1"].can(RIGHT_RESTRICT)
    assert admins["2"].rights == {RIGHT_RESTRICT, RIGHT_DELETE}
    assert not admins["5000000001"].can(RIGHT_RESTRICT)
    own = await adapter.get_own_rights(CHAT_ID)
    assert own is not None and own.rights == {RIGHT_DELETE}


async def test_answer_button(api, adapter):
    await adapter.answer_button("cq9", "已确认")
    (call,) = api.calls_to("answerCallbackQuery")
    assert call.params == {"callback_query_id": "cq9", "text": "已确认"}


async def test_set_commands_publishes_the_menu(api, adapter):
    await adapter.set_commands([("mute", "禁言"), ("help", "帮助")])
    (call,) = api.calls_to("setMyCommands")
    assert call.params["commands"] == [
        {"command": "mute", "description": "禁言"},
        {"command": "help", "description": "帮助"},
    ]


async def test_stop_then_no_more_polling(api, adapter):
    await adapter.stop()
    polls = len(api.calls_to("getUpdates"))
    await asyncio.sleep(0.3)
    assert len(api.calls_to("getUpdates")) == polls
