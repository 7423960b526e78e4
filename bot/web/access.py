"""Who may see what in the web console. Roles come from the directory, never from the
session: a role handed over in config takes effect at the next request.

- registrar (信息技术部, the ``registrar`` role): every group;
- supervisor (holds any role of a unit): that unit and the units under it — a role of a top
  unit (no parent) covers every group, registered or not;
- approver (holds a role some approval chain names): the filings waiting for them;
- admin (named as a group's responsible person or admin): those groups.

Acting on a group's public-opinion incident (advancing its stage, the proposed handling, a
major risk) is for its admins — as ``/incident`` in the chat — and for the supervisors of its
unit (分管主任 decides the handling, R2 Art.19); the registrar role reads but does not act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.config import Settings
from storage.directory import PersonRow, RegistryRow

REGISTRAR = "registrar"
# The settings page: the registrar files groups against them, admins run groups under them.
SETTINGS_ROLES = frozenset({REGISTRAR, "admin"})


@dataclass(frozen=True, slots=True)
class Viewer:
    name: str
    unit: str | None
    roles: frozenset[str]  # supervisor / approver / admin / registrar
    units: frozenset[str]  # units whose groups a supervisor sees
    everything: bool  # registrar, or a role of a top unit
    supervises: frozenset[str] = frozenset()  # units under a role other than registrar

    def may_see(self, group: RegistryRow) -> bool:
        if self.everything:
            return True
        if group.unit is not None and group.unit in self.units:
            return True
        return self.name == group.responsible or self.name in group.admins

    def may_act(self, group: RegistryRow) -> bool:
        if self.name == group.responsible or self.name in group.admins:
            return True
        return group.unit is not None and group.unit in self.supervises

    @property
    def reads_settings(self) -> bool:
        return bool(self.roles & SETTINGS_ROLES)

    def may_see_unit(self, unit: str | None) -> bool:
        return self.everything or (unit is not None and unit in self.units)


def _below(parents: Mapping[str, str | None], top: str) -> set[str]:
    """``top`` and every unit under it (a cycle in config cannot loop forever)."""
    found = {top}
    grew = True
    while grew:
        grew = False
        for unit, parent in parents.items():
            if parent in found and unit not in found:
                found.add(unit)
                grew = True
    return found


def viewer_for(person: PersonRow, settings: Settings, groups: Iterable[RegistryRow]) -> Viewer:
    units = settings.directory.units
    parents = {u.name: u.parent for u in units}
    chain_roles = {role for steps in settings.governance.chains.values() for role in steps}
    roles: set[str] = set()
    seen: set[str] = set()
    supervises: set[str] = set()
    everything = False
    for unit in units:
        held = {role for role, name in unit.roles.items() if name == person.name}
        if not held:
            continue
        roles.add("supervisor")
        seen |= _below(parents, unit.name)
        if held - {REGISTRAR}:
            supervises |= _below(parents, unit.name)
        if unit.parent is None:
            everything = True
        if held & chain_roles:
            roles.add("approver")
        if REGISTRAR in held:
            roles.add(REGISTRAR)
            everything = True
    if any(person.name == g.responsible or person.name in g.admins for g in groups):
        roles.add("admin")
    return Viewer(
        person.name,
        person.unit,
        frozenset(roles),
        frozenset(seen),
        everything,
        frozenset(supervises),
    )
