"""What every query module shares: the connection of the caller's transaction, the hash-chain
mirror of each kept row (L1), and an insert that ignores a conflicting row on either dialect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import journal


class Queries:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def _journal(self, kind: str, model: Any, row_id: int, at: datetime) -> None:
        """Mirror the row just written into the hash chain, in this same transaction (L1)."""
        await journal.mirror(self.c, kind, model.__table__, row_id, at=at)

    def _insert_ignore(self, table: Any) -> Any:
        dialect = self.c.dialect.name
        if dialect == "postgresql":
            return pg_insert(table)
        return sqlite_insert(table)
