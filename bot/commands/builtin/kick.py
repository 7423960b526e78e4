"""/kick — 清移出群: removed, may rejoin."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, args = await tools.resolve_target(event, spec)
    await tools.act(event, spec, target, (Action(ActionKind.REMOVE),), reason=" ".join(args))
    return []


COMMAND = CommandSpec(
    "kick", "/kick [原因/reason]", True, run, RIGHT_RESTRICT, protects_admins=True
)
