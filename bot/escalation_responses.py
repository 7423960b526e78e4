"""A supervisor's button press on an escalation: acknowledge, lift the action, false positive.

Each press is recorded. "Lift" undoes the restriction (unmute, unblacklist); "false positive"
also revokes the offence so the ladder forgets it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from bot.events import ButtonPressed
from bot.executor import Target
from rules.actions import Action, ActionKind
from rules.decisions import Decision

if TYPE_CHECKING:
    from bot.app import Application

RESPONSES = {"ack": "acknowledged", "lift": "lifted", "fp": "false_positive"}


class EscalationResponder:
    def __init__(self, app: Application) -> None:
        self.app = app

    async def handle(self, event: ButtonPressed) -> str:
        t = self.app.catalogue.t
        parts = event.data.split(":")
        if (
            len(parts) != 3
            or parts[0] != "esc"
            or parts[2] not in RESPONSES
            or not parts[1].isdigit()
        ):
            return await self._answer(event, t("escalation.pressed_unknown"))
        escalation_id, response = int(parts[1]), RESPONSES[parts[2]]
        escalation = await self.app.store.read(lambda r: r.escalation(escalation_id))
        if escalation is None:
            return await self._answer(event, t("escalation.pressed_unknown"))
        now = self.app.clock.now()
        await self.app.store.write(
            lambda r: r.add_escalation_response(escalation_id, event.presser.user_id, response, now)
        )
        if response in ("lifted", "false_positive") and escalation["user_id"]:
            await self._lift(escalation, event, revoke=response == "false_positive")
        key = {
            "acknowledged": "pressed_ack",
            "lifted": "pressed_lift",
            "false_positive": "pressed_false_positive",
        }[response]
        return await self._answer(event, t(f"escalation.{key}"))

    async def _lift(self, escalation: dict, event: ButtonPressed, *, revoke: bool) -> None:
        platform, chat_id, user_id = (
            escalation["platform"],
            escalation["chat_id"],
            escalation["user_id"],
        )
        member = await self.app.store.read(lambda r: r.member(platform, chat_id, user_id))
        actions = [Action(ActionKind.UNBLACKLIST)]
        if member and member.restricted_until:
            actions.append(Action(ActionKind.UNMUTE))
        if revoke:
            now = self.app.clock.now()
            await self.app.store.write(
                lambda r: r.revoke_last_offence(
                    platform, chat_id, user_id, now, decision_id=escalation["decision_id"]
                )
            )
        target = Target(
            platform,
            chat_id,
            None,
            user_id,
            member.nickname if member else user_id,
            actor=f"supervisor:{event.presser.user_id}",
        )
        await self.app.executor.apply_one(
            target,
            Decision(
                rule="supervisor",
                article=escalation["article"],
                category=escalation["category"],
                severity="info",
                actions=tuple(actions),
                user_id=user_id,
                reason="reason.supervisor_lift",
            ),
        )

    async def _answer(self, event: ButtonPressed, text: str) -> str:
        adapter = self.app.adapters.get(event.platform)
        if adapter is not None and event.callback_id:
            # An expired callback must not lose the press, which is already recorded.
            with contextlib.suppress(Exception):
                await adapter.answer_button(event.callback_id, text)
        return text
