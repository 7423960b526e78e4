"""The inbox: every platform update is durably recorded before the platform is told it
arrived, and handled from that record.

Telegram forgets an update once the next ``getUpdates`` acknowledges it (and a webhook POST
once it is answered), so an update held only in memory is lost by a crash. An adapter puts
each batch here first (one transaction), acknowledges after, and marks each update handled
once the application is done with it. On start the adapter handles the rows not yet marked
before anything new.

Exactly once: a mark is written lazily (a crash may replay updates handled in the last
``mark_delay`` seconds); a replayed update is dropped by the application's update-id claim,
which for an update that led to actions is committed in the same transaction as the
actions' intents (``Executor.apply``), so it is acted on once whatever moment the crash hit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        mark_delay: float = 0.2,
        keep: timedelta = timedelta(days=2),
    ) -> None:
        self.store = store
        self.clock = clock
        self.mark_delay = mark_delay
        # Telegram keeps an unacknowledged update for 24 h: a handled row is kept longer, so a
        # repeated delivery is still recognised as one.
        self.keep = keep
        self._marks: dict[str, list[str]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        cutoff = self.clock.now() - self.keep
        pruned = await self.store.write(lambda r: r.inbox_prune(cutoff))
        if pruned:
            log.info("inbox: forgot %d handled update(s) older than %s", pruned, self.keep)
        self._task = asyncio.create_task(self._marker())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self.flush()

    async def put(
        self, platform: str, updates: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[str]:
        """Record a batch durably (committed when this returns); returns the update ids not
        recorded before, which are the ones to handle."""
        rows = [
            # ensure_ascii: a lone surrogate or a NUL in member text cannot make the row fail.
            (update_id, json.dumps(payload, ensure_ascii=True, separators=(",", ":")))
            for update_id, payload in updates
        ]
        now = self.clock.now()
        return await self.store.write(lambda r: r.inbox_put(platform, rows, now))

    async def pending(
        self, platform: str, limit: int = 1_000, after: int = 0
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """Updates recorded but not handled (a crash came first), oldest first, as (row id,
        update id, payload); pass the last row id as ``after`` for the next page."""
        await self.flush()
        rows = await self.store.read(lambda r: r.inbox_pending(platform, limit, after))
        return [(row, update_id, json.loads(payload)) for row, update_id, payload in rows]

    def handled(self, platform: str, update_id: str) -> None:
        self._marks.setdefault(platform, []).append(update_id)

    async def flush(self) -> None:
        marks, self._marks = self._marks, {}
        if not any(marks.values()):
            return
        now = self.clock.now()

        async def write(repo: Repository) -> None:
            for platform, ids in marks.items():
                await repo.inbox_handled(platform, ids, now)

        try:
            await self.store.write(write)
        except BaseException:
            # Kept for the next attempt; until then a crash would only replay them.
            for platform, ids in marks.items():
                self._marks.setdefault(platform, [])[:0] = ids
            raise

    async def _marker(self) -> None:
        while True:
            await asyncio.sleep(self.mark_delay)
            try:
                await self.flush()
            except Exception:
                log.exception("inbox: could not mark handled updates; will retry")
