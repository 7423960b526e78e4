"""Connecting the python client to a puppet service, with a bounded start-up.

The client's own ``Wechaty.start()`` hangs on a wrong token, sleeps a minute and retries on a
network error, and stops the whole event loop on a puppet error; so we drive
``PuppetService`` directly and own the timing. Its ``start()`` asks the service to stop, then
start (clearing an event stream a previous run left behind), then reads the event stream until
it closes. With a 1.x service that stop logs the account out; a real puppet logs back in from
its saved session and the test service logs its mock user back in, so we wait for the login
that follows rather than for the first event (the "re-login" workaround).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from grpclib.const import Status
from grpclib.exceptions import GRPCError

from adapters.wechat.settings import WeChatSettings

log = logging.getLogger(__name__)

# Events the adapter consumes; the others (dong, heartbeat, friendship, ready) are ignored.
EVENTS = ("message", "room-join", "room-leave", "room-topic")

PuppetFactory = Callable[[Any], Any]  # PuppetOptions -> PuppetService


class WeChatStartError(RuntimeError):
    """Start-up could not reach a logged-in puppet service; the message says what to check."""


def default_puppet_factory(options: Any) -> Any:
    from wechaty_puppet_service import PuppetService

    return PuppetService(options)


def split_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class ServiceConnection:
    """One puppet-service session: start, route raw events to ``on_event``, stop."""

    def __init__(
        self,
        settings: WeChatSettings,
        on_event: Callable[[str, Any], None],
        puppet_factory: PuppetFactory | None = None,
    ) -> None:
        self._settings = settings
        self._on_event = on_event
        self._factory = puppet_factory or default_puppet_factory
        self.puppet: Any = None
        self.self_id: str | None = None
        self._logged_in = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._saw_scan = False

    @property
    def stub(self) -> Any:
        return self.puppet.puppet_stub

    async def open(self) -> str:
        """Start and wait for login; returns the bot's own contact id or raises WeChatStartError."""
        from wechaty_puppet import PuppetOptions

        settings = self._settings
        await self._check_reachable()
        options = PuppetOptions()
        options.end_point = settings.endpoint
        options.token = settings.token
        self.puppet = self._factory(options)
        self._listen(self.puppet)
        self._runner = asyncio.create_task(self._run(), name="wechat-event-stream")
        login = asyncio.create_task(self._logged_in.wait())
        try:
            done, _ = await asyncio.wait(
                {login, self._runner},
                timeout=settings.start_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            login.cancel()
        if self._runner in done:
            raise self._start_failure(self._runner.exception())
        if login not in done:
            await self.close()
            hint = (
                "the service is waiting for a QR-code scan"
                if self._saw_scan
                else "check the token (the client waits forever on a wrong one) and that the "
                "service's account is logged in"
            )
            raise WeChatStartError(
                f"wechat: no login from the puppet service at {settings.endpoint} within "
                f"{settings.start_timeout:.0f}s: {hint}"
            )
        assert self.self_id is not None
        return self.self_id

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            self._runner = None
        if self.puppet is not None and self.puppet.channel is not None:
            # Not ``puppet.stop()``: that asks the service to stop and logs the account out.
            self.puppet.channel.close()
            self.puppet.channel = None

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def _check_reachable(self) -> None:
        # The client's own check is a blocking telnet with a 3 s timeout on the event loop.
        host, port = split_endpoint(self._settings.endpoint)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), min(5.0, self._settings.start_timeout)
            )
        except (OSError, TimeoutError) as exc:
            raise WeChatStartError(
                f"wechat: cannot reach the puppet service at {self._settings.endpoint} ({exc}); "
                "is it running, and is the endpoint host:port right?"
            ) from exc
        writer.close()

    async def _run(self) -> None:
        await self.puppet.start()  # returns when the service closes the event stream
        log.warning("wechat: the puppet service closed the event stream")

    def _start_failure(self, exc: BaseException | None) -> WeChatStartError:
        endpoint = self._settings.endpoint
        if isinstance(exc, GRPCError) and exc.status == Status.UNAUTHENTICATED:
            return WeChatStartError(
                f"wechat: the puppet service at {endpoint} refused the token ({exc.message})"
            )
        if exc is None:
            return WeChatStartError(f"wechat: the puppet service at {endpoint} closed at once")
        return WeChatStartError(f"wechat: starting the puppet service client failed: {exc!r}")

    def _listen(self, puppet: Any) -> None:
        # Plain (non-async) listeners: pyee calls them in stream order, so the adapter's
        # pipeline sees events in the order the service sent them.
        for name in EVENTS:
            puppet.on(name, lambda payload, _name=name: self._on_event(_name, payload))
        puppet.on("login", self._on_login)
        puppet.on("logout", self._on_logout)
        puppet.on("scan", self._on_scan)
        puppet.on("error", self._on_error)

    def _on_login(self, payload: Any) -> None:
        self.self_id = payload.contact_id
        log.info("wechat: logged in as %s", self.self_id)
        self._logged_in.set()

    def _on_logout(self, payload: Any) -> None:
        log.warning(
            "wechat: logged out (%s); waiting for the service to log in again",
            getattr(payload, "data", ""),
        )
        self._logged_in.clear()

    def _on_scan(self, payload: Any) -> None:
        self._saw_scan = True
        log.warning(
            "wechat: the puppet service asks for a QR-code scan (status %s)",
            getattr(payload, "status", "?"),
        )

    def _on_error(self, payload: Any) -> None:
        log.error("wechat: puppet service error: %s", payload)
