"""Timed restriction (限制发言) and its lifting. Where the platform cannot mute, the
restriction is recorded and enforced by the rules (a restricted member's message is acted on)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.actions.spec import MEMBER_STATE, ActionContext, ActionSpec, Outcome
from bot.ports import RIGHT_RESTRICT
from rules.actions import ActionKind
from storage.repository import Repository


async def mute(ctx: ActionContext) -> Outcome:
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to restrict")
    now = services.clock.now()
    # The intent's end, not now + duration: a re-apply after a crash keeps the first deadline.
    until = (
        datetime.fromisoformat(ctx.params["until"])
        if "until" in ctx.params
        else now + (ctx.action.duration or timedelta(hours=1))
    )

    async def record(r: Repository) -> None:
        await r.ensure_member(target.platform, target.chat_id, user, target.nickname or user, now)
        await r.set_member_fields(target.platform, target.chat_id, user, restricted_until=until)
        await r.arm_timer("mute_expiry", target.platform, target.chat_id, user, until, now)

    await services.store.write(record)
    fallback = not ctx.caps.mute
    if not fallback:
        adapter = ctx.adapter
        assert adapter is not None
        await services.retry(lambda: adapter.mute(target.chat_id, user, until))
    key = "notice.muted_fallback" if fallback else "notice.muted"
    texts = services.texts
    await services.messenger.send(
        target.platform,
        target.chat_id,
        texts.t(
            key,
            mention=f"@{target.nickname}",
            until=texts.local(until),
            reason=texts.reason(ctx.decision),
        ),
        mention=ctx.mention_ids,
    )
    if fallback:
        return Outcome("fallback", f"recorded restriction until {until.isoformat()}", (user,))
    return Outcome("done", f"until {until.isoformat()}", (user,))


async def unmute(ctx: ActionContext) -> Outcome:
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to lift")

    async def lift(r: Repository) -> None:
        await r.set_member_fields(target.platform, target.chat_id, user, restricted_until=None)
        await r.cancel_timers("mute_expiry", target.platform, target.chat_id, user)

    await services.store.write(lift)
    if ctx.caps.mute:
        adapter = ctx.adapter
        assert adapter is not None
        await services.retry(lambda: adapter.unmute(target.chat_id, user))
    await services.messenger.send(
        target.platform,
        target.chat_id,
        services.texts.t("notice.unmuted", mention=f"@{target.nickname}"),
        mention=ctx.mention_ids,
    )
    return Outcome("done" if ctx.caps.mute else "fallback", "", (user,))


SPECS = (
    ActionSpec(
        ActionKind.MUTE,
        mute,
        right=RIGHT_RESTRICT,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE}),
    ),
    ActionSpec(
        ActionKind.UNMUTE,
        unmute,
        right=RIGHT_RESTRICT,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE}),
    ),
)
