"""Removing a member (清移出群), and the blacklist (纳入黑名单): removed from and kept out of
every managed group of the platform."""

from __future__ import annotations

import logging
from typing import Any

from bot.actions.spec import LISTING, MEMBER_STATE, ActionContext, ActionSpec, Outcome, Services
from bot.ports import RIGHT_RESTRICT, PlatformError
from rules.actions import ActionKind
from storage.repository import Repository

log = logging.getLogger(__name__)

# The timer kind of a blacklisting's ban in one other group.
BAN_ELSEWHERE = "blacklist_ban"


async def mark_removed(ctx: ActionContext) -> None:
    target = ctx.target
    assert target.user_id is not None
    await _mark_removed(ctx.services, target.platform, target.chat_id, target.user_id, target.actor)


async def _mark_removed(
    services: Services, platform: str, chat_id: str, user: str, actor: str
) -> None:
    now = services.clock.now()

    async def write(r: Repository) -> None:
        await r.set_member_fields(platform, chat_id, user, status="removed", nickname_deadline=None)
        await r.cancel_timers("nickname_deadline", platform, chat_id, user)
        await r.record_membership(platform, chat_id, user, "removed", actor, now)

    await services.store.write(write)


async def remove(ctx: ActionContext) -> Outcome:
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to remove")
    if not ctx.caps.remove:
        return Outcome("fallback", "platform cannot remove members")
    adapter = ctx.adapter
    assert adapter is not None
    await services.retry(lambda: adapter.remove(target.chat_id, user))
    await mark_removed(ctx)
    texts = services.texts
    await services.messenger.send(
        target.platform,
        target.chat_id,
        texts.t("notice.removed", member=target.nickname, reason=texts.reason(ctx.decision)),
    )
    return Outcome("done")


async def blacklist(ctx: ActionContext) -> Outcome:
    """Listed, banned here at once, and banned in every other managed group in the
    background: one timer row per group, armed with the listing in one transaction, so the
    bans survive a crash (the scheduler fires what is left) and a spam wave in one group is
    not held up by a ban in each of the others."""
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to blacklist")
    now = services.clock.now()
    reason = services.texts.reason(ctx.decision)
    adapter, caps = ctx.adapter, ctx.caps
    fan_out = adapter is not None and caps.ban

    async def record(r: Repository) -> list[int]:
        await r.add_blacklist(target.platform, user, reason, target.actor, now)
        if not fan_out:
            return []
        return [
            await r.arm_timer(
                BAN_ELSEWHERE,
                target.platform,
                c,
                user,
                now,
                now,
                {"by": target.actor, "nickname": target.nickname},
            )
            for _, c, _ in await r.groups(target.platform)
            if c != target.chat_id
        ]

    timers = await services.store.write(record)
    if adapter is None:
        return Outcome("done", "recorded")
    if caps.ban:
        await services.retry(lambda: adapter.ban(target.chat_id, user))
    elif caps.remove:
        await services.retry(lambda: adapter.remove(target.chat_id, user))
    await mark_removed(ctx)
    if timers:
        services.background(_ban_elsewhere(services, timers))
    detail = "banned here"
    if timers:
        detail += f"; {len(timers)} other group(s) in the background"
    messenger = services.messenger
    if messenger.crowded(target.platform, target.chat_id, "blacklist"):
        # A raid: the group is not flooded with one notice per account; the admins are
        # told once per wave, and every blacklisting is in the journal.
        detail += "; group notice withheld (raid)"
        if not messenger.crowded(target.platform, target.chat_id, "raid", limit=1):
            await messenger.notify_admins(
                target.platform, target.chat_id, services.texts.t("words.raid_admin")
            )
    else:
        await messenger.send(
            target.platform,
            target.chat_id,
            services.texts.t("notice.blacklisted", member=target.nickname, reason=reason),
        )
    return Outcome("done", detail)


async def _ban_elsewhere(services: Services, timer_ids: list[int]) -> None:
    for timer_id in timer_ids:
        due = await services.store.read(lambda r, t=timer_id: r.armed_timer(t))
        if due is None:
            continue  # the scheduler got there first
        await ban_elsewhere(services, due.platform, due.chat_id, due.user_id, due.payload)
        # Finished only after the ban: cut off before, the scheduler bans after a start
        # (a ban made twice is harmless; a ban never made is not).
        await services.store.write(lambda r, t=timer_id: r.finish_timer(t))


async def ban_elsewhere(
    services: Services,
    platform: str,
    chat_id: str,
    user: str | None,
    payload: dict[str, Any],
) -> None:
    """One group's share of a blacklisting (timer ``BAN_ELSEWHERE``)."""
    adapter = services.adapter_for(platform)
    if user is None or adapter is None:
        return
    if not await services.store.read(lambda r: r.is_blacklisted(platform, user)):
        return  # lifted meanwhile
    try:
        await services.retry(lambda: adapter.ban(chat_id, user))
    except PlatformError as exc:
        # Kept out still: the blacklist rule bans them when they speak or join there.
        log.warning("blacklist: ban of %s in %s failed: %s", user, chat_id, exc)
        return
    nickname = str(payload.get("nickname") or user)
    # A member row even where they were never seen: their first message there, queued
    # before the ban, then finds them removed and is only deleted (issue 10, item 12).
    await services.store.write(
        lambda r: r.ensure_member(platform, chat_id, user, nickname, services.clock.now())
    )
    await _mark_removed(services, platform, chat_id, user, str(payload.get("by", "bot")))
    await services.changed(platform, chat_id, user, frozenset({MEMBER_STATE}))


async def unblacklist(ctx: ActionContext) -> Outcome:
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to lift")
    now = services.clock.now()

    async def lift(r: Repository) -> list[tuple[str, str, str | None]]:
        await r.lift_blacklist(target.platform, user, target.actor, now)
        return await r.groups(target.platform)

    groups = await services.store.write(lift)
    adapter = ctx.adapter
    if adapter is not None and ctx.caps.ban:
        for _, chat_id, _ in groups:
            try:
                await services.retry(lambda c=chat_id: adapter.unban(c, user))
            except PlatformError as exc:
                log.info("unban in %s failed: %s", chat_id, exc)
    return Outcome("done")


SPECS = (
    ActionSpec(
        ActionKind.REMOVE,
        remove,
        right=RIGHT_RESTRICT,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE}),
    ),
    ActionSpec(
        ActionKind.BLACKLIST,
        blacklist,
        right=RIGHT_RESTRICT,
        reapply=True,
        invalidates=frozenset({MEMBER_STATE, LISTING}),
    ),
    ActionSpec(
        ActionKind.UNBLACKLIST,
        unblacklist,
        right=RIGHT_RESTRICT,
        reapply=True,
        invalidates=frozenset({LISTING}),
    ),
)
