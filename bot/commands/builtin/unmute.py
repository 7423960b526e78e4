"""/unmute — lift a restriction early."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT
from rules.actions import Action, ActionKind


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, _ = await tools.resolve_target(event, spec)
    row = await tools.store.read(lambda r: r.member(event.platform, event.chat_id, target.user_id))
    until = row.restricted_until if row else None
    if until is None or until <= tools.clock.now():
        # Nothing to lift: say so rather than announce a lifting that did not happen.
        await tools.record(event, spec, target, "skipped", "not muted")
        return [tools.t("words.not_muted", member=target.nickname)]
    await tools.act(event, spec, target, (Action(ActionKind.UNMUTE),))
    return []


COMMAND = CommandSpec("unmute", "/unmute", True, run, RIGHT_RESTRICT)
