"""Importing a parsed roster: one transaction, so a failure part-way leaves the roster as it
was. Re-import updates people in place (keyed by 姓名 + 单位 + 部门). People newly marked
调离/离职 are handed to the running bot through a timer due at once (the command line talks
to no platform), which reminds them and their groups' owners (R1 Art.14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.workflows.members.roster_file import Parsed, Rejected
from bot.workflows.members.service import LEFT_POST
from storage.repository import Repository
from storage.roster import ACTIVE, RosterPerson, RosterRepository
from storage.store import Store

# The timer for the running bot needs a place; a roster is not a group's.
ROSTER_PLATFORM, ROSTER_CHAT = "roster", "import"


@dataclass(frozen=True, slots=True)
class Imported:
    row: int
    person: RosterPerson
    changed: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportResult:
    added: list[Imported] = field(default_factory=list)
    changed: list[Imported] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    left_post: list[int] = field(default_factory=list)  # entry ids newly 调离/离职


class _DryRun(Exception):
    """Rolls the transaction back after the work, carrying what it would have done."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


async def import_roster(
    store: Store, parsed: Parsed, now: datetime, *, dry_run: bool = False
) -> ImportResult:
    async def work(r: Repository) -> ImportResult:
        roster = RosterRepository(r.c)
        result = ImportResult(rejected=list(parsed.rejected))
        names = await _names(roster)
        for row, person in parsed.people:
            taken = await _taken_account(roster, person, names)
            if taken is not None:
                result.rejected.append(taken(row))
                continue
            applied = await roster.apply(person, now)
            if applied.outcome == "added":
                result.added.append(Imported(row, person))
            elif applied.outcome == "changed":
                result.changed.append(Imported(row, person, applied.changed))
            else:
                result.unchanged += 1
            if (
                applied.outcome == "changed"
                and "status" in applied.changed
                and applied.old_status == ACTIVE
            ):
                result.left_post.append(applied.entry_id)
        result.rejected.sort(key=lambda x: x.row)
        if result.left_post and not dry_run:
            await r.arm_timer(
                LEFT_POST,
                ROSTER_PLATFORM,
                ROSTER_CHAT,
                None,
                now,
                now,
                {"entries": result.left_post},
                replace=False,
            )
        if dry_run:
            raise _DryRun(result)
        return result

    try:
        return await store.write(work)
    except _DryRun as done:
        return done.result


async def _names(roster: RosterRepository) -> dict[int, tuple[str, str, str]]:
    return {e.id: (e.name, e.unit, e.department) for e in await roster.entries()}


async def _taken_account(
    roster: RosterRepository, person: RosterPerson, names: dict[int, tuple[str, str, str]]
) -> Callable[[int], Rejected] | None:
    """An account already on the roster under someone else: the row is rejected rather than
    the account silently moved (which would re-identify a member)."""
    key = (person.name, person.unit, person.department)
    for platform, user_id in person.accounts:
        owner = await roster.account_owner(platform, user_id)
        if owner is not None and names.get(owner) != key:
            other = names.get(owner, ("?", "", ""))[0]
            params = {"platform": platform, "value": user_id, "owner": other}
            return lambda row, p=params: Rejected(row, "members.row_account_taken", p)
    return None
