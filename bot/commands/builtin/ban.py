"""/ban — 纳入黑名单: removed from every managed group and kept out (R1 Art.8)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, args = await tools.resolve_target(event, spec)
    await tools.act(event, spec, target, (Action(ActionKind.BLACKLIST),), reason=" ".join(args))
    return []


COMMAND = CommandSpec(
    "ban",
    "/ban [原因/reason]",
    True,
    run,
    RIGHT_RESTRICT,
    "R1 Art.8",
    protects_admins=True,
    cross_group=True,
)
