"""What the core's persisted timers do when they fall due; each kind is a handler registered
with the workflow kernel (workflows register theirs the same way)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.actions.kinds.removal import BAN_ELSEWHERE, ban_elsewhere
from bot.actions.spec import Target
from bot.clock import Clock
from bot.executor import Executor
from bot.workflows.kernel import Kernel, TimerDue
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.observation import GroupState, Kind, MemberRecord, Observation
from storage.store import Store

Decide = Callable[[str, str, Observation, MemberRecord, GroupState], Awaitable[list[Decision]]]


def _timer_decision(
    category: str,
    article: str,
    actions: tuple[Action, ...],
    user_id: str | None,
    reason: str,
    message_id: str | None = None,
) -> Decision:
    return Decision(
        rule="timer",
        article=article,
        category=category,
        severity="info",
        actions=actions,
        user_id=user_id,
        reason=reason,
        message_id=message_id,
    )


class CoreTimers:
    def __init__(self, store: Store, clock: Clock, executor: Executor, decide: Decide) -> None:
        self._store = store
        self._clock = clock
        self._executor = executor
        self._decide = decide

    def register(self, kernel: Kernel) -> None:
        kernel.add_timer("mute_expiry", self.mute_expiry)
        kernel.add_timer("nickname_deadline", self.nickname_deadline)
        kernel.add_timer("delete_message", self.delete_reminder)
        kernel.add_timer("quiet_end", self.quiet_end)
        kernel.add_timer(BAN_ELSEWHERE, self.ban_elsewhere)

    async def ban_elsewhere(self, due: TimerDue) -> None:
        """A blacklisting's ban in another group that its background run did not reach (a
        crash or a stop came first)."""
        await ban_elsewhere(
            self._executor.services, due.platform, due.chat_id, due.user_id, dict(due.payload)
        )

    async def mute_expiry(self, due: TimerDue) -> None:
        if not due.user_id:
            return
        user_id = due.user_id
        member = await self._store.read(lambda r: r.member(due.platform, due.chat_id, user_id))
        nickname = member.nickname if member else user_id
        # The record is lifted even if the platform already lifted the mute itself.
        await self._executor.apply_one(
            Target(due.platform, due.chat_id, None, user_id, nickname),
            _timer_decision(
                "restricted",
                "R1 Art.10",
                (Action(ActionKind.UNMUTE),),
                user_id,
                "reason.mute_expired",
            ),
        )

    async def nickname_deadline(self, due: TimerDue) -> None:
        if not due.user_id:
            return
        platform, chat_id, user_id = due.platform, due.chat_id, due.user_id
        member = await self._store.read(lambda r: r.member(platform, chat_id, user_id))
        if member is None or member.status != "active":
            return
        await self._store.write(
            lambda r: r.set_member_fields(platform, chat_id, user_id, nickname_deadline=None)
        )
        observation = Observation(
            kind=Kind.DEADLINE, user_id=user_id, nickname=member.nickname, at=self._clock.now()
        )
        decisions = await self._decide(
            platform,
            chat_id,
            observation,
            MemberRecord(known_nickname=member.nickname, deadline_armed=True),
            GroupState(),
        )
        await self._executor.apply(
            Target(platform, chat_id, None, user_id, member.nickname), decisions
        )

    async def delete_reminder(self, due: TimerDue) -> None:
        """The bot's own reminder deletes itself; through the executor, so it is retried and
        journaled like any delete (already gone → a failed outcome, nothing more)."""
        message_id = due.payload.get("message_id")
        if not message_id:
            return
        await self._executor.apply_one(
            Target(due.platform, due.chat_id, None, None, ""),
            _timer_decision(
                "reminder",
                "R2 Art.22",
                (Action(ActionKind.DELETE),),
                None,
                "reason.reminder_expired",
                message_id=str(message_id),
            ),
        )

    async def quiet_end(self, due: TimerDue) -> None:
        await self._executor.apply_one(
            Target(due.platform, due.chat_id, None, None, ""),
            _timer_decision(
                "quiet", "R2 Art.22", (Action(ActionKind.UNQUIET),), None, "reason.quiet_mode"
            ),
        )
