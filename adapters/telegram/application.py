"""Build the python-telegram-bot Application from our settings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from adapters.telegram.settings import TelegramSettings

# Bot API methods that send a message: the only calls Telegram's flood limits (30 messages a
# second overall, 20 a minute per group) count. Deletes, bans and restrictions are not sent
# messages; holding them behind the per-group budget stalled moderation during a spam wave.
_SENDING = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def is_sending(endpoint: str) -> bool:
    return endpoint.startswith("send") or endpoint in _SENDING


class SendRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` for sent messages only; every other call goes straight out."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if not is_sending(endpoint):
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


class HandledRateLimit(logging.Filter):
    """With max_retries=0 PTB logs every 429 as an ERROR with a traceback before raising it,
    though the executor handles it (waits as told, retries, logs one line): drop that record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of 0 retries")


def quiet_handled_rate_limits() -> None:
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, HandledRateLimit) for f in limiter_log.filters):
        limiter_log.addFilter(HandledRateLimit())


def build_application(settings: TelegramSettings) -> Application:
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        # Updates do not go through PTB's update queue: the adapter records each in the inbox
        # before acknowledging it and handles it from there (adapters/telegram/adapter.py), so
        # PTB's Updater, which acknowledges before handling, is not used.
        .updater(None)
    )
    if settings.proxy:
        builder = builder.proxy(settings.proxy).get_updates_proxy(settings.proxy)
    if settings.rate_limit:
        # max_retries=0: a RetryAfter reaches the executor, which owns retries and records them.
        builder = builder.rate_limiter(SendRateLimiter(max_retries=0))
        quiet_handled_rate_limits()
    return builder.build()
