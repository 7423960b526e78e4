"""Outgoing message throttle: WeChat restricts or bans accounts that send too fast.

Limits seen in the wild: at most ~40 messages a minute overall and one every 3 s per chat.
Messages wait in memory and are never dropped for being over the limit; order within a chat is
kept, and a chat that must wait does not hold up others. Pure asyncio with an injectable
clock, so tests run a 200-message burst in simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.ports import PlatformError

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    per_minute: int = 40  # hard cap in any sliding 60 s window, all chats together
    chat_interval: float = 3.0  # seconds between two messages to the same chat
    # Messages allowed back to back before the overall pace (60/per_minute s) applies; a small
    # burst keeps a reminder plus a warning prompt without looking like a flood.
    burst: int = 3
    retry_delay: float = 5.0  # first wait after a transient failure; doubles up to 5 min
    max_retries: int = 5

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.chat_interval < 0 or self.burst < 1:
            raise ValueError("throttle: per_minute and burst must be >= 1, chat_interval >= 0")


@dataclass(slots=True)
class _Outgoing:
    seq: int
    chat_id: str
    send: Callable[[], Awaitable[Any]]
    done: asyncio.Future[Any]
    attempts: int = 0
    not_before: float = 0.0


@dataclass(slots=True)
class _Pace:
    """Book-keeping of when we sent, for the three limits."""

    window: deque[float] = field(default_factory=deque)  # send times in the last 60 s
    tokens: float = 0.0
    refilled_at: float = 0.0
    last_per_chat: dict[str, float] = field(default_factory=dict)


class OutgoingThrottle:
    """Queue of sends released under ``ThrottleLimits``; one worker task sends them in turn.

    ``submit`` returns a future resolved with the send's result (or its final exception), so a
    caller may wait for delivery or not. Retryable ``PlatformError``\\ s are retried with
    back-off; anything else fails that message only.
    """

    def __init__(self, limits: ThrottleLimits | None = None, clock: Clock | None = None) -> None:
        self.limits = limits or ThrottleLimits()
        self._clock = clock or MonotonicClock()
        self._queues: dict[str, deque[_Outgoing]] = {}
        self._pace = _Pace(tokens=float(self.limits.burst), refilled_at=self._clock.now())
        self._seq = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    # -- public -------------------------------------------------------------------------

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="wechat-throttle")

    async def stop(self, drain_timeout: float = 0.0) -> int:
        """Stop the worker, first waiting up to ``drain_timeout`` s; returns messages left."""
        if drain_timeout > 0 and self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), drain_timeout)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        left = self.pending
        if left:
            log.warning("wechat throttle stopped with %d message(s) unsent", left)
        return left

    def submit(self, chat_id: str, send: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        self._seq += 1
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        item = _Outgoing(self._seq, chat_id, send, done)
        self._queues.setdefault(chat_id, deque()).append(item)
        self._idle.clear()
        self._wake.set()
        return done

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def drain(self) -> None:
        """Wait until every submitted message has been sent or has failed for good."""
        await self._idle.wait()

    # -- scheduling ---------------------------------------------------------------------

    def _overall_ready_at(self, now: float) -> float:
        pace, limits = self._pace, self.limits
        while pace.window and pace.window[0] <= now - 60.0:
            pace.window.popleft()
        rate = limits.per_minute / 60.0
        pace.tokens = min(float(limits.burst), pace.tokens + (now - pace.refilled_at) * rate)
        pace.refilled_at = now
        ready = now if pace.tokens >= 1.0 else now + (1.0 - pace.tokens) / rate
        if len(pace.window) >= limits.per_minute:
            ready = max(ready, pace.window[-limits.per_minute] + 60.0)
        return ready

    def _chat_ready_at(self, item: _Outgoing) -> float:
        last = self._pace.last_per_chat.get(item.chat_id)
        spaced = last + self.limits.chat_interval if last is not None else 0.0
        return max(spaced, item.not_before)

    def _next(self, now: float) -> tuple[_Outgoing | None, float]:
        """The oldest head-of-chat message that may go now, else when the next one may."""
        best: _Outgoing | None = None
        wake_at = float("inf")
        for queue in self._queues.values():
            head = queue[0]
            at = self._chat_ready_at(head)
            if at <= now:
                if best is None or head.seq < best.seq:
                    best = head
            else:
                wake_at = min(wake_at, at)
        return best, wake_at

    async def _run(self) -> None:
        while True:
            if not self.pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            now = self._clock.now()
            overall = self._overall_ready_at(now)
            if overall > now:
                await self._clock.sleep(overall - now)
                continue
            item, wake_at = self._next(now)
            if item is None:
                await self._sleep_or_wake(wake_at - now)
                continue
            await self._send(item, now)

    async def _sleep_or_wake(self, seconds: float) -> None:
        # A new message for an idle chat may be sendable before the waiting one is.
        self._wake.clear()
        sleeper = asyncio.create_task(self._clock.sleep(seconds))
        waker = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def _send(self, item: _Outgoing, now: float) -> None:
        pace = self._pace
        # Count the attempt against the limits whether or not it succeeds: the platform saw it.
        pace.tokens -= 1.0
        pace.window.append(now)
        pace.last_per_chat[item.chat_id] = now
        item.attempts += 1
        try:
            result = await item.send()
        except PlatformError as exc:
            if exc.retryable and item.attempts <= self.limits.max_retries:
                delay = exc.retry_after or self.limits.retry_delay * 2 ** (item.attempts - 1)
                item.not_before = self._clock.now() + min(delay, 300.0)
                log.warning(
                    "wechat send to %s failed (%s); retry in %.0fs", item.chat_id, exc, delay
                )
                return  # stays at the head of its chat's queue, so order is kept
            self._finish(item, exc=exc)
        except Exception as exc:
            self._finish(item, exc=exc)
        else:
            self._finish(item, result=result)

    def _finish(
        self, item: _Outgoing, *, result: Any = None, exc: BaseException | None = None
    ) -> None:
        queue = self._queues[item.chat_id]
        queue.popleft()
        if not queue:
            del self._queues[item.chat_id]
        if exc is None:
            self.sent += 1
            if not item.done.done():
                item.done.set_result(result)
        else:
            self.failed += 1
            log.error("wechat send to %s failed for good: %s", item.chat_id, exc)
            if not item.done.done():
                item.done.set_exception(exc)
                # Nobody may be awaiting a fire-and-forget send: mark it retrieved.
                item.done.exception()
