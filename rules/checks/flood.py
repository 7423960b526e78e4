"""Flooding (刷屏): too many messages, or the same text again and again, from one member.

The counts come in with the member's record (the application keeps the recent window); this
rule only compares them with the group's limits. The message that first crosses a limit is the
offence and climbs the ``flood`` ladder; the rest of the same wave is deleted without counting
again, so ten thousand "收到" are one offence, not ten thousand.
"""

from __future__ import annotations

from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.engine import Context
from rules.observation import Kind


class FloodRule:
    id = "flood"
    order = 35  # after hard policy, before the real-name rule and content
    final = True  # the rest of a flood is not also advertising or chatter

    def check(self, ctx: Context) -> list[Decision]:
        obs, member, limits = ctx.observation, ctx.member, ctx.policy.flood
        if obs.kind is not Kind.MESSAGE or member.is_admin or not limits.enabled:
            return []
        policy = ctx.policy.category("flood")
        if policy is None:
            return []
        over_count = member.recent_messages - limits.max_messages
        over_repeat = member.recent_repeats - limits.max_repeats
        if over_count <= 0 and over_repeat <= 0:
            return []
        first = over_count == 1 or over_repeat == 1
        if over_count > 0:
            reason = "reason.flood_messages"
            params = {"count": str(member.recent_messages), "limit": str(limits.max_messages)}
        else:
            reason = "reason.flood_repeats"
            params = {"count": str(member.recent_repeats), "limit": str(limits.max_repeats)}
        if not first:
            return [
                Decision(
                    rule=self.id,
                    article=policy.article or "R2 Art.13",
                    category="flood",
                    severity="info",
                    actions=(Action(ActionKind.DELETE),),
                    user_id=obs.user_id,
                    message_id=obs.message_id,
                    reason="reason.flood_more",
                    params=params,
                )
            ]
        number = member.offences.get("flood", 0) + 1
        step = ctx.policy.step_for("flood", number)
        actions = step if Action(ActionKind.DELETE) in step else (Action(ActionKind.DELETE), *step)
        return [
            Decision(
                rule=self.id,
                article=policy.article or "R2 Art.13",
                category="flood",
                severity=policy.severity,
                actions=actions,
                user_id=obs.user_id,
                message_id=obs.message_id,
                reason=reason,
                counts_as_offence=True,
                offence_number=number,
                params=params,
            )
        ]


RULE = FloodRule()
