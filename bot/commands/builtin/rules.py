"""/rules — the group's rules (config ``groups[].rules_text``, else the regulation's gist)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    group = tools.settings.group(event.platform, event.chat_id)
    return [group.rules_text if group and group.rules_text else tools.t("command.rules_default")]


COMMAND = CommandSpec("rules", "/rules", False, run)
