"""Config for the directory and governance (issue 9 item 4, issue 11): units (with parent)
and people (with accounts and roles), the approval chains, reminder times, temporary groups
and dissolution. A module of its own so ``bot.config`` imports it without a cycle.

Roles are held per unit (``units[].roles``): the approver of a step is looked up in the
filing's unit, then its parent, and so on — a deputy director (分管主任) is named per
department while the director (主任) and the IT department's registrar sit at the top unit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.policy import Duration, _identifier

# The roles the approval chains name (R2 Art.9-10). A deployment may add its own.
ROLES = ("deputy_director", "office_meeting", "director", "registrar")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSettings(_Section):
    name: str
    parent: str | None = None
    # role → the real name of the person holding it for this unit and the units under it.
    roles: dict[str, str] = Field(default_factory=dict)


class AccountSettings(_Section):
    platform: str
    user_id: str

    @field_validator("user_id", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return _identifier(value)


class PersonSettings(_Section):
    name: str  # real name (实名)
    unit: str | None = None
    title: str | None = None  # e.g. 分管主任, shown next to the name
    accounts: tuple[AccountSettings, ...] = ()


class DirectorySettings(_Section):
    units: tuple[UnitSettings, ...] = ()
    people: tuple[PersonSettings, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> DirectorySettings:
        units = {u.name for u in self.units}
        if len(units) != len(self.units):
            raise ValueError("units: a unit name is listed twice")
        people = {p.name for p in self.people}
        if len(people) != len(self.people):
            raise ValueError("people: a person's name is listed twice")
        for unit in self.units:
            if unit.parent is not None and unit.parent not in units:
                raise ValueError(f"units: {unit.name}: parent {unit.parent!r} is not a unit")
            for role, person in unit.roles.items():
                if person not in people:
                    raise ValueError(f"units: {unit.name}: {role} {person!r} is not in people")
        for person in self.people:
            if person.unit is not None and person.unit not in units:
                raise ValueError(f"people: {person.name}: unit {person.unit!r} is not a unit")
        seen: set[tuple[str, str]] = set()
        for person in self.people:
            for account in person.accounts:
                key = (account.platform, account.user_id)
                if key in seen:
                    raise ValueError(f"people: account {key[0]}:{key[1]} belongs to two people")
                seen.add(key)
        for unit in self.units:  # a parent loop would make role look-ups endless
            chain, at = set(), unit
            while at.parent is not None:
                if at.name in chain:
                    raise ValueError(f"units: {unit.name}: its parents form a loop")
                chain.add(at.name)
                at = next(u for u in self.units if u.name == at.parent)
        return self


# R2 Art.9 (一) internal, (二) external; Art.10 temporary (≤ 15 days): deputy director only.
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {
    "internal": ("deputy_director", "director", "registrar"),
    "external": ("deputy_director", "office_meeting", "director", "registrar"),
    "temporary": ("deputy_director",),
}


class GovernanceSettings(_Section):
    enabled: bool = True
    # Which roles approve, in order, per class of group. The submission itself is step zero
    # (使用部门填报) and is not listed.
    chains: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_CHAINS))
    # A step left waiting this long is sent to its approver again ...
    step_reminder_after: Duration = timedelta(days=2)
    # ... and this long after it was requested, to the person holding escalate_to_role (or,
    # when that is the approver already, to the tier-1 supervisors).
    step_escalate_after: Duration = timedelta(days=4)
    escalate_to_role: str = "director"
    # R2 Art.10: a temporary group lives at most this long from its approval.
    temporary_max_days: int = 15
    temporary_remind_before: Duration = timedelta(days=1)
    # Not cancelled this long after its end date → reported to the tier-1 supervisors.
    temporary_escalate_after: Duration = timedelta(days=3)
    # R1 Art.14: a group without messages this long is reminded to dissolve ...
    inactive_after: Duration = timedelta(days=30)
    # ... and this long after a dissolution reminder (inactivity, end date, approved cancel)
    # the bot stops serving it and reports it.
    dissolve_after: Duration = timedelta(days=7)
    # Groups the bot is added to without a registry record: tell their admins once.
    notify_unfiled: bool = True
    # Tiered management (G5, R1 Art.13): policy defaults per class of group, merged over the
    # top-level policy and under a group's own overrides (same keys as ``policy``).
    class_policy: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("chains")
    @classmethod
    def _chains(cls, chains: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name in DEFAULT_CHAINS:
            if name not in chains:
                raise ValueError(f"a chain for {name} groups is required")
            if not chains[name]:
                raise ValueError(f"the {name} chain needs at least one step")
        return chains

    @field_validator("class_policy")
    @classmethod
    def _classes(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        unknown = sorted(set(value) - {"internal", "external"})
        if unknown:
            raise ValueError(f"{unknown[0]}: the classes are internal and external")
        return value

    @field_validator("temporary_max_days")
    @classmethod
    def _days(cls, value: int) -> int:
        if not 1 <= value <= 366:
            raise ValueError("must be between 1 and 366 days")
        return value
