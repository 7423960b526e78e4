"""Issue 14: a 429 the executor handles logs one line and no traceback; telegram.proxy
reaches the HTTP client."""

from __future__ import annotations

import logging

import pytest
from telegram_harness import settings_for

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.application import build_application
from bot.platform_calls import call_with_retry

CHAT_ID = "-1001234567890"


async def _no_sleep(_: float) -> None:
    return None


async def test_a_handled_429_logs_one_line_without_a_traceback(
    api, recorder, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = TelegramAdapter(settings_for(api, rate_limit=True))
    await adapter.start(recorder)
    try:
        api.rate_limit("deleteMessage", retry_after=1)
        with caplog.at_level(logging.INFO):
            await call_with_retry(lambda: adapter.delete_message(CHAT_ID, "1"), sleep=_no_sleep)
    finally:
        await adapter.stop()
    assert len(api.calls_to("deleteMessage")) == 2  # refused once, then done
    about = [r for r in caplog.records if "rate" in r.getMessage().lower()]
    assert len(about) == 1, [r.getMessage() for r in about]
    assert about[0].levelno == logging.WARNING and about[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_proxy_setting_reaches_the_http_client(api) -> None:
    application = build_application(settings_for(api, proxy="http://127.0.0.1:7890"))
    request = application.bot.request
    assert request._client_kwargs["proxy"] == "http://127.0.0.1:7890"  # PTB keeps it there
