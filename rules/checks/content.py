"""Content rules (REQUIREMENTS C1–C9): detector hits → one decision per category on the ladder.

The most severe category carries its full ladder step; the others still count as offences and
keep their evidence, but their actions are trimmed to what the first one does not already do,
so one message is not deleted twice or warned three times.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from rules.actions import Action, ActionKind
from rules.decisions import Decision, Evidence
from rules.engine import Context
from rules.observation import Kind
from rules.policy import GroupPolicy

TIER1 = Action(ActionKind.ESCALATE, tier=1)
TIER2 = Action(ActionKind.ESCALATE, tier=2)
REVIEW = Action(ActionKind.REVIEW)
DELETE = Action(ActionKind.DELETE)
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def ladder_step(
    policy: GroupPolicy,
    category: str,
    offences: Mapping[str, int],
    taken: Collection[Action] = (),
) -> tuple[int, tuple[Action, ...]]:
    """(offence number, actions) for the member's next offence in ``category``: the ladder's
    step, less what an earlier decision on the same message already does, plus tier 2 once
    the member's offences of every category reach ``repeat_to_tier2``. Shared with the
    admins' review, whose 确认违规 must punish exactly as a sure hit would."""
    number = offences.get(category, 0) + 1
    actions = tuple(a for a in policy.step_for(category, number) if a not in taken)
    repeated = 0 < policy.repeat_to_tier2 <= sum(offences.values()) + 1
    if repeated and TIER1 in actions and TIER2 not in actions and TIER2 not in taken:
        actions = (*actions, TIER2)
    return number, actions


class ContentRule:
    id = "content"
    order = 50
    final = False
    always = True  # runs even after hard policy, for content that must be reported

    def check(self, ctx: Context) -> list[Decision]:
        obs = ctx.observation
        if obs.kind not in (Kind.MESSAGE, Kind.EDIT):
            return []
        if not obs.text and not obs.media_kind:
            return []
        hits = ctx.detector.detect(
            obs.text,
            forwarded=obs.forwarded,
            forward_origin=obs.forward_origin,
            media_kind=obs.media_kind,
        )
        by_category: dict[str, list] = {}
        review: list = []
        for hit in hits:
            if ctx.policy.category(hit.category) is None:
                continue
            if hit.needs_review:
                # The classifier is unsure, or a rule's word sits in what reads as ordinary work
                # talk: the admins review it (确认违规 / 误报); nothing is done to the member
                # unless one of them confirms.
                review.append(hit)
            else:
                by_category.setdefault(hit.category, []).append(hit)
        ranked = sorted(
            by_category.items(),
            key=lambda item: -SEVERITY_RANK.get(ctx.policy.categories[item[0]].severity, 0),
        )
        decisions: list[Decision] = []
        taken: set = set()
        for category, category_hits in ranked:
            policy = ctx.policy.categories[category]
            number, actions = ladder_step(ctx.policy, category, ctx.member.offences, taken)
            taken.update(actions)
            decisions.append(
                Decision(
                    rule=self.id,
                    article=policy.article or category_hits[0].article,
                    category=category,
                    severity=policy.severity,
                    actions=actions,
                    user_id=obs.user_id,
                    message_id=obs.message_id,
                    evidence=tuple(
                        Evidence(h.match, h.start, h.end, kind=h.kind, reason=h.reason)
                        for h in category_hits
                    ),
                    reason=f"category.{category}",
                    counts_as_offence=True,
                    offence_number=number,
                    params={"kinds": ",".join(sorted({h.kind for h in category_hits}))},
                )
            )
        for hit in review:
            if hit.category in by_category:
                continue  # already acted on for a surer reason
            # A held guess (illegal or secret, scored above the high threshold) is taken down
            # now; the admins still decide whether it was an offence.
            decisions.append(
                Decision(
                    rule=self.id,
                    article=ctx.policy.categories[hit.category].article or hit.article,
                    category=hit.category,
                    severity="info",
                    actions=(DELETE, REVIEW) if hit.hold and DELETE not in taken else (REVIEW,),
                    user_id=obs.user_id,
                    message_id=obs.message_id,
                    evidence=(Evidence(obs.text[:200], 0, min(len(obs.text), 200), kind=hit.kind),),
                    reason="reason.rule_doubted" if hit.doubted else "reason.model_review",
                    params={
                        "score": f"{hit.score or 0:.2f}",
                        "features": hit.match if hit.doubted else "、".join(hit.features),
                        **({"held": "1"} if hit.hold else {}),
                        **({"doubted": "1"} if hit.doubted else {}),
                    },
                )
            )
        return decisions


RULE = ContentRule()
