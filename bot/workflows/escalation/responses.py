"""A supervisor's answer to an escalation: acknowledge, lift the action, false positive.

Only a supervisor the escalation was sent to may answer, from the chat it was sent to; an
answer names an escalation that exists; the first answer decides and later ones are told who
answered. Every answer and every refusal is journaled. "Lift" undoes the restriction
(unmute, unblacklist); "false positive" also revokes the offence so the ladder forgets it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.actions.spec import Target
from bot.config import Settings
from bot.i18n import Catalogue
from bot.workflows.kernel import Answer, Request
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from storage.repository import EscalationRow
from storage.store import Store

RESPONSES = {"ack": "acknowledged", "lift": "lifted", "fp": "false_positive"}
_PRESSED = {
    "acknowledged": "pressed_ack",
    "lifted": "pressed_lift",
    "false_positive": "pressed_false_positive",
}

Apply = Callable[[Target, Decision], Awaitable[object]]


class EscalationResponder:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        catalogue: Catalogue,
        clock,
        apply: Apply,  # type: ignore[no-untyped-def]
    ) -> None:
        self._settings = settings
        self._store = store
        self._t = catalogue.t
        self._clock = clock
        self._apply = apply

    def _entitled(self, escalation: EscalationRow, request: Request) -> bool:
        if (request.platform, request.chat_id) != (
            escalation.target_platform,
            escalation.target_chat_id,
        ):
            return False
        if request.who.user_id == escalation.user_id:
            return False  # the member concerned never answers his own case
        return any(
            s.platform == escalation.target_platform
            and s.chat_id == escalation.target_chat_id
            and s.may_answer(request.who.user_id)
            for s in self._settings.escalation.tiers.get(escalation.tier, ())
        )

    async def answer(self, request: Request) -> Answer:
        response = RESPONSES[request.verb]
        escalation = await self._store.read(lambda r: r.escalation(request.record_id))
        if escalation is None or escalation.tier < 1:  # tier 0 rows are admins' reviews
            return Answer(self._t("escalation.pressed_unknown"), refused=True, detail="no such")
        if not self._entitled(escalation, request):
            return Answer(
                self._t("escalation.pressed_refused"), refused=True, detail="not a recipient"
            )
        now = self._clock.now()

        async def respond(r):  # type: ignore[no-untyped-def]
            earlier = await r.escalation_responses(escalation.id)
            if earlier:
                return earlier[0]
            await r.add_escalation_response(escalation.id, request.who.user_id, response, now)
            return None

        first = await self._store.write(respond)
        if first is not None:
            who, said = first
            return Answer(
                self._t(
                    "escalation.pressed_already",
                    who=who,
                    response=self._t(f"escalation.{_PRESSED[said]}"),
                ),
                refused=True,
                detail="already answered",
            )
        if response in ("lifted", "false_positive") and escalation.user_id:
            await self._lift(escalation, request, revoke=response == "false_positive")
        return Answer(self._t(f"escalation.{_PRESSED[response]}"))

    async def _lift(self, escalation: EscalationRow, request: Request, *, revoke: bool) -> None:
        platform, chat_id, user_id = escalation.platform, escalation.chat_id, escalation.user_id
        assert user_id is not None
        member = await self._store.read(lambda r: r.member(platform, chat_id, user_id))
        actions = [Action(ActionKind.UNBLACKLIST)]
        if member and member.restricted_until:
            actions.append(Action(ActionKind.UNMUTE))
        if revoke:
            now = self._clock.now()
            await self._store.write(
                lambda r: r.revoke_last_offence(
                    platform, chat_id, user_id, now, decision_id=escalation.decision_id
                )
            )
        target = Target(
            platform,
            chat_id,
            None,
            user_id,
            member.nickname if member else user_id,
            actor=f"supervisor:{request.who.user_id}",
        )
        await self._apply(
            target,
            Decision(
                rule="supervisor",
                article=escalation.article,
                category=escalation.category,
                severity="info",
                actions=tuple(actions),
                user_id=user_id,
                reason="reason.supervisor_lift",
            ),
        )
