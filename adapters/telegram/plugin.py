"""Telegram's registration with the core: the ``telegram:`` config section and its factory."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from bot.ports import Adapter, Platform, PlatformConfigError, SectionModel


class TelegramSection(SectionModel):
    """The ``telegram:`` section of the config file. Telegram is used when the variable named
    by ``token_env`` is set."""

    token_env: str = "TELEGRAM_BOT_TOKEN"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    # Telegram is not reachable from mainland China directly: an HTTP(S) proxy such as
    # http://127.0.0.1:7890 (or a self-hosted Bot API server in base_url). See docs/deploy.md.
    proxy: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    # Loopback by default: production puts a reverse proxy (TLS) in front.
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = "/telegram"
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"
    rate_limit: bool = True  # AIORateLimiter with Telegram's limits; off only in tests

    def token(self) -> str | None:
        return os.environ.get(self.token_env) or None


def build(section: TelegramSection) -> Adapter | None:
    token = section.token()
    if not token:
        return None
    from adapters.telegram.adapter import TelegramAdapter
    from adapters.telegram.settings import SettingsError

    try:
        return TelegramAdapter.from_settings(section, token)
    except SettingsError as exc:
        raise PlatformConfigError(str(exc)) from None


PLATFORM = Platform("telegram", TelegramSection, build)
