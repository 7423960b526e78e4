"""The directory as the rest of the bot uses it: seeded from config on start, then asked who
a platform account is and who holds a role for a unit (walking up to the parent units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from bot.config import Settings
from storage.directory import DirectoryRepository, PersonRow, RegistryRow
from storage.store import Store


@dataclass(frozen=True, slots=True)
class RoleHolder:
    role: str
    unit: str  # the unit where the role was found (the filing's unit or a parent)
    person: PersonRow


class Directory:
    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    async def seed(self, now: datetime) -> list[RegistryRow]:
        """Bring units, people and the config's groups into the database; returns the
        registry afterwards. Runs on every start, so config edits take effect."""
        directory = self._settings.directory

        async def work(r) -> list[RegistryRow]:  # type: ignore[no-untyped-def]
            d = DirectoryRepository(r.c)
            await d.seed_units((u.name, u.parent, dict(u.roles)) for u in directory.units)
            await d.seed_people(
                (p.name, p.unit, p.title, [(a.platform, a.user_id) for a in p.accounts])
                for p in directory.people
            )
            for group in self._settings.groups:
                await d.seed_group(
                    group.platform,
                    group.chat_id,
                    now,
                    name=group.name,
                    unit=group.unit,
                    responsible=group.responsible,
                    admins=list(group.admins),
                    group_class=group.group_class,
                    term="temporary" if group.ends else "standing",
                    ends_on=group.ends,
                    member_cap=group.member_cap,
                    status=group.filing,
                )
            return await d.groups()

        return await self._store.write(work)

    async def who(self, platform: str, user_id: str) -> PersonRow | None:
        return await self._store.read(
            lambda r: DirectoryRepository(r.c).person_by_account(platform, user_id)
        )

    async def person(self, name: str) -> PersonRow | None:
        return await self._store.read(lambda r: DirectoryRepository(r.c).person(name))

    async def holder(self, role: str, unit: str | None) -> RoleHolder | None:
        """Who holds ``role`` for ``unit``: the unit's own holder, else its parent's, up to
        the top; then any unit naming the role (a deployment with one director)."""

        async def work(r) -> RoleHolder | None:  # type: ignore[no-untyped-def]
            d = DirectoryRepository(r.c)
            seen: set[str] = set()
            at = await d.unit(unit) if unit else None
            while at is not None and at.name not in seen:
                seen.add(at.name)
                if role in at.roles and (person := await d.person(at.roles[role])):
                    return RoleHolder(role, at.name, person)
                at = await d.unit(at.parent) if at.parent else None
            for other in await d.units():
                person = await d.person(other.roles[role]) if role in other.roles else None
                if other.parent is None and person is not None:
                    return RoleHolder(role, other.name, person)
            return None

        return await self._store.read(work)

    async def group(self, platform: str, chat_id: str) -> RegistryRow | None:
        return await self._store.read(lambda r: DirectoryRepository(r.c).group(platform, chat_id))

    def end_of(self, day: object) -> datetime:
        """A temporary group's last day ends at midnight, in the configured zone."""
        assert hasattr(day, "year")
        local = datetime.combine(day, time(23, 59), tzinfo=self._settings.zone)  # type: ignore[arg-type]
        return local.astimezone(UTC)
