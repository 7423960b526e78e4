"""/quiet — 全员禁言 on, off, for a while, or until a time (R2 Art.22)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind
from rules.durations import MAX_DURATION, MIN_DURATION, DurationError, parse_bounded_duration


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    if len(event.args) != 1:
        raise tools.usage(spec)
    arg = event.args[0].lower()
    if arg in ("on", "开"):
        action = Action(ActionKind.QUIET)
    elif arg in ("off", "关"):
        action = Action(ActionKind.UNQUIET)
    else:
        duration = quiet_length(event.args[0], tools.settings.zone, tools.clock.now())
        if duration is None:
            raise tools.usage(spec)
        action = Action(ActionKind.QUIET, duration=duration)
    await tools.act(event, spec, None, (action,), category="quiet")
    return []


def quiet_length(arg: str, zone, now: datetime) -> timedelta | None:  # type: ignore[no-untyped-def]
    """``2h`` (a duration), ``22:00`` (the next such time) or ``2026-10-08T08:00`` (until
    then), in the configured time zone."""
    try:
        return parse_bounded_duration(arg)
    except DurationError:
        pass
    now = now.astimezone(zone)
    try:
        if len(arg) <= 5 and ":" in arg:
            hour, minute = (int(x) for x in arg.split(":"))
            until = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if until <= now:
                until += timedelta(days=1)
        else:
            until = datetime.fromisoformat(arg)
            if until.tzinfo is None:
                until = until.replace(tzinfo=zone)
    except ValueError:
        return None
    length = until - now
    return length if MIN_DURATION <= length <= MAX_DURATION else None


COMMAND = CommandSpec("quiet", "/quiet on|off|<2h>|<22:00>", True, run, RIGHT_RESTRICT, "R2 Art.22")
