"""The record (处置记录) a page at a time: the filters and the paging are SQL, so a page costs
the same with 100 or 100,000 recorded actions. Newest first, keyset-paged by id (``before``):
unlike OFFSET, a page deep in the record is as cheap as the first, and rows recorded while
someone reads do not shift the pages under them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from storage.models import ActionOutcome, ActionRecord, Member
from storage.queries import Queries

Chat = tuple[str, str]
Account = tuple[str, str, str]  # platform, chat, user id: a member of one chat


@dataclass(frozen=True, slots=True)
class RecordFilter:
    chats: tuple[Chat, ...] | None = None  # None: every chat; () matches nothing
    members: tuple[Account, ...] | None = None  # None: every member; () matches nothing
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def in_chats(platform: Any, chat_id: Any, chats: Iterable[Chat]) -> ColumnElement[bool]:
    """``(platform, chat_id) IN chats`` as both dialects index it: one IN list per platform."""
    by_platform: dict[str, list[str]] = {}
    for p, c in chats:
        by_platform.setdefault(p, []).append(c)
    if not by_platform:
        return false()
    return or_(*(and_(platform == p, chat_id.in_(ids)) for p, ids in by_platform.items()))


class RecordQueries(Queries):
    def _where(self, flt: RecordFilter) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if flt.chats is not None:
            where.append(in_chats(ActionRecord.platform, ActionRecord.chat_id, flt.chats))
        if flt.members is not None:
            # Whole (platform, chat, user) keys: the member index answers them, where a bare
            # user id would scan every action in scope.
            where.append(
                or_(
                    false(),
                    *(
                        and_(
                            ActionRecord.platform == p,
                            ActionRecord.chat_id == c,
                            ActionRecord.user_id == u,
                        )
                        for p, c, u in flt.members
                    ),
                )
            )
        if flt.category is not None:
            where.append(ActionRecord.category == flt.category)
        if flt.since is not None:
            where.append(ActionRecord.at >= flt.since)
        if flt.until is not None:
            where.append(ActionRecord.at < flt.until)
        return where

    async def page(
        self, flt: RecordFilter, *, before: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` actions, newest first, older than ``before``; each with its latest
        outcome (read for this page's ids only, not aggregated over the whole record)."""
        where = self._where(flt)
        if before is not None:
            where.append(ActionRecord.id < before)
        rows = [
            dict(r._mapping)
            for r in (
                await self.c.execute(
                    select(ActionRecord).where(*where).order_by(ActionRecord.id.desc()).limit(limit)
                )
            ).all()
        ]
        if not rows:
            return rows
        outcomes = await self.c.execute(
            select(
                ActionOutcome.action_id,
                ActionOutcome.outcome,
                ActionOutcome.detail,
                ActionOutcome.notified,
            )
            .where(ActionOutcome.action_id.in_([r["id"] for r in rows]))
            .order_by(ActionOutcome.id)
        )
        latest = {o.action_id: o for o in outcomes.all()}  # ascending ids: the last one wins
        for row in rows:
            o = latest.get(row["id"])
            row["outcome"] = o.outcome if o else None
            row["detail"] = o.detail if o else None
            row["notified"] = o.notified if o else None
        return rows

    async def count(self, flt: RecordFilter) -> int:
        stmt = select(func.count()).select_from(ActionRecord).where(*self._where(flt))
        return int((await self.c.execute(stmt)).scalar_one())

    async def members(self, chats: tuple[Chat, ...] | None, text: str) -> tuple[Account, ...]:
        """The accounts a member filter means: the nickname or the id, in the chats in scope."""
        stmt = select(Member.platform, Member.chat_id, Member.user_id).where(
            or_(Member.nickname == text, Member.user_id == text)
        )
        if chats is not None:
            stmt = stmt.where(in_chats(Member.platform, Member.chat_id, chats))
        return tuple(sorted({(p, c, u) for p, c, u in (await self.c.execute(stmt)).all()}))
