"""Webhook mode: a small aiohttp server that hands Telegram's POSTs to the adapter.

PTB's own ``start_webhook`` needs tornado (the ``webhooks`` extra) and answers before the
update is handled; aiohttp is already a dependency. Telegram forgets an update once its POST
is answered 200, so the answer waits until the adapter has recorded the update in the inbox
(``receive``); when it cannot, the answer is 500 and Telegram delivers it again.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        receive: Callable[[Sequence[dict[str, Any]]], Awaitable[None]],
        *,
        listen: str,
        port: int,
        path: str,
        secret: str | None,
    ) -> None:
        self._receive_updates = receive
        self._listen = listen
        self._port = port
        self._path = path if path.startswith("/") else f"/{path}"
        self._secret = secret
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0 in tests)."""
        if self._runner is None:
            return self._port
        for site in self._runner.sites:
            server = getattr(site, "_server", None)
            if server is not None and server.sockets:
                return int(server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        if self._secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given, self._secret):
                return web.Response(status=403)
        try:
            update = await request.json()
        except Exception:  # a malformed body must not take the server down
            log.warning("webhook: unreadable update", exc_info=True)
            return web.Response(status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400)
        try:
            await self._receive_updates([update])
        except Exception:
            log.exception("webhook: could not record update %s; Telegram resends it", update)
            return web.Response(status=500)
        return web.Response()
