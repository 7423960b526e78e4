"""/warns — the member's offences inside the policy window."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    target, _ = await tools.resolve_target(event, spec)
    window = tools.policy(event).window
    since = tools.clock.now() - window
    rows = await tools.store.read(
        lambda r: r.active_offences(event.platform, event.chat_id, target.user_id, since)
    )
    if not rows:
        return [
            tools.t(
                "command.no_warns", member=target.nickname, window=tools.catalogue.duration(window)
            )
        ]
    texts = tools.executor.texts
    lines = "\n".join(
        f"- {texts.local(at)} {tools.t('category.' + c)}（{tools.catalogue.article(a)}）"
        for c, a, at in rows
    )
    return [
        tools.t(
            "command.warns_list",
            member=target.nickname,
            window=tools.catalogue.duration(window),
            count=len(rows),
            lines=lines,
        )
    ]


COMMAND = CommandSpec("warns", "/warns", True, run)
