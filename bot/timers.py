"""What each persisted timer does when it falls due."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.executor import Target
from bot.ports import PlatformError
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.observation import GroupState, Kind, MemberRecord, Observation

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


def _timer_decision(
    category: str, article: str, actions: tuple[Action, ...], user_id: str | None, reason: str
) -> Decision:
    return Decision(
        rule="timer",
        article=article,
        category=category,
        severity="info",
        actions=actions,
        user_id=user_id,
        reason=reason,
    )


async def fire_timer(
    app: Application,
    kind: str,
    platform: str,
    chat_id: str,
    user_id: str | None,
    payload: dict[str, Any],
) -> None:
    if kind == "mute_expiry" and user_id:
        member = await app.store.read(lambda r: r.member(platform, chat_id, user_id))
        nickname = member.nickname if member else user_id
        # The record is lifted even if the platform already lifted the mute itself.
        await app.executor.apply_one(
            Target(platform, chat_id, None, user_id, nickname),
            _timer_decision(
                "restricted",
                "R1 Art.10",
                (Action(ActionKind.UNMUTE),),
                user_id,
                "reason.mute_expired",
            ),
        )
    elif kind == "nickname_deadline" and user_id:
        member = await app.store.read(lambda r: r.member(platform, chat_id, user_id))
        if member is None or member.status != "active":
            return
        await app.store.write(
            lambda r: r.set_member_fields(platform, chat_id, user_id, nickname_deadline=None)
        )
        observation = Observation(
            kind=Kind.DEADLINE, user_id=user_id, nickname=member.nickname, at=app.clock.now()
        )
        decisions = await app.decide(
            platform,
            chat_id,
            observation,
            MemberRecord(known_nickname=member.nickname, deadline_armed=True),
            GroupState(),
        )
        await app.executor.apply(
            Target(platform, chat_id, None, user_id, member.nickname), decisions
        )
    elif kind == "delete_message":
        adapter = app.adapters.get(platform)
        if adapter is not None and payload.get("message_id"):
            try:
                await adapter.delete_message(chat_id, str(payload["message_id"]))
            except PlatformError as exc:  # already gone, or the right was taken away
                log.info("could not delete reminder %s: %s", payload["message_id"], exc)
    elif kind == "quiet_end":
        await app.executor.apply_one(
            Target(platform, chat_id, None, None, ""),
            _timer_decision(
                "quiet", "R2 Art.22", (Action(ActionKind.UNQUIET),), None, "reason.quiet_mode"
            ),
        )
