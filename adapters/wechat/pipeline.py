"""Ordered delivery with concurrent preparation.

Turning one WeChat event into a neutral one costs several service calls (message, room,
member, contact payloads). Those run concurrently for up to ``prefetch`` events, but the
sink receives events strictly in arrival order: a join must reach the rules before the same
member's first message, and a /mute before the message that breaks it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from bot.events import AnyEvent

log = logging.getLogger(__name__)

Prepare = Callable[[], Awaitable[Sequence[AnyEvent]]]
Sink = Callable[[AnyEvent], Awaitable[None]]


class OrderedPipeline:
    def __init__(self, sink: Sink, prefetch: int = 32) -> None:
        self._sink = sink
        self._slots = asyncio.Semaphore(prefetch)
        self._pending: deque[asyncio.Task[Sequence[AnyEvent]]] = deque()
        self._ready = asyncio.Event()
        self._consumer: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.delivered = 0
        self.dropped = 0

    def start(self) -> None:
        if self._consumer is None or self._consumer.done():
            self._consumer = asyncio.create_task(self._consume(), name="wechat-pipeline")

    async def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        self._pending.clear()

    def push(self, prepare: Prepare, label: str) -> None:
        """Called from a synchronous event listener: must not raise or block."""
        self._pending.append(asyncio.create_task(self._bounded(prepare), name=label))
        self._idle.clear()
        self._ready.set()

    async def drain(self) -> None:
        """Wait until everything pushed so far has been delivered (tests, benchmarks)."""
        await self._idle.wait()

    async def _bounded(self, prepare: Prepare) -> Sequence[AnyEvent]:
        async with self._slots:
            return await prepare()

    async def _consume(self) -> None:
        while True:
            if not self._pending:
                self._idle.set()
                self._ready.clear()
                await self._ready.wait()
                continue
            task = self._pending[0]
            # asyncio.wait, not ``await task``: cancelling the consumer (stop) must not be
            # mistaken for the event's own preparation having been cancelled.
            await asyncio.wait({task})
            self._pending.popleft()
            events: Sequence[AnyEvent] = ()
            if task.cancelled():
                pass
            elif task.exception() is not None:
                log.error(
                    "wechat: could not read event %s; skipped",
                    task.get_name(),
                    exc_info=task.exception(),
                )
                self.dropped += 1
            else:
                events = task.result()
            for event in events:
                try:
                    await self._sink(event)
                    self.delivered += 1
                except Exception:
                    log.exception("wechat: the bot failed on %s", event.update_id)
