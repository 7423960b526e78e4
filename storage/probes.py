"""Read-only queries the health and metrics endpoints ask for: a trivial round trip (is the
database answering?) and the few counts that are gauges (updates recorded but not handled,
timers due but not fired). Kept apart from the aggregates: they describe the process, not a
record, and none of them writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text

from storage.models import InboxUpdate, Timer
from storage.queries import Queries


class Probes(Queries):
    async def ping(self) -> None:
        await self.c.execute(text("SELECT 1"))

    async def inbox_pending(self) -> dict[str, int]:
        """Updates recorded but not yet handled, per platform (ix_inbox_pending covers it)."""
        rows = await self.c.execute(
            select(InboxUpdate.platform, func.count())
            .where(InboxUpdate.handled_at.is_(None))
            .group_by(InboxUpdate.platform)
        )
        return {platform: int(count) for platform, count in rows.all()}

    async def timers_overdue(self, now: datetime) -> int:
        """Armed timers whose time has come: more than a poll's worth means the scheduler lags."""
        row = await self.c.execute(
            select(func.count()).where(Timer.status == "armed", Timer.due_at <= now)
        )
        return int(row.scalar_one())


__all__ = ["Probes"]
