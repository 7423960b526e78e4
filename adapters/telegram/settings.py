"""Settings the Telegram adapter needs, independent of how the bot's config file spells them.

The ``telegram:`` section (``adapters/telegram/plugin.py``) is read by
``telegram:`` section by attribute name, so the adapter does not import the config model and
can be built directly in tests and benchmarks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"


class SettingsError(ValueError):
    """The Telegram section cannot be used (e.g. the token variable is unset)."""


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str
    # A self-hosted telegram-bot-api server (or the tests' fake one) is reached by changing these.
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    proxy: str | None = None  # an HTTP(S) proxy for every Bot API call (mainland China)
    mode: Literal["polling", "webhook"] = "polling"
    # Telegram's own limits (30 msg/s, 20/min per group); off only in tests and benchmarks.
    rate_limit: bool = True
    # Long-poll: seconds the server may hold getUpdates open, and the pause between polls.
    poll_timeout: float = 10.0
    poll_interval: float = 0.0
    # Webhook mode: Telegram posts to ``webhook_url``; we listen on listen:port/path.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_secret: str | None = None
    # Updates are handled one after another by default: a join must be seen before the same
    # member's first message, and the rule engine relies on that order.
    concurrent_updates: bool = False
    # Drop the backlog on start? No: a moderation bot must still judge what was posted while down.
    drop_pending_updates: bool = False

    def __post_init__(self) -> None:
        if not self.token:
            raise SettingsError("telegram: the bot token is empty")
        if self.mode not in ("polling", "webhook"):
            raise SettingsError(f"telegram.mode must be polling or webhook, not {self.mode!r}")
        if self.mode == "webhook" and not self.webhook_url:
            raise SettingsError("telegram.webhook_url is required when telegram.mode is webhook")

    @classmethod
    def from_config(
        cls, section: Any, env: Mapping[str, str] | None = None, *, token: str | None = None
    ) -> TelegramSettings:
        """Build from the config model's ``telegram`` section (any object with attributes).

        The token is read from the environment variable the section names in ``token_env``
        (secrets never live in the YAML) unless given; the webhook secret likewise from
        ``webhook_secret_env``.
        """
        env = os.environ if env is None else env
        token_env = getattr(section, "token_env", None) or "TELEGRAM_BOT_TOKEN"
        token = token or env.get(token_env, "")
        if not token:
            raise SettingsError(f"telegram: environment variable {token_env} is not set")
        secret_env = getattr(section, "webhook_secret_env", None)
        values: dict[str, Any] = {"token": token}
        if secret_env and env.get(secret_env):
            values["webhook_secret"] = env[secret_env]
        for name in (
            "base_url",
            "base_file_url",
            "proxy",
            "mode",
            "rate_limit",
            "poll_timeout",
            "poll_interval",
            "webhook_url",
            "webhook_listen",
            "webhook_port",
            "webhook_path",
            "concurrent_updates",
            "drop_pending_updates",
        ):
            value = getattr(section, name, None)
            if value is not None:
                values[name] = value
        return cls(**values)
