"""/unwarn — revoke the member's latest warning, so the ladder forgets it."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.ports import RIGHT_RESTRICT


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, _ = await tools.resolve_target(event, spec)
    now = tools.clock.now()
    revoked = await tools.store.write(
        lambda r: r.revoke_last_offence(event.platform, event.chat_id, target.user_id, now)
    )
    await tools.record(event, spec, target, "done" if revoked else "skipped", "")
    if not revoked:
        window = tools.catalogue.duration(tools.policy(event).window)
        return [tools.t("command.no_warns", member=target.nickname, window=window)]
    return [tools.t("command.unwarned", member=target.nickname)]


COMMAND = CommandSpec("unwarn", "/unwarn", True, run, RIGHT_RESTRICT)
