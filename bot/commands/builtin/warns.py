"""/warns — the member's offences inside the policy window."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from rules.durations import format_duration


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, _ = await tools.resolve_target(event, spec)
    window = tools.policy(event).window
    since = tools.clock.now() - window
    rows = await tools.store.read(
        lambda r: r.active_offences(event.platform, event.chat_id, target.user_id, since)
    )
    if not rows:
        return [tools.t("command.no_warns", member=target.nickname, window=format_duration(window))]
    lines = "\n".join(
        f"- {at:%Y-%m-%d %H:%M} {tools.t('category.' + c)} ({a})" for c, a, at in rows
    )
    return [
        tools.t(
            "command.warns_list",
            member=target.nickname,
            window=format_duration(window),
            count=len(rows),
            lines=lines,
        )
    ]


COMMAND = CommandSpec("warns", "/warns", True, run)
