"""A blacklisted person is kept out of every managed group (R1 Art.8, R2 Art.21; A4)."""

from __future__ import annotations

from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.engine import Context
from rules.observation import Kind


class BlacklistRule:
    id = "blacklist"
    order = 10
    final = True

    def check(self, ctx: Context) -> list[Decision]:
        obs = ctx.observation
        if not ctx.member.blacklisted or obs.kind not in (Kind.JOIN, Kind.MESSAGE, Kind.EDIT):
            return []
        actions = [Action(ActionKind.BLACKLIST), Action(ActionKind.NOTIFY_ADMINS)]
        if obs.message_id is not None:
            actions.insert(0, Action(ActionKind.DELETE))
        return [
            Decision(
                rule=self.id,
                article="R1 Art.8",
                category="blacklist",
                severity="high",
                actions=tuple(actions),
                user_id=obs.user_id,
                message_id=obs.message_id,
                reason="reason.blacklisted_rejoin",
            )
        ]


RULE = BlacklistRule()
