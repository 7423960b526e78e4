"""Telling people: a warning in the group, a reminder (privately where possible), the
group's admins. Phase 2, so each text says what phase 1 really did."""

from __future__ import annotations

from bot.actions.spec import ActionContext, ActionSpec, Outcome
from rules.actions import ActionKind


async def warn_or_remind(ctx: ActionContext) -> Outcome:
    target, services = ctx.target, ctx.services
    text = services.texts.member_notice(ctx, f"@{target.nickname}")
    if (
        ctx.action.kind is ActionKind.REMIND
        and ctx.user
        and await services.messenger.private(target.platform, ctx.user, text)
    ):
        return Outcome("done", "private", (ctx.user,))
    await services.messenger.send(
        target.platform, target.chat_id, text, mention=ctx.mention_ids, ephemeral=True
    )
    return Outcome("done", "group", tuple(ctx.mention_ids))


async def notify_admins(ctx: ActionContext) -> Outcome:
    text = ctx.services.texts.admin_notice(ctx)
    told = await ctx.services.messenger.notify_admins(ctx.target.platform, ctx.target.chat_id, text)
    return Outcome("done", "", tuple(told))


SPECS = (
    ActionSpec(ActionKind.WARN, warn_or_remind, reapply=True, phase=2),
    ActionSpec(ActionKind.REMIND, warn_or_remind, reapply=True, phase=2),
    ActionSpec(ActionKind.NOTIFY_ADMINS, notify_admins, reapply=True, phase=2, shown=False),
)
