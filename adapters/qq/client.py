"""An async OneBot v11 client: calls correlated by ``echo``, bounded by a timeout, over
whichever transport is configured; a watchdog that notices a silent link; reconnection with
back-off (forward) or acceptance of the implementation's reconnection (reverse).

Events are handed to ``on_event`` synchronously from the read loop, which must never wait
on the bot's handling: a handler that makes a call needs this loop to read the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from adapters.qq import errors
from adapters.qq.convert import ident
from adapters.qq.settings import QQSettings
from adapters.qq.transport import AuthRefused, Link, ReverseServer, Unreachable, connect_forward
from bot.ports import PlatformConfigError, PlatformError

log = logging.getLogger(__name__)

Frame = dict[str, Any]
# Before the first heartbeat tells us the interval, silence this long gets a probe.
DEFAULT_SILENCE = 60.0


class QQStartError(PlatformConfigError):
    """Start-up could not reach a OneBot implementation that accepts our token."""


class OneBotClient:
    def __init__(self, settings: QQSettings, on_event: Callable[[Frame], None]) -> None:
        self._settings = settings
        self._on_event = on_event
        self._pending: dict[str, tuple[asyncio.Future[Frame], Link]] = {}
        self._echo = itertools.count(1)
        self._links: list[Link] = []
        self._api_ready = asyncio.Event()
        self._first_ready = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._server: ReverseServer | None = None
        self._heartbeat_interval: float | None = None
        self._fatal: str | None = None
        self._last_error = ""
        self._ever_ready = False
        self.self_id: str | None = None
        self.connections = 0  # links opened so far (a reconnect adds one)

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        s = self._settings
        if s.transport == "reverse":
            self._server = ReverseServer(
                s.listen_host, s.listen_port, s.path, s.token, s.token_env, self._serve_reverse
            )
            try:
                await self._server.start()
            except OSError as exc:
                raise QQStartError(
                    f"qq: cannot listen on {s.listen_host}:{s.listen_port} for the OneBot "
                    f"reverse WebSocket: {exc.strerror or exc}"
                ) from None
            return
        self._task = asyncio.create_task(self._supervise(), name="qq-onebot-forward")
        try:
            await asyncio.wait_for(self._first_ready.wait(), s.start_timeout)
        except TimeoutError:
            await self.stop()
            last = f" (last error: {self._last_error})" if self._last_error else ""
            raise QQStartError(
                f"qq: no OneBot implementation answered at {s.url} within "
                f"{s.start_timeout:g}s{last}"
            ) from None
        if self._fatal is not None:
            await self.stop()
            raise QQStartError(self._fatal)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for link in list(self._links):
            await link.close()
        if self._server is not None:
            await self._server.stop()
            self._server = None
        self._fail_pending(None, "the bot is stopping")

    @property
    def connected(self) -> bool:
        return self._api_ready.is_set()

    async def wait_connected(self, within: float) -> bool:
        try:
            await asyncio.wait_for(self._api_ready.wait(), within)
        except TimeoutError:
            return False
        return True

    # -- calls --------------------------------------------------------------------------

    async def call(self, action: str, **params: Any) -> Any:
        """Call an action; its ``data`` on success, else ``PlatformError``. While reconnecting
        the call waits (within the timeout) rather than failing at once."""
        loop = asyncio.get_running_loop()
        timeout = self._settings.call_timeout
        deadline = loop.time() + timeout
        if not await self.wait_connected(timeout):
            raise errors.disconnected(action, "not connected to the OneBot implementation")
        link = self._api_link()
        if link is None:
            raise errors.disconnected(action, "not connected to the OneBot implementation")
        echo = f"gg{next(self._echo)}"
        future: asyncio.Future[Frame] = loop.create_future()
        self._pending[echo] = (future, link)
        body = json.dumps({"action": action, "params": params, "echo": echo}, ensure_ascii=False)
        try:
            await link.send(body)
            answer = await asyncio.wait_for(future, max(deadline - loop.time(), 0.01))
        except TimeoutError:
            raise PlatformError(
                "transient", f"qq {action}: no answer within {timeout:g}s"
            ) from None
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            raise errors.disconnected(action, f"connection lost ({exc})") from None
        finally:
            self._pending.pop(echo, None)
        status = answer.get("status")
        if status in ("ok", "async") or (status is None and answer.get("retcode") == 0):
            return answer.get("data")
        raise errors.from_answer(action, answer)

    def _api_link(self) -> Link | None:
        for link in reversed(self._links):  # the newest first: an old one may be half-dead
            if link.carries_calls and not link.closed:
                return link
        return None

    def _fail_pending(self, link: Link | None, why: str) -> None:
        for echo, (future, sent_on) in list(self._pending.items()):
            if link is None or sent_on is link:
                self._pending.pop(echo, None)
                if not future.done():
                    future.set_exception(errors.disconnected("call", why))

    # -- forward transport --------------------------------------------------------------

    async def _supervise(self) -> None:
        s = self._settings
        delay = s.reconnect_initial
        outage_told = False
        while not self._stopping:
            link: Link | None = None
            try:
                link = await connect_forward(s.url, s.token, s.call_timeout)
            except AuthRefused as exc:
                self._token_refused(str(exc))
            except Unreachable as exc:
                self._last_error = str(exc)
                if not outage_told:
                    log.warning("qq: cannot reach the OneBot implementation at %s: %s", s.url, exc)
                    outage_told = True
            if link is None:
                if self._fatal is not None and not self._ever_ready:
                    self._first_ready.set()  # start() reads the fatal error and says it
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, s.reconnect_max)
                continue
            if outage_told or self.connections:
                log.warning("qq: connected to the OneBot implementation at %s", s.url)
            delay, outage_told = s.reconnect_initial, False
            reason = await self._serve(link)
            if self._stopping:
                return
            if self._fatal is not None and not self._ever_ready:
                self._first_ready.set()
                return
            log.warning("qq: connection to %s lost (%s); reconnecting", s.url, reason)
            outage_told = True

    def _token_refused(self, how: str) -> None:
        s = self._settings
        where = s.url if s.transport == "forward" else "the OneBot implementation"
        message = (
            f"qq: {where} refused the access token in {s.token_env} ({how}); "
            "set the same token in the OneBot implementation and here"
        )
        if not self._ever_ready:
            self._fatal = message
        if message != self._last_error:
            log.error("%s", message)
        self._last_error = message

    # -- both transports ----------------------------------------------------------------

    async def _serve_reverse(self, link: Link) -> None:
        log.warning(
            "qq: OneBot implementation connected from %s (role %s, account %s)",
            link.peer,
            link.role,
            link.self_id or "?",
        )
        reason = await self._serve(link)
        if not self._stopping:
            log.warning("qq: OneBot implementation disconnected (%s)", reason)

    async def _serve(self, link: Link) -> str:
        """Read one link until it closes; returns why it closed."""
        self.connections += 1
        self._links.append(link)
        if link.self_id:
            self.self_id = ident(link.self_id)
        hello: asyncio.Task[None] | None = None
        if link.carries_calls:
            self._api_ready.set()
            hello = asyncio.create_task(self._hello())
        reason = "closed by the implementation"
        probing = False
        try:
            while True:
                limit = self._settings.call_timeout if probing else self._silence_limit()
                try:
                    message = await link.ws.receive(timeout=limit)
                except TimeoutError:
                    if probing or not link.carries_calls:
                        reason = f"silent for {limit:g}s"
                        break
                    probing = True
                    await self._probe(link)
                    continue
                probing = False
                if message.type == aiohttp.WSMsgType.TEXT:
                    text = message.data
                elif message.type == aiohttp.WSMsgType.BINARY:
                    text = message.data.decode("utf-8", "replace")
                elif message.type == aiohttp.WSMsgType.ERROR:
                    reason = f"error: {link.ws.exception()}"
                    break
                else:  # CLOSE, CLOSING, CLOSED
                    break
                try:
                    self._frame(text)
                except AuthRefused as exc:
                    self._token_refused(str(exc))
                    reason = "access token refused"
                    break
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            reason = f"connection error: {exc}"
        finally:
            self._links.remove(link)
            if self._api_link() is None:
                self._api_ready.clear()
            self._fail_pending(link, f"connection lost ({reason})")
            if hello is not None:
                hello.cancel()
            with contextlib.suppress(Exception):
                await link.close()
        return reason

    async def _hello(self) -> None:
        """Learn our own account and confirm the token is accepted."""
        try:
            data = await self.call("get_login_info")
        except PlatformError as exc:
            log.info("qq: get_login_info failed: %s", exc)
            return
        if isinstance(data, dict) and ident(data.get("user_id")):
            self.self_id = ident(data.get("user_id"))
        self._ever_ready = True
        self._first_ready.set()

    async def _probe(self, link: Link) -> None:
        # Any frame back (the answer, an event) proves the link alive; the read loop sees it.
        echo = f"probe{next(self._echo)}"
        with contextlib.suppress(Exception):
            await link.send(json.dumps({"action": "get_status", "params": {}, "echo": echo}))

    def _silence_limit(self) -> float:
        if self._settings.heartbeat_timeout is not None:
            return self._settings.heartbeat_timeout
        if self._heartbeat_interval:
            return max(3 * self._heartbeat_interval, 5.0)
        return DEFAULT_SILENCE

    def _frame(self, text: str) -> None:
        try:
            frame = json.loads(text)
        except json.JSONDecodeError:
            log.info("qq: ignored a frame that is not JSON: %.80r", text)
            return
        if not isinstance(frame, dict):
            return
        if "post_type" in frame:
            if frame.get("post_type") == "meta_event":
                self._meta(frame)
            self._on_event(frame)
            return
        echo = frame.get("echo")
        if echo is not None:
            pending = self._pending.pop(str(echo), None)
            if pending is not None and not pending[0].done():
                pending[0].set_result(frame)
            return
        if frame.get("status") == "failed" and frame.get("retcode") in (1401, 1403):
            # NapCat accepts the upgrade, then says so in a frame and closes.
            raise AuthRefused(str(frame.get("message") or f"retcode {frame.get('retcode')}"))

    def _meta(self, frame: Frame) -> None:
        if frame.get("meta_event_type") == "heartbeat":
            try:
                interval_ms = float(frame.get("interval") or 0)
            except (TypeError, ValueError):
                interval_ms = 0
            self._heartbeat_interval = interval_ms / 1000 if interval_ms > 0 else None
        if ident(frame.get("self_id")):
            self.self_id = ident(frame.get("self_id"))
