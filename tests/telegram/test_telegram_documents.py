"""Supervision reports reach Telegram as documents (``send_document``)."""

from __future__ import annotations

from fake_bot_api import group, message

from bot.supervision.delivery import DocumentSender

CHAT_ID = "-1001234567890"


async def test_a_report_file_is_sent_as_a_document(api, adapter):  # type: ignore[no-untyped-def]
    assert isinstance(adapter, DocumentSender)
    api.on("sendDocument", lambda params: message(group(int(CHAT_ID)), api.bot, 901))
    message_id = await adapter.send_document(
        CHAT_ID, "groupguard-report-2026-11.xlsx", b"PK\x03\x04 workbook", "工作群组管理情况报告"
    )
    (call,) = api.calls_to("sendDocument")
    assert message_id == "901"
    assert call.params["chat_id"] == CHAT_ID and call.params["caption"] == "工作群组管理情况报告"
