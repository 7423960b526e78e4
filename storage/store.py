"""The storage entry point: one transaction per call, retried while the database is away.

On SQLite, a transaction's work runs on one dedicated thread over a synchronous connection:
the repository's coroutines never suspend there (their ``execute`` returns at once), so the
whole transaction costs one thread hop instead of one per statement — aiosqlite's per-call
hand-off made each transaction ~1.5 ms. PostgreSQL keeps the native async driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import is_transient, make_engine, sqlite_pragmas, upgrade, with_retry
from storage.repository import Repository

T = TypeVar("T")


class _SyncConnection:
    """Awaitable-looking facade over a synchronous SQLAlchemy connection."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.dialect = connection.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self._connection.execute(statement, parameters)


def _run_to_completion(coroutine: Any) -> Any:
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise RuntimeError("storage work must only await the repository")


def _sqlite_sync_engine(async_engine: AsyncEngine) -> Engine:
    url = async_engine.url.set(drivername="sqlite")
    engine = create_engine(url, connect_args={"timeout": 5, "check_same_thread": False})

    event.listen(engine, "connect", sqlite_pragmas)
    return engine


class Store:
    def __init__(self, engine: AsyncEngine, *, retry_for: float = 60.0) -> None:
        self.engine = engine
        self.retry_for = retry_for
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        if engine.dialect.name == "sqlite" and ":memory:" not in str(engine.url):
            self._sync = _sqlite_sync_engine(engine)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    @property
    def shared(self) -> bool:
        """Whether other processes may be using this database at once (PostgreSQL; an
        embedded SQLite file is one process's)."""
        return self.engine.dialect.name != "sqlite"

    @classmethod
    async def open(cls, url: str, *, retry_for: float = 60.0, migrate: bool = True) -> Store:
        engine = make_engine(url)
        if migrate:
            await upgrade(engine)
        return cls(engine, retry_for=retry_for)

    async def write(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        if self._sync is None:
            return await with_retry(
                self.engine, lambda c: work(Repository(c)), give_up_after=self.retry_for
            )
        loop = asyncio.get_running_loop()
        delay, waited = 0.05, 0.0
        while True:
            try:
                return await loop.run_in_executor(self._thread, self._sync_transaction, work)
            except Exception as exc:
                if not is_transient(exc) or waited >= self.retry_for:
                    raise
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 2.0)

    def _sync_transaction(self, work: Callable[[Repository], Awaitable[T]]) -> T:
        assert self._sync is not None
        with self._sync.begin() as connection:
            return _run_to_completion(work(Repository(_SyncConnection(connection))))

    # Reads share the path: a read during an outage waits just like a write.
    read = write

    async def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._sync is not None:
            self._sync.dispose()
        await self.engine.dispose()


__all__ = ["Store"]
