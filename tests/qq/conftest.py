"""Shared fixtures: a fake OneBot v11 implementation and the application on a QQ adapter.

No ``__init__.py`` here, as in the other adapter test folders: modules are imported by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from fake_onebot import FakeOneBot
from qq_harness import Bot, populate, start_bot

from bot.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest_asyncio.fixture(params=["forward", "reverse"])
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeOneBot]:
    async with FakeOneBot(transport=request.param) as server:
        populate(server)
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeOneBot, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Bot]:
    running = await start_bot(fake, tmp_path / "gg.db", clock)
    try:
        yield running
    finally:
        await running.stop()
