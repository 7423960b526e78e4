"""The storage entry point: one transaction per call, retried while the database is away."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine, upgrade, with_retry
from storage.repository import Repository

T = TypeVar("T")


class Store:
    def __init__(self, engine: AsyncEngine, *, retry_for: float = 60.0) -> None:
        self.engine = engine
        self.retry_for = retry_for

    @classmethod
    async def open(cls, url: str, *, retry_for: float = 60.0, migrate: bool = True) -> Store:
        engine = make_engine(url)
        if migrate:
            await upgrade(engine)
        return cls(engine, retry_for=retry_for)

    async def write(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        return await with_retry(
            self.engine, lambda c: work(Repository(c)), give_up_after=self.retry_for
        )

    # Reads share the path: a read during an outage waits just like a write.
    read = write

    async def close(self) -> None:
        await self.engine.dispose()
