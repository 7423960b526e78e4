"""``/metrics``, ``/healthz`` and ``/readyz`` on a small aiohttp server in the bot's event loop.

A server of its own rather than routes on Telegram's webhook server: that one exists only in
webhook mode, faces Telegram (often through a public proxy), and the other platforms have none.
Running in the same loop as the bot is the point of ``/healthz``: if it answers, the loop is
not blocked.

``/readyz`` answers 200 only when the application has started, the database answers a
trivial query within ``ready_timeout`` and every adapter that can say so is connected;
otherwise 503 with a one-line reason, so an orchestrator stops sending work to an instance
whose database is gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import ObservabilitySettings
from bot.metrics import CONTENT_TYPE
from storage.probes import Probes
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


class ObservabilityStartError(RuntimeError):
    """The server could not listen (the port is taken): one line for the person starting."""


class Health:
    """What the endpoints ask the application: readiness, and the gauges read at scrape."""

    def __init__(self, app: Application, timeout: float) -> None:
        self._app = app
        self._timeout = timeout

    async def not_ready(self) -> str | None:
        """None when ready, else the reason (one line, in the configured language)."""
        app = self._app
        t = app.catalogue.t
        if not app.running:
            return t("observability.not_running")
        try:
            await asyncio.wait_for(app.store.read(lambda r: Probes(r.c).ping()), self._timeout)
        except TimeoutError:
            return t("observability.database_slow", seconds=f"{self._timeout:g}")
        except Exception as exc:
            # The store retries a database that is away; whatever ends that is the reason.
            return t("observability.database_down", reason=_one_line(exc))
        for name, adapter in app.adapters.items():
            if not getattr(adapter, "ready", True):
                return t("observability.adapter_down", platform=name)
        return None

    async def sample(self) -> None:
        """Set the scrape-time gauges. The database counts are skipped (left as they were)
        when the database does not answer in time: a scrape must not hang on it."""
        app = self._app
        inbox: dict[str, int] | None = None
        overdue: int | None = None
        now = app.clock.now()

        async def counts(repo: Repository) -> tuple[dict[str, int], int]:
            probes = Probes(repo.c)
            return await probes.inbox_pending(), await probes.timers_overdue(now)

        try:
            inbox, overdue = await asyncio.wait_for(app.store.read(counts), self._timeout)
        except Exception:
            log.debug("metrics: database counts unavailable", exc_info=True)
        app.metrics.sample(
            lanes={
                name: adapter.queued  # type: ignore[attr-defined]
                for name, adapter in app.adapters.items()
                if hasattr(adapter, "queued")
            },
            hot_path_pending=app.hot.pending,
            inbox_pending=inbox,
            timers_overdue=overdue,
        )


class ObservabilityServer:
    def __init__(self, settings: ObservabilitySettings, app: Application) -> None:
        self._settings = settings
        self._app = app
        self._health = Health(app, settings.ready_timeout.total_seconds())
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int | None:
        """The bound port (the configured one, or the one chosen for port 0)."""
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            return int(address[1])
        return None

    async def start(self) -> None:
        server = web.Application()
        server.router.add_get("/metrics", self._metrics)
        server.router.add_get("/healthz", self._healthz)
        server.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        host, port = self._settings.host, self._settings.port or 0
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self.stop()
            raise ObservabilityStartError(
                self._app.catalogue.t(
                    "observability.listen_failed", host=host, port=port, reason=_one_line(exc)
                )
            ) from exc
        log.info("observability: listening on %s:%s", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        await self._health.sample()
        # Readiness as a gauge too, so an alert can fire on it without a second probe.
        self._app.metrics.ready.set(0 if await self._health.not_ready() else 1)
        return web.Response(
            body=self._app.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE}
        )

    async def _healthz(self, request: web.Request) -> web.Response:
        # Answering at all proves the event loop is not blocked; nothing else is asked.
        return web.Response(text=self._app.catalogue.t("observability.alive") + "\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        reason = await self._health.not_ready()
        self._app.metrics.ready.set(0 if reason else 1)
        if reason is not None:
            return web.Response(status=503, text=reason + "\n")
        return web.Response(text=self._app.catalogue.t("observability.ready") + "\n")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


__all__ = ["Health", "ObservabilityServer", "ObservabilityStartError"]
