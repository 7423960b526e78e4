"""This process's lease among the instances sharing one database.

An instance renews its row every third of the lease; what an instance owns (the inbox rows it
recorded, the decisions whose intents it wrote) stays its own while the row is fresh, and is
adopted by another instance once it lapses — so a crashed instance's work is finished
elsewhere, and a live instance's work is never done twice. On SQLite (the embedded default,
one process) every other instance is taken to have lapsed: a restart finishes at once what
the last run left."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock
from storage.store import Store

log = logging.getLogger(__name__)

ENV_ID = "GROUPGUARD_INSTANCE_ID"


def instance_id(configured: str | None) -> str:
    """The configured id, else the environment's, else a new one for this start."""
    chosen = configured or os.environ.get(ENV_ID)
    return chosen or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class InstanceLease:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        instance_id: str,
        lease: timedelta,
        *,
        shared: bool,
    ) -> None:
        self.store = store
        self.clock = clock
        self.id = instance_id
        self.lease = lease
        # False on an embedded database: no other live instance can be using it.
        self.shared = shared
        self._task: asyncio.Task[None] | None = None
        # Run after a renewal that found lapsed instances: each adopts one kind of work.
        self.on_lapsed: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        now = self.clock.now()
        await self.store.write(lambda r: r.register_instance(self.id, socket.gethostname(), now))
        self._task = asyncio.create_task(self._renew_forever(), name="instance-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self.store.write(lambda r: r.drop_instances([self.id]))
        except Exception:
            log.warning("could not release this instance's lease; it lapses by itself")

    async def live(self) -> set[str]:
        """The instances whose work must not be adopted (this one included)."""
        if not self.shared:
            return {self.id}
        since = self.clock.now() - self.lease
        return await self.store.read(lambda r: r.live_instances(since)) | {self.id}

    async def renew(self) -> None:
        now = self.clock.now()
        present = await self.store.write(lambda r: r.heartbeat(self.id, now))
        if not present:
            # Another instance found this one lapsed (a long stall) and took its work; from
            # here on this process is a new owner of whatever it records.
            log.error("instance %s: lease was lost during a stall; registering again", self.id)
            await self.store.write(
                lambda r: r.register_instance(self.id, socket.gethostname(), now)
            )
        if self.shared:
            cutoff = now - self.lease
            lapsed = await self.store.read(lambda r: r.lapsed_instances(cutoff))
            if lapsed:
                log.warning("instances lapsed: %s; adopting their work", ", ".join(lapsed))
                for adopt in self.on_lapsed:
                    await adopt()
                await self.store.write(lambda r: r.drop_instances(lapsed))

    async def _renew_forever(self) -> None:
        period = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except Exception:
                log.exception("instance lease: renewal failed; will retry")
