"""The inbox: every platform update is durably recorded before the platform is told it
arrived, and handled from that record.

Telegram forgets an update once the next ``getUpdates`` acknowledges it (and a webhook POST
once it is answered), so an update held only in memory is lost by a crash. An adapter puts
each batch here first (one transaction), acknowledges after, and marks each update handled
once the application is done with it. On start the adapter handles the rows not yet marked
before anything new.

Several instances: the row is inserted only if its update id is new, and only the instance
whose insert took it handles it (a load balancer that sends one update to two instances gets it
handled once). Each row is owned by the instance that recorded it; a lapsed owner's unhandled
rows are adopted by a live instance (``bot.instances``) and handled there.

Exactly once: a mark is written lazily (a crash may replay updates handled in the last
``mark_delay`` seconds); a replayed update is dropped by the application's update-id claim,
which for an update that led to actions is committed in the same transaction as the
actions' intents (``Executor.apply``), so it is acted on once whatever moment the crash hit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.instances import InstanceLease
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        lease: InstanceLease,
        *,
        mark_delay: float = 0.2,
        keep: timedelta = timedelta(days=2),
        keep_ids: timedelta = timedelta(days=7),
        prune_every: timedelta = timedelta(hours=1),
    ) -> None:
        self.store = store
        self.clock = clock
        self.mark_delay = mark_delay
        # Telegram keeps an unacknowledged update for 24 h: a handled row is kept longer, so a
        # repeated delivery is still recognised as one.
        self.keep = keep
        # The update ids claimed by handling (``processed_updates``) are kept longer than any
        # repeat, then forgotten: without this the table only grows and the start-up preload
        # of recent ids slows with it.
        self.keep_ids = keep_ids
        self.prune_every = prune_every
        self.lease = lease
        self._marks: dict[str, list[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._followers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        self._waiting: list[tuple[str, list[tuple[str, str]], asyncio.Future[list[str]]]] = []
        self._committer: asyncio.Task[None] | None = None
        lease.on_lapsed.append(self._adopt_lapsed)

    async def start(self) -> None:
        await self.prune()
        self._task = asyncio.create_task(self._marker())

    async def prune(self) -> None:
        now = self.clock.now()
        inbox_cutoff, ids_cutoff = now - self.keep, now - self.keep_ids

        async def prune(repo: Repository) -> tuple[int, int]:
            changes_cutoff = now - timedelta(hours=1)  # read within a second by every instance
            await repo.prune_changes(changes_cutoff)
            return await repo.inbox_prune(inbox_cutoff), await repo.prune_update_ids(ids_cutoff)

        rows, ids = await self.store.write(prune)
        if rows or ids:
            log.info("inbox: forgot %d handled update(s) and %d update id(s)", rows, ids)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self.flush()

    async def put(
        self, platform: str, updates: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[str]:
        """Record a batch durably (committed when this returns); returns the update ids not
        recorded before, which are the ones to handle.

        Group commit: puts that arrive while a commit is under way (a webhook's concurrent
        requests, one update each) wait and are written together by the next commit, so a
        burst of webhook deliveries costs a few transactions instead of one per update."""
        rows = [
            # ensure_ascii: a lone surrogate or a NUL in member text cannot make the row fail.
            (update_id, json.dumps(payload, ensure_ascii=True, separators=(",", ":")))
            for update_id, payload in updates
        ]
        done: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._waiting.append((platform, rows, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_waiting())
        return await done

    async def _commit_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                taken = await self.store.write(
                    lambda r, b=batch: _put_all(r, b, self.clock.now(), self.lease.id)
                )
            except Exception as exc:  # every put of the batch is told: none was recorded
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, _, done), ids in zip(batch, taken, strict=True):
                if not done.done():  # a webhook request may have gone away meanwhile
                    done.set_result(ids)

    async def adopt(
        self, platform: str, *, own: bool = True
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """Take the unhandled rows of instances that are not live, oldest first, to be
        handled now; ``own`` (at start) also this instance's from before a restart under the
        same id — never later, when its own unhandled rows are the ones in its lanes."""
        await self.flush()
        keep = await self.lease.live()
        if own:
            keep.discard(self.lease.id)
        rows = await self.store.write(lambda r: r.adopt_inbox(self.lease.id, keep, platform))
        return [(row, update_id, json.loads(payload)) for row, update_id, payload in rows]

    def follow(self, platform: str, replay: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Hand each row adopted later from a lapsed instance to ``replay``."""
        self._followers[platform] = replay

    async def _adopt_lapsed(self) -> None:
        for platform, replay in list(self._followers.items()):
            adopted = await self.adopt(platform, own=False)
            if adopted:
                log.warning(
                    "%s: handling %d update(s) of a lapsed instance", platform, len(adopted)
                )
            for _, _, payload in adopted:
                await replay(payload)

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
        last_prune = self.clock.now()
        while True:
            await asyncio.sleep(self.mark_delay)
            try:
                await self.flush()
                if self.clock.now() - last_prune >= self.prune_every:
                    last_prune = self.clock.now()
                    await self.prune()
            except Exception:
                log.exception("inbox: could not mark handled updates; will retry")


async def _put_all(
    repo: Repository,
    batch: list[tuple[str, list[tuple[str, str]], asyncio.Future[list[str]]]],
    now: datetime,
    owner: str,
) -> list[list[str]]:
    return [await repo.inbox_put(platform, rows, now, owner) for platform, rows, _ in batch]
