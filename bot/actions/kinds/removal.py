"""Removing a member (清移出群), and the blacklist (纳入黑名单): removed from and kept out of
every managed group of the platform."""

from __future__ import annotations

import logging

from bot.actions.spec import LISTING, MEMBER_STATE, ActionContext, ActionSpec, Outcome
from bot.ports import RIGHT_RESTRICT, PlatformError
from rules.actions import ActionKind
from storage.repository import Repository

log = logging.getLogger(__name__)


async def mark_removed(ctx: ActionContext) -> None:
    target, now = ctx.target, ctx.services.clock.now()
    user = target.user_id
    assert user is not None

    async def write(r: Repository) -> None:
        await r.set_member_fields(
            target.platform, target.chat_id, user, status="removed", nickname_deadline=None
        )
        await r.cancel_timers("nickname_deadline", target.platform, target.chat_id, user)
        await r.record_membership(
            target.platform, target.chat_id, user, "removed", target.actor, now
        )

    await ctx.services.store.write(write)


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
    target, services, user = ctx.target, ctx.services, ctx.user
    if user is None:
        return Outcome("skipped", "no member to blacklist")
    now = services.clock.now()
    reason = services.texts.reason(ctx.decision)

    async def record(r: Repository) -> list[tuple[str, str, str | None]]:
        await r.add_blacklist(target.platform, user, reason, target.actor, now)
        return await r.groups(target.platform)

    groups = await services.store.write(record)
    adapter, caps = ctx.adapter, ctx.caps
    if adapter is None:
        return Outcome("done", "recorded")
    chats = [target.chat_id] + [c for _, c, _ in groups if c != target.chat_id]
    failures = []
    for chat_id in chats:
        try:
            if caps.ban:
                await services.retry(lambda c=chat_id: adapter.ban(c, user))
            elif caps.remove and chat_id == target.chat_id:
                await services.retry(lambda c=chat_id: adapter.remove(c, user))
        except PlatformError as exc:
            if chat_id == target.chat_id:
                raise
            failures.append(f"{chat_id}: {exc.kind}")
    await mark_removed(ctx)
    detail = f"banned in {len(chats) - len(failures)} group(s)"
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
    if failures:
        detail += "; failed: " + ", ".join(failures)
    return Outcome("done", detail)


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
