"""Real-name rule (REQUIREMENTS M1, M2; R1 Art.4, 7; R2 Art.12(1)).

Checked on join, on a nickname change and on a message whose sender's name differs from the
one on record. A non-compliant name gets a reminder with the expected format and arms a
grace-period deadline; when the deadline fires with the name still wrong, the configured
action runs and the admins are told. Fixing the name in time cancels the deadline.
"""

from __future__ import annotations

from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.engine import Context
from rules.nickname import nickname_complies
from rules.observation import Kind

ARTICLE = "R1 Art.4"
_CHECKED_KINDS = (Kind.JOIN, Kind.NICKNAME, Kind.MESSAGE, Kind.EDIT, Kind.DEADLINE)


class NicknameRule:
    id = "nickname"
    order = 40
    final = False

    def check(self, ctx: Context) -> list[Decision]:
        obs, member, policy = ctx.observation, ctx.member, ctx.policy.nickname
        if not policy.enabled or obs.kind not in _CHECKED_KINDS:
            return []
        if obs.user_id in policy.exempt_user_ids or (member.is_admin and policy.exempt_admins):
            return []
        name_changed = member.known_nickname != obs.nickname
        if obs.kind in (Kind.MESSAGE, Kind.EDIT) and not name_changed and not member.deadline_armed:
            return []  # nothing new to check; the common path stays cheap
        ok = nickname_complies(obs.nickname, policy.pattern)

        def decision(actions: tuple[Action, ...], reason: str, severity: str) -> Decision:
            return Decision(
                rule=self.id,
                article=ARTICLE,
                category="nickname",
                severity=severity,
                actions=actions,
                user_id=obs.user_id,
                reason=reason,
                params={"nickname": obs.nickname, "example": policy.example},
            )

        if ok:
            if member.deadline_armed:
                return [
                    decision((Action(ActionKind.CANCEL_DEADLINE),), "reason.nickname_fixed", "info")
                ]
            return []
        if obs.kind is Kind.DEADLINE:
            return [decision(policy.action, "reason.nickname_deadline_passed", "medium")]
        if not member.deadline_armed:
            return [
                decision(
                    (
                        Action(ActionKind.REMIND),
                        Action(ActionKind.ARM_DEADLINE, duration=policy.grace_period),
                    ),
                    "reason.nickname_invalid",
                    "low",
                )
            ]
        if name_changed:
            # Changed to another wrong name during the grace period: remind again, same deadline.
            return [decision((Action(ActionKind.REMIND),), "reason.nickname_invalid", "low")]
        return []


RULE = NicknameRule()
