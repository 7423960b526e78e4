"""Test helpers shared by the Telegram tests and the benchmark (a plain module, unlike
``conftest.py``, so it can be imported by name)."""

from __future__ import annotations

from fake_bot_api import FakeBotApi

from adapters.telegram import TelegramSettings


def settings_for(api: FakeBotApi, **overrides: object) -> TelegramSettings:
    values: dict[str, object] = {
        "token": api.token,
        "base_url": api.base_url,
        "base_file_url": api.base_file_url,
        "rate_limit": False,  # Telegram's limits would only slow the tests down
        "poll_timeout": 1.0,
        "poll_interval": 0.0,
    }
    values.update(overrides)
    return TelegramSettings(**values)  # type: ignore[arg-type]
