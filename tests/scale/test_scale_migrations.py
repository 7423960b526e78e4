"""Several instances on one PostgreSQL: two first starts at once migrate once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage.store import Store

pytestmark = pytest.mark.postgres


async def test_two_simultaneous_first_starts_migrate_once(postgres) -> None:  # type: ignore[no-untyped-def]
    # Several rounds: a single pair might happen not to overlap.
    for _ in range(3):
        url = postgres.new_database()
        stores = await asyncio.gather(*(Store.open(url) for _ in range(3)))
        try:
            async with stores[0].engine.connect() as conn:
                query = text("SELECT version_num FROM alembic_version")
                versions = (await conn.execute(query)).all()
                timers = (
                    await conn.execute(
                        text("SELECT count(*) FROM pg_class WHERE relname = 'timers'")
                    )
                ).scalar_one()
        finally:
            for store in stores:
                await store.close()
        assert len(versions) == 1
        assert timers == 1
