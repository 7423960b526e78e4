"""Which commands exist, who may use them, and their usage lines."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import RIGHT_RESTRICT


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    admin: bool  # admins only
    right: str | None = None  # the platform right an admin needs
    needs_target: bool = False


COMMANDS = {
    spec.name: spec
    for spec in (
        CommandSpec("warn", "/warn [原因/reason]", True, RIGHT_RESTRICT, True),
        CommandSpec("unwarn", "/unwarn", True, RIGHT_RESTRICT, True),
        CommandSpec("warns", "/warns", True, None, True),
        CommandSpec("mute", "/mute <10m|2h|3d> [原因/reason]", True, RIGHT_RESTRICT, True),
        CommandSpec("unmute", "/unmute", True, RIGHT_RESTRICT, True),
        CommandSpec("kick", "/kick [原因/reason]", True, RIGHT_RESTRICT, True),
        CommandSpec("ban", "/ban [原因/reason]", True, RIGHT_RESTRICT, True),
        CommandSpec("unban", "/unban", True, RIGHT_RESTRICT, True),
        CommandSpec("quiet", "/quiet on|off|<2h>|<22:00>", True, RIGHT_RESTRICT),
        CommandSpec("check", "/check (reply)", True),
        CommandSpec("status", "/status", True),
        CommandSpec("rules", "/rules", False),
        CommandSpec("help", "/help", False),
        CommandSpec("report", "/report (reply)", False),
    )
}
