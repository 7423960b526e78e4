"""/help — generated from the command registry: what this person may use, in the configured
language (each command's line is the catalogue key ``help.<name>``)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    admin = await tools.admins.is_admin(event.platform, event.chat_id, event.sender)
    lines = [
        tools.t(f"help.{command.name}") for command in tools.registry if admin or not command.admin
    ]
    head = tools.t("command.help_admin_head" if admin else "command.help_member_head")
    return [head + "\n" + "\n".join(lines)]


COMMAND = CommandSpec("help", "/help", False, run)
