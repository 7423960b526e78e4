"""An admin's answer to a review: 确认违规 (confirm) or 误报 (dismiss).

Only an admin of the group the message was posted in may answer — confirmed with the platform
at the moment of the answer, refused when the platform cannot say — and never the member
concerned; the id must name a review. The first answer decides for every admin the review went
to; later ones are told who answered what. Confirming applies the category's ladder step as an
offence, exactly as a sure hit would have; dismissing records a false positive and does nothing
to the member. Both are journaled; refusals are journaled by the application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from bot.actions.spec import Target
from bot.admins import RightsUnknown
from bot.clock import Clock
from bot.config import Settings
from bot.events import Member
from bot.i18n import Catalogue
from bot.workflows.kernel import Answer, Request
from bot.workflows.review.action import CONFIRM, DISMISS, TIER
from rules.actions import ActionKind
from rules.checks.content import ladder_step
from rules.decisions import Decision, Evidence
from storage.repository import EscalationRow, Repository
from storage.store import Store

if TYPE_CHECKING:
    from bot.executor import Applied

RESPONSES = {CONFIRM: "confirmed", DISMISS: "false_positive"}


async def _held(r: Repository, decision_id: str) -> bool:
    """Whether the reviewed message was held: taken down before the admins answered."""
    return any(
        a["kind"] == ActionKind.DELETE and a["outcome"] == "done"
        for a in await r.decision_actions(decision_id)
    )


ANSWER_KIND = "review_answer"  # the journal row of an answer, under the review's decision

# AdminDirectory.can: may this member act in this group (None: any admin)? Raises RightsUnknown.
CanAct = Callable[[str, str, Member, str | None], Awaitable[bool]]
Apply = Callable[[Target, Decision], Awaitable["Applied"]]


class Record(Protocol):
    """Executor.record: journal something that needed no platform call."""

    def __call__(
        self,
        target: Target,
        decision: Decision,
        kind: str,
        params: dict[str, Any],
        outcome: str,
        detail: str,
        *,
        decision_id: str = "-",
    ) -> Awaitable[int]: ...


@dataclass(frozen=True, slots=True)
class ReviewDeps:
    settings: Settings
    store: Store
    catalogue: Catalogue
    clock: Clock
    can: CanAct
    apply: Apply
    record: Record
    # Messenger.private: tells the other admins the review was decided (no platform edit).
    tell: Callable[[str, str, str], Awaitable[bool]]


class ReviewResponder:
    def __init__(self, deps: ReviewDeps) -> None:
        self._d = deps
        self._t = deps.catalogue.t

    async def answer(self, request: Request) -> Answer:
        store = self._d.store
        row = await store.read(lambda r: r.escalation(request.record_id))
        if row is None or row.tier != TIER:
            # An escalation's id is not a review: a forged or mistyped payload.
            return Answer(self._t("review.unknown"), refused=True, detail="no such review")
        refusal = await self._refusal(row, request)
        if refusal is not None:
            return refusal
        response = RESPONSES[request.verb]
        now = self._d.clock.now()

        async def decide(r: Repository) -> tuple[str, str] | None:
            earlier = await r.responses_to_decision(row.decision_id, TIER, lock=True)
            if earlier:
                return earlier[0]
            await r.add_escalation_response(row.id, request.who.user_id, response, now)
            return None

        first = await store.write(decide)
        if first is not None:
            who, said = first
            return Answer(
                self._t(
                    "review.already",
                    who=await self._name(row, who),
                    response=self._t(f"review.response_{said}"),
                ),
                refused=True,
                detail="already answered",
            )
        who = await self._name(row, request.who.user_id, request.who.nickname)
        if response == "confirmed":
            text = await self._confirm(row, request, who)
        else:
            await self._journal(row, request, "false_positive", "reason.review_dismissed")
            held = await store.read(lambda r: _held(r, row.decision_id))
            key = "review.dismissed_held" if held else "review.dismissed"
            text = self._t(key, who=who, review_id=row.id)
        await self._tell_others(row, request, text)
        return Answer(text)

    async def _tell_others(self, row: EscalationRow, request: Request, text: str) -> None:
        """The other admins still hold the buttons: they are told who decided what, so nobody
        reviews a decided case (Telegram could edit the message; not every platform can)."""
        rows = await self._d.store.read(lambda r: r.escalations_of(row.decision_id, TIER))
        for other in rows:
            if other.status != "sent" or other.target_chat_id in (row.chat_id, request.chat_id):
                continue  # the group fallback is answered in place; the decider has his answer
            if other.target_chat_id == request.who.user_id:
                continue
            await self._d.tell(other.target_platform, other.target_chat_id, text)

    async def _refusal(self, row: EscalationRow, request: Request) -> Answer | None:
        if request.platform != row.platform:
            return self._refused("review.refused", "other platform")
        if request.who.user_id == row.user_id:
            return self._refused("review.refused", "member concerned")
        who = request.who
        if request.chat_id != row.chat_id:
            # The platform's "is an admin" flag describes the chat the press came from; in
            # an admin's private chat it says nothing about the group, so the group is asked.
            who = replace(who, is_platform_admin=False)
        try:
            entitled = await self._d.can(row.platform, row.chat_id, who, None)
        except RightsUnknown:
            return self._refused("review.rights_unknown", "admin rights unknown")
        if not entitled:
            return self._refused("review.refused", "not an admin of the group")
        return None

    def _refused(self, key: str, detail: str) -> Answer:
        return Answer(self._t(key), refused=True, detail=detail)

    async def _name(self, row: EscalationRow, user_id: str, known: str = "") -> str:
        """How the decider is shown: the name the platform gave with the answer (journaled
        with it, as an admin answering privately may never have posted in the group), and
        the id."""
        if not known:
            answers = await self._d.store.read(
                lambda r: r.action_params(row.decision_id, ANSWER_KIND)
            )
            known = next((a.get("by_name", "") for a in answers if a.get("by") == user_id), "")
        return f"{known} ({user_id})" if known and known != user_id else user_id

    async def _target(self, row: EscalationRow, actor: str) -> Target:
        platform, chat_id, user_id = row.platform, row.chat_id, row.user_id

        async def load(r: Repository) -> tuple[str | None, str]:
            titles = {c: title for _, c, title in await r.groups(platform)}
            member = await r.member(platform, chat_id, user_id) if user_id else None
            return titles.get(chat_id), member.nickname if member else (user_id or "")

        title, nickname = await self._d.store.read(load)
        return Target(platform, chat_id, title, user_id, nickname, actor=actor)

    async def _confirm(self, row: EscalationRow, request: Request, who: str) -> str:
        """The category's next ladder step, as if the detector had been sure."""
        settings, store = self._d.settings, self._d.store
        user_id = row.user_id
        if user_id is None:  # a review always names a member; nothing to punish otherwise
            await self._journal(row, request, "confirmed", "reason.review_confirmed")
            return self._t("review.confirmed", who=who, review_id=row.id, number=0, actions="")
        policy = settings.policy_for(row.platform, row.chat_id)
        since = self._d.clock.now() - policy.window

        async def load(r: Repository) -> tuple[dict[str, int], str | None, bool]:
            counts = await r.offence_counts(row.platform, row.chat_id, user_id, since)
            held = await _held(r, row.decision_id)
            return counts, await r.decision_message_id(row.decision_id), held

        counts, message_id, held = await store.read(load)
        number, actions = ladder_step(policy, row.category, counts)
        if held:  # the message is already down: the rest of the step still applies
            actions = tuple(a for a in actions if a.kind is not ActionKind.DELETE)
        target = replace(await self._target(row, request.who.user_id), message_text=row.summary)
        await self._journal(row, request, "confirmed", "reason.review_confirmed")
        applied = await self._d.apply(
            target,
            Decision(
                rule="review",
                article=row.article,
                category=row.category,
                severity=policy.categories[row.category].severity,
                actions=actions,
                user_id=user_id,
                message_id=message_id,
                evidence=(Evidence(row.summary, 0, len(row.summary), kind="model"),),
                reason=f"category.{row.category}",
                counts_as_offence=True,
                offence_number=number,
                params={"review": str(row.id)},
            ),
        )
        done = [self._t(f"action.{kind}") for kind in (*applied.done, *applied.fallbacks)]
        return self._t(
            "review.confirmed",
            who=who,
            review_id=row.id,
            number=number,
            actions="、".join(done) or self._t("command.word_none"),
        )

    async def _journal(
        self, row: EscalationRow, request: Request, outcome: str, reason: str
    ) -> None:
        """The answer itself, on the member's record: ``groupguard audit`` shows a dismissed
        review as outcome ``false_positive``, a confirmed one as ``confirmed``."""
        target = await self._target(row, request.who.user_id)
        await self._d.record(
            target,
            Decision(
                rule="review",
                article=row.article,
                category=row.category,
                severity="info",
                actions=(),
                user_id=row.user_id,
                evidence=(Evidence(row.summary, 0, len(row.summary), kind="model"),),
                reason=reason,
            ),
            ANSWER_KIND,
            {"review": row.id, "by": request.who.user_id, "by_name": request.who.nickname},
            outcome,
            f"by {request.who.user_id}",
            decision_id=row.decision_id,
        )
