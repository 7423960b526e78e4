"""/status — the bot's rights here, the group's policy, quiet mode and pending timers."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.registry_text import registry_text
from storage.directory import DirectoryRepository


async def run(tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
    own = tools.own_id(event.platform)
    admins = await tools.admins.platform_admins(event.platform, event.chat_id)
    info = admins.get(own) if own else None
    texts = tools.executor.texts
    rights = (
        "、".join(texts.right(r) for r in sorted(info.rights))
        if info and info.rights
        else tools.t("command.word_none")
    )
    if info is not None and info.is_owner:
        rights = texts.right("owner")
    policy = tools.policy(event)
    group_quiet = await tools.store.write(
        lambda r: r.touch_group(event.platform, event.chat_id, event.chat_title, tools.clock.now())
    )
    timers = await tools.store.read(lambda r: r.armed_timers())
    mine = [t for t in timers if t.platform == event.platform and t.chat_id == event.chat_id]
    # Timers and ladders in words and local time: admins read 限制发言到期 12-02 14:16,
    # not mute_expiry@12-02 06:16.
    timer_text = "、".join(
        f"{tools.t('timer.' + t.kind) if tools.catalogue.has('timer.' + t.kind) else t.kind}"
        f" {texts.local(t.due_at)}"
        for t in mine[:10]
    ) or tools.t("command.word_none")
    ladder = "\n".join(
        f"{tools.t('category.' + name)}: " + " → ".join(texts.chain(step) for step in cat.steps)
        for name, cat in policy.categories.items()
        if cat.enabled
    )
    unstaffed = tools.settings.unstaffed_tiers()
    if unstaffed:
        ladder += "\n" + tools.t("words.tier_unstaffed", tiers="、".join(str(n) for n in unstaffed))
    yes, no = tools.t("command.word_yes"), tools.t("command.word_no")
    # The group's registry record and filing status in words (G1, G5), first.
    group = await tools.store.read(
        lambda r: DirectoryRepository(r.c).group(event.platform, event.chat_id)
    )
    registry = tools.t("governance.status_unregistered")
    if group is not None:
        registry = registry_text(group, tools.t, tools.settings.zone)
    return [
        registry
        + "\n"
        + tools.t(
            "command.status",
            rights=rights,
            nickname=yes if policy.nickname.enabled else no,
            grace=tools.catalogue.duration(policy.nickname.grace_period),
            quiet=yes if group_quiet else no,
            timers=timer_text,
            ladder=ladder,
        )
    ]


COMMAND = CommandSpec("status", "/status", True, run)
