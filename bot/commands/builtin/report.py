"""/report — a member reports a message to the group's admins (R2 Art.11)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandError, CommandTools
from bot.events import CommandIssued
from rules.masking import mask_pii


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    replied = event.replied
    if replied is None:
        raise CommandError(tools.t("command.report_needs_reply"))
    text = tools.t(
        "notice.report_admin",
        reporter=event.sender.nickname,
        member=replied.sender.nickname,
        excerpt=mask_pii(replied.text[:100]),
    )
    told = await tools.executor.notify_admins(event.platform, event.chat_id, text)
    await tools.record(event, spec, replied.sender, "done", "told: " + ",".join(told))
    return [tools.t("notice.report_thanks")]


COMMAND = CommandSpec("report", "/report (reply)", False, run, article="R2 Art.11")
