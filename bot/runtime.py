"""Building the application from settings: storage, the detector, and the platform adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from adapters.base import Adapter
from bot.app import Application
from bot.clock import Clock
from bot.config import Settings
from rules.detection.detector import Detector
from storage.store import Store

log = logging.getLogger(__name__)


def load_detector(settings: Settings) -> Detector:
    return Detector.load(settings.lexicon_dirs, include_builtin=settings.builtin_lexicons)


def platform_adapters(settings: Settings) -> dict[str, Adapter]:
    """Telegram when its token is set, WeChat when its endpoint and token are; else nothing
    (the caller then runs the console)."""
    adapters: dict[str, Adapter] = {}
    token = settings.telegram.token()
    if token:
        from adapters.telegram import TelegramAdapter

        adapters["telegram"] = TelegramAdapter.from_settings(settings.telegram, token)
    if settings.wechat.endpoint and settings.wechat.token():
        from adapters.wechat import WeChatAdapter  # optional extra: pip install -e .[wechat]

        adapters["wechat"] = WeChatAdapter.from_settings(settings.wechat)
    return adapters


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
    app = Application(settings, store, adapters, detector or load_detector(settings), clock)
    return Runtime(app, store)
