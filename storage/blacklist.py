"""The blacklist (纳入黑名单, A4): who is kept out of every managed group, and its lifting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from storage.models import (
    BlacklistEntry,
)
from storage.queries import Queries


class BlacklistQueries(Queries):
    # --- blacklist -----------------------------------------------------------------------
    async def is_blacklisted(self, platform: str, user_id: str) -> bool:
        found = await self.c.execute(
            select(BlacklistEntry.id)
            .where(
                BlacklistEntry.platform == platform,
                BlacklistEntry.user_id == user_id,
                BlacklistEntry.lifted_at.is_(None),
            )
            .limit(1)
        )
        return found.first() is not None

    async def add_blacklist(
        self, platform: str, user_id: str, reason: str, by: str, at: datetime
    ) -> bool:
        if await self.is_blacklisted(platform, user_id):
            return False
        result = await self.c.execute(
            insert(BlacklistEntry)
            .values(platform=platform, user_id=user_id, reason=reason, added_by=by, added_at=at)
            .returning(BlacklistEntry.id)
        )
        await self._journal("blacklist.added", BlacklistEntry, result.scalar_one(), at)
        return True

    async def lift_blacklist(self, platform: str, user_id: str, by: str, at: datetime) -> bool:
        lifted = (
            (
                await self.c.execute(
                    select(BlacklistEntry.id).where(
                        BlacklistEntry.platform == platform,
                        BlacklistEntry.user_id == user_id,
                        BlacklistEntry.lifted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        for entry_id in lifted:
            await self.c.execute(
                update(BlacklistEntry)
                .where(BlacklistEntry.id == entry_id)
                .values(lifted_at=at, lifted_by=by)
            )
            await self._journal("blacklist.lifted", BlacklistEntry, entry_id, at)
        return bool(lifted)

    async def active_blacklist(self) -> set[tuple[str, str]]:
        rows = await self.c.execute(
            select(BlacklistEntry.platform, BlacklistEntry.user_id).where(
                BlacklistEntry.lifted_at.is_(None)
            )
        )
        return {(p, u) for p, u in rows.all()}
