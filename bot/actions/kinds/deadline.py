"""The real-name grace period (M1/M2): armed on a non-compliant name, cancelled on a fix."""

from __future__ import annotations

from datetime import timedelta

from bot.actions.spec import MEMBER_STATE, ActionContext, ActionSpec, Outcome
from rules.actions import ActionKind
from storage.repository import Repository


async def arm(ctx: ActionContext) -> Outcome:
    target, user, now = ctx.target, ctx.user, ctx.services.clock.now()
    if user is None:
        return Outcome("skipped", "no member")
    due = now + (ctx.action.duration or timedelta(hours=24))

    async def write(r: Repository) -> None:
        await r.arm_timer("nickname_deadline", target.platform, target.chat_id, user, due, now)
        await r.set_member_fields(target.platform, target.chat_id, user, nickname_deadline=due)

    await ctx.services.store.write(write)
    return Outcome("done", f"due {due.isoformat()}")


async def cancel(ctx: ActionContext) -> Outcome:
    target, user, services = ctx.target, ctx.user, ctx.services
    if user is None:
        return Outcome("skipped", "no member")

    async def write(r: Repository) -> None:
        await r.cancel_timers("nickname_deadline", target.platform, target.chat_id, user)
        await r.set_member_fields(target.platform, target.chat_id, user, nickname_deadline=None)

    await services.store.write(write)
    await services.messenger.send(
        target.platform,
        target.chat_id,
        services.texts.t("notice.nickname_thanks", mention=f"@{target.nickname}"),
        mention=ctx.mention_ids,
        ephemeral=True,
    )
    return Outcome("done", "", tuple(ctx.mention_ids))


SPECS = (
    ActionSpec(
        ActionKind.ARM_DEADLINE,
        arm,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE}),
        shown=False,
    ),
    ActionSpec(
        ActionKind.CANCEL_DEADLINE,
        cancel,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE}),
        shown=False,
    ),
)
