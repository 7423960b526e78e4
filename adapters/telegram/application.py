"""Build the python-telegram-bot Application from our settings."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from adapters.telegram.settings import TelegramSettings


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
    if settings.mode == "webhook":
        builder = builder.updater(None)  # our aiohttp server feeds the update queue instead
    return builder.build()
