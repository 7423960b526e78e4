"""/status — the bot's rights here, the group's policy, quiet mode and pending timers."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from rules.durations import format_duration


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    own = tools.own_id(event.platform)
    admins = await tools.admins.platform_admins(event.platform, event.chat_id)
    info = admins.get(own) if own else None
    rights = (
        ", ".join(sorted(info.rights)) if info and info.rights else tools.t("command.word_none")
    )
    if info is not None and info.is_owner:
        rights = "owner"
    policy = tools.policy(event)
    group_quiet = await tools.store.write(
        lambda r: r.touch_group(event.platform, event.chat_id, event.chat_title, tools.clock.now())
    )
    timers = await tools.store.read(lambda r: r.armed_timers())
    mine = [t for t in timers if t.platform == event.platform and t.chat_id == event.chat_id]
    timer_text = ", ".join(f"{t.kind}@{t.due_at:%m-%d %H:%M}" for t in mine[:10]) or tools.t(
        "command.word_none"
    )
    ladder = "\n".join(
        f"{tools.t('category.' + name)}: "
        + " → ".join("+".join(str(a) for a in step) for step in cat.steps)
        for name, cat in policy.categories.items()
        if cat.enabled
    )
    yes, no = tools.t("command.word_yes"), tools.t("command.word_no")
    return [
        tools.t(
            "command.status",
            rights=rights,
            nickname=yes if policy.nickname.enabled else no,
            grace=format_duration(policy.nickname.grace_period),
            quiet=yes if group_quiet else no,
            timers=timer_text,
            ladder=ladder,
        )
    ]


COMMAND = CommandSpec("status", "/status", True, run)
