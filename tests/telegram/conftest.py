"""Shared fixtures: a fake Bot API server and a TelegramAdapter polling it over real HTTP.

This directory deliberately has no ``__init__.py``: a package named ``telegram`` under
``tests`` could shadow python-telegram-bot itself on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from event_support import EventRecorder
from fake_bot_api import FakeBotApi
from telegram_harness import settings_for

from adapters.telegram import TelegramAdapter


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest_asyncio.fixture
async def recorder() -> EventRecorder:
    return EventRecorder()


@pytest_asyncio.fixture
async def adapter(api: FakeBotApi, recorder: EventRecorder) -> AsyncIterator[TelegramAdapter]:
    telegram_adapter = TelegramAdapter(settings_for(api))
    await telegram_adapter.start(recorder)
    try:
        yield telegram_adapter
    finally:
        await telegram_adapter.stop()
