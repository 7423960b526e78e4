"""/check — which content rules a message hits, and why (personal data masked)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandError, CommandTools
from bot.events import CommandIssued
from rules.detection.report import format_hits
from rules.masking import mask_pii


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    replied = event.replied
    text = replied.text if replied else " ".join(event.args)
    if not text:
        raise CommandError(tools.t("command.check_needs_reply"))
    hits = tools.detector().detect(
        text,
        forwarded=bool(replied and replied.forwarded),
        forward_origin=replied.forward_origin if replied else None,
        media_kind=replied.media_kind if replied else None,
    )
    if not hits:
        return [tools.t("command.check_clean")]
    return [tools.t("command.check_hits", lines=mask_pii(format_hits(text, hits)))]


COMMAND = CommandSpec("check", "/check (reply)", True, run)
