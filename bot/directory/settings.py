"""Config for the directory: units (with parent) and people (with accounts and roles).

Roles are held per unit (``units[].roles``): the approver of a step is looked up in the
filing's unit, then its parent, and so on — a deputy director (分管主任) is named per
department while the director (主任) and the IT department's registrar sit at the top unit.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.policy import _identifier

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
