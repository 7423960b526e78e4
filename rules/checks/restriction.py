"""Speaking while restricted (限制发言) is itself an offence.

On Telegram a mute stops the member posting, so this fires only when the mute failed; on WeChat,
which has no mute, it is the documented fallback: the restriction is recorded, the member told,
and each message during it climbs the ``restricted`` ladder to removal.
"""

from __future__ import annotations

from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.engine import Context
from rules.observation import Kind


class RestrictionRule:
    id = "restriction"
    order = 20
    final = True

    def check(self, ctx: Context) -> list[Decision]:
        obs, member = ctx.observation, ctx.member
        if obs.kind is not Kind.MESSAGE or member.is_admin:
            return []
        if member.restricted_until is None or obs.at >= member.restricted_until:
            return []
        policy = ctx.policy.category("restricted")
        if policy is None:
            return []
        number = member.offences.get("restricted", 0) + 1
        actions: tuple[Action, ...] = (Action(ActionKind.DELETE),)
        if number <= len(policy.steps):
            actions += ctx.policy.step_for("restricted", number)
        # Beyond the ladder's end its last step was taken already: where it could not remove
        # (a platform without kick), repeating it for each queued message only floods the
        # admins with the same notice (issue 10, item 12). The message is still deleted and
        # the offence recorded.
        return [
            Decision(
                rule=self.id,
                article=policy.article or "R1 Art.10",
                category="restricted",
                severity=policy.severity,
                actions=actions,
                user_id=obs.user_id,
                message_id=obs.message_id,
                reason="reason.spoke_while_restricted",
                counts_as_offence=True,
                offence_number=number,
                params={"until": member.restricted_until.isoformat(timespec="minutes")},
            )
        ]


RULE = RestrictionRule()
