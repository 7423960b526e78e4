"""Join requests (QQ's 加群申请): a blacklisted requester is refused in every managed group,
with a reason, and the refusal is journaled. Once a roster (名册) is imported, a requester not
on it is held for the admins (they are told and decide on the platform) or refused with a
reason, by ``members.join_requests``; everyone else is left to the group's admins.

The blacklist keeps people out of groups they are not yet in, which a ban in each group
cannot do on a platform where joining needs approval: the request is where to stop them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.actions.spec import Target
from bot.events import JoinRequested
from bot.executor import Executor
from bot.i18n import Catalogue
from bot.ports import AnswersJoinRequests, PlatformError
from rules.decisions import Decision
from storage.store import Store

log = logging.getLogger(__name__)

BLACKLIST_ARTICLE = "R1 Art.8"


# Whether a requester is on the roster: None when no roster has been imported (nothing to
# judge by), else True/False.
OnRoster = Callable[[JoinRequested], Awaitable[bool | None]]
STRANGER_ARTICLE = "R2 Art.11"


class JoinRequestHandler:
    def __init__(
        self,
        store: Store,
        executor: Executor,
        catalogue: Catalogue,
        on_roster: OnRoster | None = None,
        strangers: Literal["ignore", "hold", "refuse"] = "ignore",
    ) -> None:
        self._store = store
        self._executor = executor
        self._t = catalogue.t
        self._on_roster = on_roster
        self._strangers = strangers

    async def handle(self, event: JoinRequested) -> tuple[str, ...]:
        """Answer the request when policy decides it; returns the texts sent, for listeners."""
        user = event.member.user_id
        if await self._store.read(lambda r: r.is_blacklisted(event.platform, user)):
            return await self._refuse_blacklisted(event)
        if self._strangers == "ignore" or self._on_roster is None:
            return ()
        if await self._on_roster(event) is not False:
            return ()  # on the roster, or no roster to judge by: the admins decide
        return await self._stranger(event)

    async def _stranger(self, event: JoinRequested) -> tuple[str, ...]:
        """Not on the roster (无关人员, R2 Art.11(3)): held for the admins or refused."""
        member, user = event.member, event.member.user_id
        outcome, detail = "done", "held for the admins"
        if self._strangers == "refuse":
            outcome, detail = await self._answer(event, self._t("join_request.refused_stranger"))
        target = Target(event.platform, event.chat_id, event.chat_title, user, member.nickname)
        decision = Decision(
            rule="members",
            article=STRANGER_ARTICLE,
            category="members",
            severity="low",
            actions=(),
            user_id=user,
            reason="join_request.stranger",
        )
        kind = "join_request:refuse" if self._strangers == "refuse" else "join_request:hold"
        await self._executor.record(
            target,
            decision,
            kind,
            {"request_id": event.request_id, "comment": event.comment[:200]},
            outcome,
            detail,
        )
        key = "join_request.refused_stranger_admin"
        if self._strangers == "hold" or outcome != "done":
            key = "join_request.held_stranger_admin"
        text = self._t(key, member=member.nickname, user_id=user, comment=event.comment[:100])
        try:
            await self._executor.notify_admins(event.platform, event.chat_id, text)
        except PlatformError as exc:
            log.info("could not tell the admins about a join request: %s", exc)
        return (text,)

    async def _answer(self, event: JoinRequested, reason: str) -> tuple[str, str]:
        """Refuse the request on the platform: (outcome, detail) for the journal."""
        adapter = self._executor.adapter_for(event.platform)
        if adapter is None or not adapter.capabilities.join_requests:
            return "skipped", "the platform cannot answer join requests"
        if not isinstance(adapter, AnswersJoinRequests):
            return "skipped", "the adapter has no answer_join_request"
        try:
            await self._executor.retry(
                lambda: adapter.answer_join_request(event.chat_id, event.request_id, False, reason)
            )
        except PlatformError as exc:
            log.warning("could not refuse the join request of %s: %s", event.member.user_id, exc)
            return "failed", f"{exc.kind}: {exc}"
        return "done", "refused"

    async def _refuse_blacklisted(self, event: JoinRequested) -> tuple[str, ...]:
        user = event.member.user_id
        outcome, detail = await self._answer(event, self._t("join_request.refused_blacklisted"))
        member = event.member
        target = Target(event.platform, event.chat_id, event.chat_title, user, member.nickname)
        decision = Decision(
            rule="blacklist",
            article=BLACKLIST_ARTICLE,
            category="blacklist",
            severity="high",
            actions=(),
            user_id=user,
            reason="reason.blacklisted_rejoin",
        )
        await self._executor.record(
            target,
            decision,
            "join_request:refuse",
            {"request_id": event.request_id, "comment": event.comment[:200]},
            outcome,
            detail,
        )
        if outcome == "done":
            text = self._t("join_request.refused_admin", member=event.member.nickname, user_id=user)
            try:
                await self._executor.notify_admins(event.platform, event.chat_id, text)
            except PlatformError as exc:
                log.info("could not tell the admins about a refused join request: %s", exc)
            return (text,)
        return ()
