"""A member who renames from a compliant in-group name to a non-compliant one: the compliant
name they had is proposed to the group's admins, and set back by the bot only where the
platform allows it and the config turned it on (QQ: ``qq.set_card``).

The real-name rule's reminder and deadline still run as on every platform; this only offers
the admins the obvious fix, since the bot knows the name the member used before.
"""

from __future__ import annotations

import logging

from bot.actions.spec import Target
from bot.config import Settings
from bot.events import NicknameChanged
from bot.executor import Executor
from bot.i18n import Catalogue
from bot.ports import PlatformError, SetsNicknames
from rules.checks.nickname import ARTICLE as NICKNAME_ARTICLE
from rules.decisions import Decision
from rules.nickname import nickname_complies

log = logging.getLogger(__name__)


class CardProposals:
    def __init__(self, settings: Settings, executor: Executor, catalogue: Catalogue) -> None:
        self._settings = settings
        self._executor = executor
        self._t = catalogue.t

    async def handle(self, event: NicknameChanged, own_id: str | None) -> tuple[str, ...]:
        policy = self._settings.policy_for(event.platform, event.chat_id).nickname
        old, member = event.old_nickname, event.member
        if not policy.enabled or not old or member.user_id == own_id:
            return ()
        if member.user_id in policy.exempt_user_ids:
            return ()
        if nickname_complies(member.nickname, policy.pattern):
            return ()
        if not nickname_complies(old, policy.pattern):
            return ()  # no compliant name known to propose
        adapter = self._executor.adapter_for(event.platform)
        can_set = (
            adapter is not None
            and adapter.capabilities.set_nickname
            and isinstance(adapter, SetsNicknames)
        )
        outcome, detail = "done", "proposed to the admins"
        key = "card.proposed_admin"
        if can_set:
            try:
                await self._executor.retry(
                    lambda: adapter.set_nickname(event.chat_id, member.user_id, old)  # type: ignore[union-attr]
                )
                key, detail = "card.restored_admin", "set back"
            except PlatformError as exc:
                outcome, detail = "failed", f"{exc.kind}: {exc}"
        target = Target(
            event.platform, event.chat_id, event.chat_title, member.user_id, member.nickname
        )
        decision = Decision(
            rule="nickname",
            article=NICKNAME_ARTICLE,
            category="nickname",
            severity="low",
            actions=(),
            user_id=member.user_id,
            reason="reason.nickname_invalid",
        )
        await self._executor.record(
            target, decision, "propose_nickname", {"proposed": old}, outcome, detail
        )
        text = self._t(key, member=member.nickname, proposed=old, user_id=member.user_id)
        try:
            await self._executor.notify_admins(event.platform, event.chat_id, text)
        except PlatformError as exc:
            log.info("could not propose a compliant name to the admins: %s", exc)
        return (text,)
