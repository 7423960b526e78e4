"""Bot API refusals reach the executor as the right PlatformError kind, through PTB's own
error parsing; the adapter never retries by itself and never crashes its polling loop."""

from __future__ import annotations

import pytest
from fake_bot_api import group, user

from bot.ports import PlatformError

CHAT_ID = "-1001234567890"


async def _error_of(call) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        await call
    return caught.value


async def test_429_is_rate_limited_with_retry_after_then_the_next_call_succeeds(api, adapter):
    api.rate_limit("deleteMessage", retry_after=3)
    error = await _error_of(adapter.delete_message(CHAT_ID, "1"))
    assert error.kind == "rate_limited" and error.retryable
    assert error.retry_after == 3.0
    await adapter.delete_message(CHAT_ID, "1")  # 200 now
    assert len(api.calls_to("deleteMessage")) == 2


@pytest.mark.parametrize(
    ("status", "description", "kind"),
    [
        (400, "Bad Request: not enough rights to restrict/unrestrict chat member", "forbidden"),
        (400, "Bad Request: need administrator rights in the channel chat", "forbidden"),
        (400, "Bad Request: CHAT_ADMIN_REQUIRED", "forbidden"),
        (400, "Bad Request: message can't be deleted", "forbidden"),
        (403, "Forbidden: bot was kicked from the supergroup chat", "forbidden"),
        (400, "Bad Request: message to delete not found", "not_found"),
        (400, "Bad Request: user not found", "not_found"),
        (400, "Bad Request: PARTICIPANT_ID_INVALID", "not_found"),
        (400, "Bad Request: can't remove chat owner", "bad_request"),
        (500, "Internal Server Error", "transient"),
        (502, "Bad Gateway", "transient"),
        (429, "Too Many Requests", "transient"),  # a 429 without retry_after: back off
    ],
)
async def test_error_mapping(api, adapter, status, description, kind):
    api.fail("restrictChatMember", status=status, description=description)
    error = await _error_of(adapter.mute(CHAT_ID, "1002002", None))
    assert error.kind == kind, str(error)
    assert error.retryable == (kind in ("rate_limited", "transient"))


async def test_group_migrated_to_supergroup_is_a_bad_request_naming_the_new_id(api, adapter):
    api.fail(
        "sendMessage",
        description="Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1009999},
    )
    error = await _error_of(adapter.send_message("-42", "x"))
    assert error.kind == "bad_request"
    assert "-1009999" in str(error)


async def test_every_action_maps_errors(api, adapter):
    for method in (
        "sendMessage",
        "deleteMessage",
        "restrictChatMember",
        "banChatMember",
        "unbanChatMember",
        "setChatPermissions",
        "getChatAdministrators",
        "answerCallbackQuery",
    ):
        api.fail(method, status=400, description="Bad Request: not enough rights")
    calls = [
        adapter.send_message(CHAT_ID, "x"),
        adapter.delete_message(CHAT_ID, "1"),
        adapter.mute(CHAT_ID, "2", None),
        adapter.unmute(CHAT_ID, "2"),
        adapter.remove(CHAT_ID, "2"),
        adapter.unban(CHAT_ID, "2"),
        adapter.set_quiet(CHAT_ID, True),
        adapter.get_admins(CHAT_ID),
        adapter.answer_button("cq", "x"),
    ]
    api.fail("restrictChatMember", status=400, description="Bad Request: not enough rights")
    api.fail("banChatMember", status=400, description="Bad Request: not enough rights")
    for call in calls:
        assert (await _error_of(call)).kind == "forbidden"


async def test_polling_survives_server_errors(api, adapter, recorder):
    api.fail("getUpdates", times=2, status=502, description="Bad Gateway")
    await api.post(group(int(CHAT_ID)), user(1002002, "李四-办公室"), "still here")
    (event,) = await recorder.wait(1, within=10)
    assert event.text == "still here"


async def test_a_second_poller_on_the_token_is_named_and_polling_resumes_when_it_stops(
    api, adapter, recorder, caplog
):
    # Telegram answers 409 while another process long-polls with the same token.
    api.fail(
        "getUpdates",
        times=2,
        status=409,
        description="Conflict: terminated by other getUpdates request; make sure that only "
        "one bot instance is running",
    )
    await api.post(group(int(CHAT_ID)), user(1002003, "王五-办公室"), "after the conflict")
    (event,) = await recorder.wait(1, within=15)
    assert event.text == "after the conflict"
    named = [
        r.getMessage() for r in caplog.records if "another process is polling" in r.getMessage()
    ]
    assert len(named) == 1  # said once, not on every retry
    assert "webhook mode" in named[0]
    assert adapter.poll_conflict is False  # cleared by the next successful fetch
