"""What a command is: its name, who may use it, and the function that runs it.

Each command is one module under ``bot/commands/builtin`` exposing ``COMMAND``; workflows may
register more. ``/help`` is generated from the registry, so a new command is listed the moment
it exists (its help line is the catalogue key ``help.<name>``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.events import CommandIssued

if TYPE_CHECKING:
    from bot.commands.tools import CommandTools

Run = Callable[["CommandTools", CommandIssued, "CommandSpec"], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    admin: bool  # admins only
    run: Run
    right: str | None = None  # the platform right an admin needs
    article: str = "R1 Art.10"  # what the journal cites for it
    protects_admins: bool = False  # acting on a member: never on an admin of the group
    cross_group: bool = False  # its effect reaches every managed group (see CommandTools)


class CommandRegistry:
    def __init__(self, specs: Iterable[CommandSpec] = ()) -> None:
        self._specs: dict[str, CommandSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: CommandSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"command /{spec.name} is registered twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs.values())
