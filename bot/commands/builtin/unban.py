"""/unban — lift a blacklisting in every managed group."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, _ = await tools.resolve_target(event, spec)
    await tools.act(event, spec, target, (Action(ActionKind.UNBLACKLIST),))
    return [tools.t("notice.unblacklisted", member=target.nickname)]


COMMAND = CommandSpec("unban", "/unban", True, run, RIGHT_RESTRICT, "R1 Art.8", cross_group=True)
