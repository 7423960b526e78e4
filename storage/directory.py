"""The directory aggregate: units, people with their platform accounts, the group registry
and hand-overs. Each method runs on the caller's connection, inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import journal
from storage.models import Handover, Person, PersonAccount, RegisteredGroup, Unit


@dataclass(frozen=True, slots=True)
class UnitRow:
    name: str
    parent: str | None
    roles: dict[str, str]


@dataclass(frozen=True, slots=True)
class PersonRow:
    name: str
    unit: str | None
    title: str | None
    accounts: tuple[tuple[str, str], ...]  # (platform, user id)


@dataclass(frozen=True, slots=True)
class RegistryRow:
    platform: str
    chat_id: str
    name: str | None
    unit: str | None
    responsible: str | None
    admins: tuple[str, ...]
    group_class: str
    term: str
    ends_on: date | None
    member_cap: int | None
    status: str
    source: str
    created_at: datetime
    last_activity_at: datetime | None
    unfiled_notice_at: datetime | None
    service_stopped_at: datetime | None


@dataclass(frozen=True, slots=True)
class HandoverRow:
    platform: str
    chat_id: str
    role: str
    old: str | None
    new: str
    by: str
    via: str
    at: datetime


_REGISTRY = select(
    RegisteredGroup.platform,
    RegisteredGroup.chat_id,
    RegisteredGroup.name,
    RegisteredGroup.unit,
    RegisteredGroup.responsible,
    RegisteredGroup.admins,
    RegisteredGroup.group_class,
    RegisteredGroup.term,
    RegisteredGroup.ends_on,
    RegisteredGroup.member_cap,
    RegisteredGroup.status,
    RegisteredGroup.source,
    RegisteredGroup.created_at,
    RegisteredGroup.last_activity_at,
    RegisteredGroup.unfiled_notice_at,
    RegisteredGroup.service_stopped_at,
)


def _registry_row(row: Any) -> RegistryRow:
    values = list(row)
    values[5] = tuple(values[5] or ())
    return RegistryRow(*values)


class DirectoryRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    def _insert_ignore(self, table: Any) -> Any:
        return (pg_insert if self.c.dialect.name == "postgresql" else sqlite_insert)(table)

    # --- units ---------------------------------------------------------------------------
    async def seed_units(self, units: Iterable[tuple[str, str | None, dict[str, str]]]) -> None:
        """Config is the source of units: each start brings the table in line with it."""
        for name, parent, roles in units:
            found = (await self.c.execute(select(Unit.id).where(Unit.name == name))).first()
            if found is None:
                await self.c.execute(insert(Unit).values(name=name, parent=parent, roles=roles))
            else:
                await self.c.execute(
                    update(Unit).where(Unit.id == found.id).values(parent=parent, roles=roles)
                )

    async def unit(self, name: str) -> UnitRow | None:
        row = (
            await self.c.execute(
                select(Unit.name, Unit.parent, Unit.roles).where(Unit.name == name)
            )
        ).first()
        return UnitRow(row.name, row.parent, dict(row.roles or {})) if row else None

    async def units(self) -> list[UnitRow]:
        rows = await self.c.execute(select(Unit.name, Unit.parent, Unit.roles).order_by(Unit.id))
        return [UnitRow(r.name, r.parent, dict(r.roles or {})) for r in rows.all()]

    # --- people --------------------------------------------------------------------------
    async def seed_people(
        self, people: Iterable[tuple[str, str | None, str | None, Sequence[tuple[str, str]]]]
    ) -> None:
        for name, unit, title, accounts in people:
            found = (await self.c.execute(select(Person.id).where(Person.name == name))).first()
            if found is None:
                result = await self.c.execute(
                    insert(Person).values(name=name, unit=unit, title=title).returning(Person.id)
                )
                person_id = int(result.scalar_one())
            else:
                person_id = found.id
                await self.c.execute(
                    update(Person).where(Person.id == person_id).values(unit=unit, title=title)
                )
            await self.c.execute(delete(PersonAccount).where(PersonAccount.person_id == person_id))
            for platform, user_id in accounts:
                await self.c.execute(
                    insert(PersonAccount).values(
                        person_id=person_id, platform=platform, user_id=user_id
                    )
                )

    async def _person(self, where: Any) -> PersonRow | None:
        row = (
            await self.c.execute(
                select(Person.id, Person.name, Person.unit, Person.title).where(where)
            )
        ).first()
        if row is None:
            return None
        accounts = await self.c.execute(
            select(PersonAccount.platform, PersonAccount.user_id)
            .where(PersonAccount.person_id == row.id)
            .order_by(PersonAccount.id)
        )
        return PersonRow(row.name, row.unit, row.title, tuple((a, b) for a, b in accounts.all()))

    async def person(self, name: str) -> PersonRow | None:
        return await self._person(Person.name == name)

    async def person_by_account(self, platform: str, user_id: str) -> PersonRow | None:
        found = (
            await self.c.execute(
                select(PersonAccount.person_id).where(
                    PersonAccount.platform == platform, PersonAccount.user_id == user_id
                )
            )
        ).first()
        return await self._person(Person.id == found.person_id) if found else None

    async def people(self) -> list[PersonRow]:
        names = (await self.c.execute(select(Person.name).order_by(Person.id))).scalars().all()
        return [p for n in names if (p := await self.person(n)) is not None]

    # --- group registry ------------------------------------------------------------------
    async def group(self, platform: str, chat_id: str) -> RegistryRow | None:
        row = (
            await self.c.execute(
                _REGISTRY.where(
                    RegisteredGroup.platform == platform, RegisteredGroup.chat_id == chat_id
                )
            )
        ).first()
        return _registry_row(row) if row else None

    async def groups(self, status: str | None = None) -> list[RegistryRow]:
        stmt = _REGISTRY.order_by(RegisteredGroup.id)
        if status is not None:
            stmt = stmt.where(RegisteredGroup.status == status)
        return [_registry_row(r) for r in (await self.c.execute(stmt)).all()]

    async def seed_group(self, platform: str, chat_id: str, at: datetime, **fields: Any) -> bool:
        """A group from config. Config describes it until a filing changes it: after that the
        registry is the record and config no longer overwrites it. True when newly added."""
        found = await self.group(platform, chat_id)
        if found is None:
            await self.c.execute(
                insert(RegisteredGroup).values(
                    platform=platform,
                    chat_id=chat_id,
                    source="config",
                    created_at=at,
                    last_activity_at=at,
                    **fields,
                )
            )
            return True
        if found.source == "config":
            fields.pop("status", None)  # a status reached by the workflow is kept
            await self.update_group(platform, chat_id, **fields)
        return False

    async def add_seen_group(
        self, platform: str, chat_id: str, name: str | None, at: datetime
    ) -> bool:
        """A group the bot found itself in without a record: unfiled. True the first time."""
        stmt = (
            self._insert_ignore(RegisteredGroup)
            .values(
                platform=platform,
                chat_id=chat_id,
                name=name,
                admins=[],
                group_class="internal",
                term="standing",
                status="unfiled",
                source="seen",
                created_at=at,
                last_activity_at=at,
            )
            .on_conflict_do_nothing()
        )
        return (await self.c.execute(stmt)).rowcount == 1

    async def update_group(self, platform: str, chat_id: str, **fields: Any) -> None:
        if not fields:
            return
        await self.c.execute(
            update(RegisteredGroup)
            .where(RegisteredGroup.platform == platform, RegisteredGroup.chat_id == chat_id)
            .values(**fields)
        )

    async def claim_unfiled_notice(self, platform: str, chat_id: str, at: datetime) -> bool:
        """True once per group: its admins are told it is unfiled exactly once."""
        result = await self.c.execute(
            update(RegisteredGroup)
            .where(
                RegisteredGroup.platform == platform,
                RegisteredGroup.chat_id == chat_id,
                RegisteredGroup.unfiled_notice_at.is_(None),
            )
            .values(unfiled_notice_at=at)
        )
        return result.rowcount == 1

    # --- hand-overs ----------------------------------------------------------------------
    async def add_handover(self, **values: Any) -> None:
        result = await self.c.execute(insert(Handover).values(**values).returning(Handover.id))
        # A change of responsible person or admin is a kept record (L1): in the chain.
        await journal.mirror(
            self.c, "handover", Handover.__table__, result.scalar_one(), at=values["at"]
        )

    async def handovers(self, platform: str, chat_id: str) -> list[HandoverRow]:
        rows = await self.c.execute(
            select(
                Handover.platform,
                Handover.chat_id,
                Handover.role,
                Handover.old,
                Handover.new,
                Handover.by,
                Handover.via,
                Handover.at,
            )
            .where(Handover.platform == platform, Handover.chat_id == chat_id)
            .order_by(Handover.id)
        )
        return [HandoverRow(*r) for r in rows.all()]
