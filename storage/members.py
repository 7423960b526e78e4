"""Members of each group, their nickname history and joins/leaves (M1, M6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from storage.models import (
    Member,
    MembershipEvent,
    NicknameChange,
)
from storage.queries import Queries

_NICKNAME_INSERT = insert(NicknameChange.__table__)

# The columns of MemberRow, in its field order.
_MEMBER_SELECT = select(
    Member.platform,
    Member.chat_id,
    Member.user_id,
    Member.nickname,
    Member.username,
    Member.status,
    Member.restricted_until,
    Member.nickname_deadline,
)


@dataclass(frozen=True, slots=True)
class MemberRow:
    platform: str
    chat_id: str
    user_id: str
    nickname: str
    username: str | None
    status: str
    restricted_until: datetime | None
    nickname_deadline: datetime | None


class MemberQueries(Queries):
    # --- members -------------------------------------------------------------------------
    async def member(self, platform: str, chat_id: str, user_id: str) -> MemberRow | None:
        row = (
            await self.c.execute(
                _MEMBER_SELECT.where(
                    Member.platform == platform,
                    Member.chat_id == chat_id,
                    Member.user_id == user_id,
                )
            )
        ).first()
        return MemberRow(*row) if row else None

    async def members_of(self, platform: str, chat_id: str) -> list[MemberRow]:
        rows = await self.c.execute(
            _MEMBER_SELECT.where(Member.platform == platform, Member.chat_id == chat_id)
        )
        return [MemberRow(*r) for r in rows.all()]

    async def member_by_username(
        self, platform: str, chat_id: str, username: str
    ) -> MemberRow | None:
        row = (
            await self.c.execute(
                _MEMBER_SELECT.where(
                    Member.platform == platform,
                    Member.chat_id == chat_id,
                    func.lower(Member.username) == username.lower().lstrip("@"),
                )
            )
        ).first()
        return MemberRow(*row) if row else None

    async def save_member(
        self,
        previous: MemberRow | None,
        *,
        platform: str,
        chat_id: str,
        user_id: str,
        nickname: str,
        username: str | None,
        at: datetime,
        status: str | None = None,
    ) -> None:
        """Insert or update the member, writing nickname history when the name changed."""
        if previous is None:
            await self.c.execute(
                self._insert_ignore(Member)
                .values(
                    platform=platform,
                    chat_id=chat_id,
                    user_id=user_id,
                    nickname=nickname,
                    username=username,
                    status=status or "active",
                    first_seen=at,
                    last_seen=at,
                )
                .on_conflict_do_nothing()
            )
            await self._nickname_history(platform, chat_id, user_id, None, nickname, at)
            return
        values: dict[str, Any] = {"last_seen": at}
        if nickname != previous.nickname:
            values["nickname"] = nickname
            await self._nickname_history(
                platform, chat_id, user_id, previous.nickname, nickname, at
            )
        if username != previous.username:
            values["username"] = username
        if status and status != previous.status:
            values["status"] = status
        await self.c.execute(
            update(Member)
            .where(
                Member.platform == platform, Member.chat_id == chat_id, Member.user_id == user_id
            )
            .values(**values)
        )

    async def _nickname_history(
        self, platform: str, chat_id: str, user_id: str, old: str | None, new: str, at: datetime
    ) -> None:
        await self.c.execute(
            _NICKNAME_INSERT,
            {
                "platform": platform,
                "chat_id": chat_id,
                "user_id": user_id,
                "old_nickname": old,
                "new_nickname": new,
                "at": at,
            },
        )

    async def ensure_member(
        self, platform: str, chat_id: str, user_id: str, nickname: str, at: datetime
    ) -> None:
        """Create a bare member row when acting on someone never seen here (``/mute 12345``),
        so the restriction or deadline written next has a row to live on."""
        await self.c.execute(
            self._insert_ignore(Member.__table__).on_conflict_do_nothing(),
            {
                "platform": platform,
                "chat_id": chat_id,
                "user_id": user_id,
                "nickname": nickname,
                "username": None,
                "status": "active",
                "restricted_until": None,
                "nickname_deadline": None,
                "first_seen": at,
                "last_seen": at,
            },
        )

    async def set_member_fields(
        self, platform: str, chat_id: str, user_id: str, **values: Any
    ) -> None:
        await self.c.execute(
            update(Member)
            .where(
                Member.platform == platform, Member.chat_id == chat_id, Member.user_id == user_id
            )
            .values(**values)
        )

    async def nickname_history(self, platform: str, chat_id: str, user_id: str) -> list[tuple]:
        rows = await self.c.execute(
            select(NicknameChange.old_nickname, NicknameChange.new_nickname, NicknameChange.at)
            .where(
                NicknameChange.platform == platform,
                NicknameChange.chat_id == chat_id,
                NicknameChange.user_id == user_id,
            )
            .order_by(NicknameChange.id)
        )
        return [tuple(r) for r in rows.all()]

    async def record_membership(
        self, platform: str, chat_id: str, user_id: str, kind: str, by: str | None, at: datetime
    ) -> None:
        result = await self.c.execute(
            insert(MembershipEvent)
            .values(
                platform=platform, chat_id=chat_id, user_id=user_id, kind=kind, by_user_id=by, at=at
            )
            .returning(MembershipEvent.id)
        )
        await self._journal("membership", MembershipEvent, result.scalar_one(), at)

    async def insert_members_bulk(self, rows: Sequence[dict[str, Any]]) -> None:
        """New members and their first nickname-history rows, one executemany each."""
        if not rows:
            return
        members = [
            {
                "platform": r["platform"],
                "chat_id": r["chat_id"],
                "user_id": r["user_id"],
                "nickname": r["nickname"],
                "username": r["username"],
                "status": "active",
                "restricted_until": None,
                "nickname_deadline": None,
                "first_seen": r["at"],
                "last_seen": r["at"],
            }
            for r in rows
        ]
        await self.c.execute(
            self._insert_ignore(Member.__table__).on_conflict_do_nothing(), members
        )
        await self.c.execute(
            _NICKNAME_INSERT,
            [
                {
                    "platform": r["platform"],
                    "chat_id": r["chat_id"],
                    "user_id": r["user_id"],
                    "old_nickname": None,
                    "new_nickname": r["nickname"],
                    "at": r["at"],
                }
                for r in rows
            ],
        )
