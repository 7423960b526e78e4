"""The two OneBot v11 WebSocket transports over aiohttp, each yielding :class:`Link`\\ s.

- forward: we connect to the implementation's server (``Authorization: Bearer <token>``);
- reverse: the implementation connects to our server, naming its role in ``X-Client-Role``
  (``Universal``, or one ``API`` and one ``Event`` connection) and its account in
  ``X-Self-ID``; we check its token the same way.

A refused token is told apart from an unreachable server, because one must stop start-up
with a clear line and the other is retried.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

# Group member lists and forwarded histories can be large; the default 4 MB is too small.
MAX_FRAME = 64 * 1024 * 1024


class AuthRefused(Exception):
    """The other side refused our access token (or we refused theirs)."""


class Unreachable(Exception):
    """The implementation could not be reached (connection refused, DNS, handshake error)."""


@dataclass(slots=True)
class Link:
    """One open WebSocket, either side; ``role`` says whether it carries calls, events or both."""

    ws: Any  # aiohttp ClientWebSocketResponse or web.WebSocketResponse: the same methods
    role: str = "Universal"
    self_id: str | None = None
    peer: str = ""
    session: aiohttp.ClientSession | None = field(default=None, repr=False)

    @property
    def carries_calls(self) -> bool:
        return self.role.lower() in ("universal", "api")

    @property
    def closed(self) -> bool:
        return bool(self.ws.closed)

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def close(self) -> None:
        try:
            await self.ws.close()
        finally:
            if self.session is not None:
                await self.session.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def connect_forward(url: str, token: str, handshake_limit: float) -> Link:
    """Open a forward connection; raises AuthRefused or Unreachable."""
    session = aiohttp.ClientSession()
    try:
        async with asyncio.timeout(handshake_limit):
            ws = await session.ws_connect(
                url,
                headers=bearer(token),
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                max_msg_size=MAX_FRAME,
                autoping=True,
                # Our own watchdog (client.py) decides when silence means a dead link.
                heartbeat=None,
            )
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        if exc.status in (401, 403):
            raise AuthRefused(f"HTTP {exc.status}") from None
        raise Unreachable(f"handshake failed: HTTP {exc.status}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        await session.close()
        raise Unreachable(str(exc) or type(exc).__name__) from None
    return Link(ws, "Universal", None, url, session)


def offered_token(request: web.Request) -> str:
    """The token a connecting implementation offers: ``Authorization: Bearer|Token <t>`` or
    the ``access_token`` query parameter (some implementations cannot set headers)."""
    header = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "Token "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip()
    return request.query.get("access_token", "")


class ReverseServer:
    """Our WebSocket server for reverse connections; each accepted link is handed to
    ``serve_link``, which returns when the link closes."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        token: str,
        token_env: str,
        serve_link: Callable[[Link], Awaitable[None]],
    ) -> None:
        self._host, self._port, self._path = host, port, path
        self._token = token
        self._token_env = token_env
        self._serve_link = serve_link
        self._runner: web.AppRunner | None = None
        # Implementations retry every few seconds: a wrong token is one line per peer until
        # that peer connects correctly, not a line per retry.
        self._refused_peers: set[str] = set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(self._path, self._accept)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        peer = request.remote or "?"
        offered = offered_token(request)
        if not hmac.compare_digest(offered.encode(), self._token.encode()):
            if peer not in self._refused_peers:
                self._refused_peers.add(peer)
                log.error(
                    "qq: refused a OneBot connection from %s: %s access token; it must equal %s",
                    peer,
                    "wrong" if offered else "no",
                    self._token_env,
                )
            status = 403 if offered else 401
            return web.Response(status=status, text="access token refused")
        self._refused_peers.discard(peer)
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
        await ws.prepare(request)
        role = request.headers.get("X-Client-Role", "Universal") or "Universal"
        self_id = request.headers.get("X-Self-ID") or None
        await self._serve_link(Link(ws, role, self_id, peer))
        return ws
