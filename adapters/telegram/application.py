"""Build the python-telegram-bot Application from our settings."""

from __future__ import annotations

import logging

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from adapters.telegram.settings import TelegramSettings


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
        .concurrent_updates(settings.concurrent_updates)
    )
    if settings.proxy:
        builder = builder.proxy(settings.proxy).get_updates_proxy(settings.proxy)
    if settings.rate_limit:
        # max_retries=0: a RetryAfter reaches the executor, which owns retries and records them.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))
        quiet_handled_rate_limits()
    if settings.mode == "webhook":
        builder = builder.updater(None)  # our aiohttp server feeds the update queue instead
    return builder.build()
