"""Join requests (QQ's 加群申请): a blacklisted requester is refused in every managed group,
with a reason, and the refusal is journaled; anyone else is left to the group's admins.

The blacklist keeps people out of groups they are not yet in, which a ban in each group
cannot do on a platform where joining needs approval: the request is where to stop them.
"""

from __future__ import annotations

import logging

from bot.actions.spec import Target
from bot.events import JoinRequested
from bot.executor import Executor
from bot.i18n import Catalogue
from bot.ports import AnswersJoinRequests, PlatformError
from rules.decisions import Decision
from storage.store import Store

log = logging.getLogger(__name__)

BLACKLIST_ARTICLE = "R1 Art.8"


class JoinRequestHandler:
    def __init__(self, store: Store, executor: Executor, catalogue: Catalogue) -> None:
        self._store = store
        self._executor = executor
        self._t = catalogue.t

    async def handle(self, event: JoinRequested) -> tuple[str, ...]:
        """Answer the request when policy decides it; returns the texts sent, for listeners."""
        user = event.member.user_id
        if not await self._store.read(lambda r: r.is_blacklisted(event.platform, user)):
            return ()  # not ours to decide: the group's admins see the request on the platform
        reason = self._t("join_request.refused_blacklisted")
        adapter = self._executor.adapter_for(event.platform)
        outcome, detail = "done", "refused"
        if adapter is None or not adapter.capabilities.join_requests:
            outcome, detail = "skipped", "the platform cannot answer join requests"
        elif not isinstance(adapter, AnswersJoinRequests):
            outcome, detail = "skipped", "the adapter has no answer_join_request"
        else:
            try:
                await self._executor.retry(
                    lambda: adapter.answer_join_request(
                        event.chat_id, event.request_id, False, reason
                    )
                )
            except PlatformError as exc:
                outcome, detail = "failed", f"{exc.kind}: {exc}"
                log.warning("could not refuse the join request of %s: %s", user, exc)
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
