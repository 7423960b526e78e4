"""Building the application from settings: storage, the detector, and the platform adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.app import Application
from bot.clock import Clock
from bot.config import Settings
from bot.instances import instance_id
from bot.metrics import Metrics
from bot.platforms import build_adapters, discover
from bot.ports import Adapter
from rules.detection.detector import Detector
from storage.store import Store

log = logging.getLogger(__name__)


def load_detector(settings: Settings) -> Detector:
    return Detector.load(
        settings.lexicon_dirs,
        include_builtin=settings.builtin_lexicons,
        **settings.detection.options(),
    )


def platform_adapters(settings: Settings) -> dict[str, Adapter]:
    """The adapters of every registered platform whose section asks for it (Telegram: its
    token variable is set; WeChat: its endpoint); empty means the caller runs the console.
    Raises PlatformConfigError when a platform is asked for but cannot be used."""
    return build_adapters(discover(), settings.platforms)


@dataclass
class Runtime:
    app: Application
    store: Store

    async def close(self) -> None:
        await self.store.close()


async def build(
    settings: Settings,
    adapters: dict[str, Adapter],
    clock: Clock | None = None,
    detector: Detector | None = None,
) -> Runtime:
    store = await Store.open(
        settings.database.resolved_url(), retry_for=settings.database.retry_for.total_seconds()
    )
    ident = instance_id(settings.instance.id)
    app = Application(
        settings,
        store,
        adapters,
        detector or load_detector(settings),
        clock,
        metrics=Metrics(ident),
        instance=ident,
    )
    return Runtime(app, store)
