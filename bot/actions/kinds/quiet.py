"""Whole-group quiet mode (全员禁言) on and off; its end is a persisted timer."""

from __future__ import annotations

from bot.actions.spec import GROUP_STATE, ActionContext, ActionSpec, Outcome
from bot.ports import RIGHT_RESTRICT
from rules.actions import ActionKind
from storage.repository import Repository


async def quiet(ctx: ActionContext) -> Outcome:
    target, services = ctx.target, ctx.services
    on = ctx.action.kind is ActionKind.QUIET
    duration = ctx.action.duration
    now = services.clock.now()

    async def record(r: Repository) -> None:
        await r.set_quiet(target.platform, target.chat_id, on)
        if on and duration:
            await r.arm_timer(
                "quiet_end", target.platform, target.chat_id, None, now + duration, now
            )
        elif not on:
            await r.cancel_timers("quiet_end", target.platform, target.chat_id, None)

    await services.store.write(record)
    fallback = not ctx.caps.quiet_group
    if not fallback:
        adapter = ctx.adapter
        assert adapter is not None
        await services.retry(lambda: adapter.set_quiet(target.chat_id, on))
    t = services.texts.t
    if on:
        until = (
            t("notice.quiet_until", until=services.texts.local(now + duration)) if duration else ""
        )
        text = t("notice.quiet_on", until=until)
    else:
        text = t("notice.quiet_off")
    await services.messenger.send(target.platform, target.chat_id, text)
    if fallback:
        return Outcome("fallback", "platform cannot mute a group; messages are deleted")
    return Outcome("done")


SPECS = tuple(
    ActionSpec(
        kind, quiet, right=RIGHT_RESTRICT, reapply=True, invalidates=frozenset({GROUP_STATE})
    )
    for kind in (ActionKind.QUIET, ActionKind.UNQUIET)
)
