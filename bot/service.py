"""Running against real platforms until interrupted."""

from __future__ import annotations

import asyncio
import signal

from adapters.base import Adapter
from bot.config import Settings
from bot.runtime import build
from bot.scheduler import Scheduler


async def serve(
    settings: Settings, adapters: dict[str, Adapter], stop: asyncio.Event | None = None
) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set, for tests)."""
    runtime = await build(settings, adapters)
    scheduler = Scheduler(runtime.app, settings.timer_poll.total_seconds())
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    await runtime.app.start()
    ticking = asyncio.create_task(scheduler.run())
    try:
        await stop.wait()
    finally:
        ticking.cancel()
        await runtime.app.stop()
        await runtime.close()
