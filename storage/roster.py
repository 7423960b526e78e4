"""The members aggregate: the roster (名册) with its platform accounts, flagged members, when
members last spoke, and lost accounts. Each method runs on the caller's connection, inside its
transaction — a roster import is one transaction, so a failure leaves nothing half-imported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import LostAccount, MemberActivity, MemberFlag, RosterAccount, RosterEntry

# Roster statuses as stored; the file says 在岗 / 调离 / 离职.
ACTIVE, TRANSFERRED, DEPARTED = "active", "transferred", "departed"


@dataclass(frozen=True, slots=True)
class RosterPerson:
    """One roster entry as imported (phone already masked: the full number is never kept)."""

    name: str
    unit: str
    department: str
    title: str | None
    phone_masked: str | None
    status: str
    accounts: tuple[tuple[str, str], ...]  # (platform, user id)


@dataclass(frozen=True, slots=True)
class RosterRow(RosterPerson):
    id: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Applied:
    """What one roster record did to the table: added, changed (which fields) or unchanged."""

    outcome: str  # added / changed / unchanged
    entry_id: int
    changed: tuple[str, ...] = ()
    old_status: str | None = None


@dataclass(frozen=True, slots=True)
class FlagRow:
    id: int
    platform: str
    chat_id: str
    user_id: str
    nickname: str
    kind: str
    detail: str
    status: str
    flagged_at: datetime
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class LostRow:
    id: int
    platform: str
    user_id: str
    nickname: str
    kind: str
    reported_by: str
    reported_in: str
    reported_at: datetime
    status: str
    found_by: str | None
    found_at: datetime | None


_ENTRY = select(
    RosterEntry.id,
    RosterEntry.name,
    RosterEntry.unit,
    RosterEntry.department,
    RosterEntry.title,
    RosterEntry.phone_masked,
    RosterEntry.status,
    RosterEntry.updated_at,
)
_FLAG = select(
    MemberFlag.id,
    MemberFlag.platform,
    MemberFlag.chat_id,
    MemberFlag.user_id,
    MemberFlag.nickname,
    MemberFlag.kind,
    MemberFlag.detail,
    MemberFlag.status,
    MemberFlag.flagged_at,
    MemberFlag.decided_by,
    MemberFlag.decided_at,
)
_LOST = select(
    LostAccount.id,
    LostAccount.platform,
    LostAccount.user_id,
    LostAccount.nickname,
    LostAccount.kind,
    LostAccount.reported_by,
    LostAccount.reported_in,
    LostAccount.reported_at,
    LostAccount.status,
    LostAccount.found_by,
    LostAccount.found_at,
)


class RosterRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    def _insert_ignore(self, table: Any) -> Any:
        return (pg_insert if self.c.dialect.name == "postgresql" else sqlite_insert)(table)

    # --- roster --------------------------------------------------------------------------
    async def _accounts(self, entry_id: int) -> tuple[tuple[str, str], ...]:
        rows = await self.c.execute(
            select(RosterAccount.platform, RosterAccount.user_id)
            .where(RosterAccount.entry_id == entry_id)
            .order_by(RosterAccount.platform, RosterAccount.user_id)
        )
        return tuple((p, u) for p, u in rows.all())

    async def _row(self, row: Any) -> RosterRow:
        return RosterRow(
            name=row.name,
            unit=row.unit,
            department=row.department,
            title=row.title,
            phone_masked=row.phone_masked,
            status=row.status,
            accounts=await self._accounts(row.id),
            id=row.id,
            updated_at=row.updated_at,
        )

    async def has_entries(self) -> bool:
        return (await self.c.execute(select(RosterEntry.id).limit(1))).first() is not None

    async def entries(self) -> list[RosterRow]:
        rows = (await self.c.execute(_ENTRY.order_by(RosterEntry.id))).all()
        return [await self._row(r) for r in rows]

    async def entry(self, entry_id: int) -> RosterRow | None:
        row = (await self.c.execute(_ENTRY.where(RosterEntry.id == entry_id))).first()
        return await self._row(row) if row else None

    async def by_account(self, platform: str, user_id: str) -> RosterRow | None:
        found = (
            await self.c.execute(
                select(RosterAccount.entry_id).where(
                    RosterAccount.platform == platform, RosterAccount.user_id == user_id
                )
            )
        ).first()
        return await self.entry(found.entry_id) if found else None

    async def by_name(self, name: str) -> list[RosterRow]:
        rows = (await self.c.execute(_ENTRY.where(RosterEntry.name == name))).all()
        return [await self._row(r) for r in rows]

    async def account_owner(self, platform: str, user_id: str) -> int | None:
        found = (
            await self.c.execute(
                select(RosterAccount.entry_id).where(
                    RosterAccount.platform == platform, RosterAccount.user_id == user_id
                )
            )
        ).first()
        return int(found.entry_id) if found else None

    async def apply(self, person: RosterPerson, at: datetime) -> Applied:
        """Insert or update one person, keyed by (name, unit, department)."""
        found = (
            await self.c.execute(
                _ENTRY.where(
                    RosterEntry.name == person.name,
                    RosterEntry.unit == person.unit,
                    RosterEntry.department == person.department,
                )
            )
        ).first()
        values = {
            "title": person.title,
            "phone_masked": person.phone_masked,
            "status": person.status,
        }
        if found is None:
            result = await self.c.execute(
                insert(RosterEntry)
                .values(
                    name=person.name,
                    unit=person.unit,
                    department=person.department,
                    imported_at=at,
                    updated_at=at,
                    **values,
                )
                .returning(RosterEntry.id)
            )
            entry_id = int(result.scalar_one())
            await self._set_accounts(entry_id, person.accounts)
            return Applied("added", entry_id)
        entry_id = int(found.id)
        old = await self._row(found)
        changed = [k for k, v in values.items() if getattr(old, k) != v]
        if old.accounts != tuple(sorted(person.accounts)):
            changed.append("accounts")
        if not changed:
            return Applied("unchanged", entry_id)
        await self.c.execute(
            update(RosterEntry).where(RosterEntry.id == entry_id).values(updated_at=at, **values)
        )
        if "accounts" in changed:
            await self._set_accounts(entry_id, person.accounts)
        return Applied("changed", entry_id, tuple(changed), old.status)

    async def _set_accounts(self, entry_id: int, accounts: Sequence[tuple[str, str]]) -> None:
        await self.c.execute(delete(RosterAccount).where(RosterAccount.entry_id == entry_id))
        for platform, user_id in accounts:
            await self.c.execute(
                insert(RosterAccount).values(entry_id=entry_id, platform=platform, user_id=user_id)
            )

    # --- flags ---------------------------------------------------------------------------
    async def add_flag(self, **values: Any) -> int:
        result = await self.c.execute(
            insert(MemberFlag).values(status="open", **values).returning(MemberFlag.id)
        )
        return int(result.scalar_one())

    async def flag(self, flag_id: int) -> FlagRow | None:
        row = (await self.c.execute(_FLAG.where(MemberFlag.id == flag_id))).first()
        return FlagRow(*row) if row else None

    async def open_flags(
        self, platform: str, chat_id: str, user_id: str | None = None
    ) -> list[FlagRow]:
        stmt = _FLAG.where(
            MemberFlag.platform == platform,
            MemberFlag.chat_id == chat_id,
            MemberFlag.status == "open",
        )
        if user_id is not None:
            stmt = stmt.where(MemberFlag.user_id == user_id)
        return [FlagRow(*r) for r in (await self.c.execute(stmt.order_by(MemberFlag.id))).all()]

    async def kept(self, platform: str, chat_id: str, user_id: str) -> bool:
        """An admin has confirmed keeping this member here (确认保留): not flagged again."""
        row = (
            await self.c.execute(
                select(MemberFlag.id).where(
                    MemberFlag.platform == platform,
                    MemberFlag.chat_id == chat_id,
                    MemberFlag.user_id == user_id,
                    MemberFlag.status == "kept",
                )
            )
        ).first()
        return row is not None

    async def decide_flag(self, flag_id: int, status: str, by: str | None, at: datetime) -> bool:
        """True for the first decision only: a second press finds it decided."""
        result = await self.c.execute(
            update(MemberFlag)
            .where(MemberFlag.id == flag_id, MemberFlag.status == "open")
            .values(status=status, decided_by=by, decided_at=at)
        )
        return result.rowcount == 1

    # --- activity ------------------------------------------------------------------------
    async def touch_activity(self, platform: str, chat_id: str, user_id: str, at: datetime) -> None:
        stmt = self._insert_ignore(MemberActivity).values(
            platform=platform, chat_id=chat_id, user_id=user_id, last_message_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "chat_id", "user_id"],
            set_={"last_message_at": at},
        )
        await self.c.execute(stmt)

    async def activity(self, platform: str, chat_id: str) -> dict[str, datetime]:
        rows = await self.c.execute(
            select(MemberActivity.user_id, MemberActivity.last_message_at).where(
                MemberActivity.platform == platform, MemberActivity.chat_id == chat_id
            )
        )
        return {u: at for u, at in rows.all()}

    # --- lost accounts -------------------------------------------------------------------
    async def add_lost(self, **values: Any) -> int:
        result = await self.c.execute(
            insert(LostAccount).values(status="open", **values).returning(LostAccount.id)
        )
        return int(result.scalar_one())

    async def open_lost(self, platform: str, user_id: str) -> LostRow | None:
        row = (
            await self.c.execute(
                _LOST.where(
                    LostAccount.platform == platform,
                    LostAccount.user_id == user_id,
                    LostAccount.status == "open",
                )
            )
        ).first()
        return LostRow(*row) if row else None

    async def close_lost(self, lost_id: int, by: str, at: datetime) -> bool:
        result = await self.c.execute(
            update(LostAccount)
            .where(LostAccount.id == lost_id, LostAccount.status == "open")
            .values(status="found", found_by=by, found_at=at)
        )
        return result.rowcount == 1
