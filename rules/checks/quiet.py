"""Whole-group quiet mode (全员禁言, R2 Art.22; REQUIREMENTS A6).

Where the platform can set group permissions nobody but admins can post; where it cannot, or
a message slips through, the message is deleted. Not an offence: the member did nothing wrong
by not knowing the schedule.
"""

from __future__ import annotations

from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.engine import Context
from rules.observation import Kind


class QuietRule:
    id = "quiet"
    order = 30
    final = True

    def check(self, ctx: Context) -> list[Decision]:
        obs = ctx.observation
        if not ctx.group.quiet or ctx.member.is_admin or obs.kind is not Kind.MESSAGE:
            return []
        if not ctx.policy.quiet_deletes_messages:
            return []
        return [
            Decision(
                rule=self.id,
                article="R2 Art.22",
                category="quiet",
                severity="info",
                actions=(Action(ActionKind.DELETE),),
                user_id=obs.user_id,
                message_id=obs.message_id,
                reason="reason.quiet_mode",
            )
        ]


RULE = QuietRule()
