"""Offences on each member's record inside the policy window: the ladder's memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, select, update

from storage.models import (
    Offence,
)
from storage.queries import Queries

_OFFENCE_INSERT = insert(Offence.__table__).returning(Offence.__table__.c.id)


class ActiveOffence(NamedTuple):
    category: str
    article: str
    at: datetime


class OffenceQueries(Queries):
    # --- offences ------------------------------------------------------------------------
    async def offence_counts(
        self, platform: str, chat_id: str, user_id: str, since: datetime
    ) -> dict[str, int]:
        rows = await self.c.execute(
            select(Offence.category, func.count())
            .where(
                Offence.platform == platform,
                Offence.chat_id == chat_id,
                Offence.user_id == user_id,
                Offence.at >= since,
                Offence.revoked_at.is_(None),
            )
            .group_by(Offence.category)
        )
        return {category: count for category, count in rows.all()}

    async def add_offence(self, **values: Any) -> None:
        result = await self.c.execute(_OFFENCE_INSERT, {"revoked_at": None, **values})
        await self._journal("offence", Offence, result.scalar_one(), values["at"])

    async def revoke_last_offence(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> bool:
        conditions = [
            Offence.platform == platform,
            Offence.chat_id == chat_id,
            Offence.user_id == user_id,
            Offence.revoked_at.is_(None),
        ]
        if decision_id:
            conditions.append(Offence.decision_id == decision_id)
        last = (
            await self.c.execute(select(func.max(Offence.id)).where(and_(*conditions)))
        ).scalar()
        if last is None:
            return False
        await self.c.execute(update(Offence).where(Offence.id == last).values(revoked_at=at))
        await self._journal("offence.revoked", Offence, last, at)
        return True

    async def active_offences(
        self, platform: str, chat_id: str, user_id: str, since: datetime
    ) -> list[ActiveOffence]:
        rows = await self.c.execute(
            select(Offence.category, Offence.article, Offence.at)
            .where(
                Offence.platform == platform,
                Offence.chat_id == chat_id,
                Offence.user_id == user_id,
                Offence.at >= since,
                Offence.revoked_at.is_(None),
            )
            .order_by(Offence.at)
        )
        return [ActiveOffence(*r) for r in rows.all()]
