"""Test helpers shared by the Telegram tests and the benchmark (a plain module, unlike
``conftest.py``, so it can be imported by name)."""

from __future__ import annotations

import asyncio

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


class HandledRecorder:
    """An application listener: counts events the whole application has finished handling."""

    def __init__(self) -> None:
        self.handled: list[object] = []
        self._changed = asyncio.Event()

    def __call__(self, handled: object) -> None:
        self.handled.append(handled)
        self._changed.set()

    async def wait(self, count: int, within: float = 10.0) -> list[object]:
        async def enough() -> None:
            while len(self.handled) < count:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            raise AssertionError(f"{len(self.handled)}/{count} events handled") from None
        return self.handled
