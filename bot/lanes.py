"""Lanes: work runs concurrently across keys (chats) and in arrival order within a key.

One spam wave in one group must not hold up every other group, yet within a group order
matters (a join is seen before the same member's first message; a ladder counts offences
in order). Each key gets its own queue and at most one worker; the number of jobs waiting
in all lanes is bounded so a reader can pause instead of buffering without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self, max_waiting: int = 2_000) -> None:
        self.max_waiting = max_waiting
        self._queues: dict[str, deque[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._waiting = 0
        self._changed = asyncio.Condition()

    @property
    def waiting(self) -> int:
        return self._waiting

    def submit(self, key: str, job: Job) -> None:
        self._queues.setdefault(key, deque()).append(job)
        self._waiting += 1
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"lane:{key}")

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                try:
                    await job()
                except Exception:
                    log.exception("lane %s: a job failed", key)
                queue.popleft()
                self._waiting -= 1
                async with self._changed:
                    self._changed.notify_all()
        finally:
            del self._workers[key]
            if not queue:
                self._queues.pop(key, None)

    async def room(self) -> None:
        """Wait until fewer than ``max_waiting`` jobs are queued."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._waiting < self.max_waiting)

    async def idle(self) -> None:
        """Wait until every queued job has run."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._waiting == 0)

    async def close(self, grace: float) -> None:
        """Let running jobs finish for up to ``grace`` seconds, then cancel the rest (what
        was not handled is still in the inbox and is handled on the next start)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), grace)
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._queues.clear()
        self._waiting = 0
