"""Database engine set-up, migrations, and riding out a database that is briefly unavailable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_pragmas(dbapi_connection, _record=None) -> None:  # type: ignore[no-untyped-def]
    """Connect hook for every SQLite connection. WAL lets readers (groupguard audit) run
    beside the bot; NORMAL sync is durable across application crashes, which is the failure
    we guard against; the busy timeout rides out a briefly locked file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 5})
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def alembic_config(url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # configparser treats % as interpolation; URL-encoded passwords contain it.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Any fixed 64-bit number names the lock; this one spells "GGMIGRAT" in ASCII so that it is
# recognisable in pg_locks and unlikely to collide with another application's key.
MIGRATION_LOCK_KEY = 0x47474D4947524154


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent).

    On PostgreSQL several instances may start at once against a fresh database: without a lock
    both would run the same CREATE TABLEs and one would fail on a duplicate. A transaction-level
    advisory lock serialises them; the second then finds alembic_version at head and does
    nothing. The lock is released with the migration's own transaction, so a crash mid-way
    releases it too. SQLite has a single writer already (the file lock).
    """

    def _upgrade(connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(_upgrade)


def is_transient(exc: BaseException) -> bool:
    """A locked SQLite file or a dropped PostgreSQL connection: worth waiting for."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(
            s in text
            for s in ("locked", "busy", "connection", "terminat", "shutdown", "refused", "closed")
        )
    return isinstance(exc, ConnectionError | OSError)


async def with_retry(
    engine: AsyncEngine,
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    give_up_after: float = 60.0,
    first_delay: float = 0.05,
) -> T:
    """Run ``work`` in one transaction, retrying it whole while the database is briefly gone.

    The transaction is all-or-nothing, so a retry never writes a record twice; after
    ``give_up_after`` seconds the last error propagates and the caller reports it.
    """
    delay, waited = first_delay, 0.0
    while True:
        try:
            async with engine.begin() as connection:
                return await work(connection)
        except Exception as exc:
            if not is_transient(exc) or waited >= give_up_after:
                raise
            log.warning("database unavailable (%s); retrying in %.2fs", exc, delay)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 2.0)
