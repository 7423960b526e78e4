"""/mute — 限制发言 for a while (30 s to 366 days)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandError, CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind
from rules.durations import DurationError, parse_bounded_duration


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, args = await tools.resolve_target(event, spec)
    if not args:
        raise tools.usage(spec)
    try:
        duration = parse_bounded_duration(args[0])
    except DurationError:
        raise CommandError(tools.t("command.bad_duration", value=args[0])) from None
    await tools.act(
        event,
        spec,
        target,
        (Action(ActionKind.MUTE, duration=duration),),
        reason=" ".join(args[1:]),
    )
    return []


COMMAND = CommandSpec(
    "mute", "/mute <10m|2h|3d> [原因/reason]", True, run, RIGHT_RESTRICT, protects_admins=True
)
