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
    # What the reporter typed (/report 他在群里约赌) is why they report: admins read it.
    reason = mask_pii(" ".join(a for a in event.args if not a.startswith("@"))[:200])
    if reason:
        text += "\n" + tools.t("words.report_reason", reason=reason)
    told = await tools.executor.notify_admins(event.platform, event.chat_id, text)
    detail = "told: " + ",".join(told) + (f"; reason: {reason}" if reason else "")
    await tools.record(event, spec, replied.sender, "done", detail)
    return [tools.t("notice.report_thanks")]


COMMAND = CommandSpec("report", "/report (reply)", False, run, article="R2 Art.11")
