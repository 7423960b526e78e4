"""Running against real platforms until interrupted."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import Application
from bot.config import Settings
from bot.observability import ObservabilityServer
from bot.ports import Adapter
from bot.runtime import build
from bot.web.serving import beside_the_bot

log = logging.getLogger(__name__)


def _reload(app: Application) -> None:
    try:
        terms = app.reload_lexicons()
    except Exception:  # a broken lexicon file must not stop a running bot
        log.exception("lexicon reload failed; keeping the lexicons already loaded")
        return
    log.warning("lexicons reloaded: %d terms", terms)


async def serve(
    settings: Settings, adapters: dict[str, Adapter], stop: asyncio.Event | None = None
) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set, for tests)."""
    runtime = await build(settings, adapters)
    scheduler = runtime.app.scheduler()
    # Up before the adapters start: /healthz answers and /readyz says "not started" meanwhile.
    observability = (
        ObservabilityServer(settings.observability, runtime.app)
        if settings.observability.port is not None
        else None
    )
    if observability is not None:
        try:
            await observability.start()
        except BaseException:
            await runtime.close()
            raise
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # SIGHUP reloads the lexicons (config lexicon_dirs) without a restart.
        loop.add_signal_handler(signal.SIGHUP, _reload, runtime.app)
    try:
        await runtime.app.start()
    except BaseException:
        await runtime.app.stop()
        if observability is not None:
            await observability.stop()
        await runtime.close()
        raise
    unstaffed = settings.unstaffed_tiers()
    if unstaffed:
        log.warning(
            runtime.app.catalogue.t("words.tier_unstaffed", tiers=", ".join(map(str, unstaffed)))
        )
    ticking = asyncio.create_task(scheduler.run())
    try:
        async with beside_the_bot(runtime.app, log.warning):
            await stop.wait()
    finally:
        ticking.cancel()
        await runtime.app.stop()
        if observability is not None:
            await observability.stop()
        await runtime.close()
