"""The ``review`` action: one record and one private message per admin of the group, with
buttons 确认违规 / 误报 where the platform has them and text verbs where it does not. Only when
no admin can be reached privately does the review go to the group itself, and it says so."""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions.spec import ActionContext, ActionSpec, Outcome
from bot.ports import Button, PlatformError
from bot.workflows.escalation.action import add_record, evidence_text
from bot.workflows.kernel import button
from rules.actions import ActionKind

WORKFLOW = "review"
# Reviews share the escalations table: tier 0 is "the group's own admins", below tier 1.
TIER = 0
CONFIRM, DISMISS = "confirm", "dismiss"


def _buttons(ctx: ActionContext, review_id: int) -> list[Button]:
    t = ctx.services.texts.t
    return [
        button(WORKFLOW, review_id, CONFIRM, t("review.button_confirm")),
        button(WORKFLOW, review_id, DISMISS, t("review.button_dismiss")),
    ]


def _text(ctx: ActionContext, review_id: int, evidence: str, *, buttons: bool) -> str:
    texts, target, decision = ctx.services.texts, ctx.target, ctx.decision
    t = texts.t
    group = target.chat_title or target.chat_id
    text = t(
        "review.notice_held"
        if decision.params.get("held")
        else "review.notice_doubted"
        if decision.params.get("doubted")
        else "review.notice",
        review_id=review_id,
        group=group,
        member=f"{target.nickname} ({target.user_id})",
        category=t(f"category.{decision.category}"),
        score=decision.params.get("score", ""),
        features=decision.params.get("features", "") or t("command.word_none"),
        excerpt=evidence,
        decision_id=ctx.decision_id,
        at=texts.local(ctx.services.clock.now()),
    )
    if not buttons:
        # In the group: WeChat, the platform without buttons, takes no commands in private.
        text += "\n" + t("review.text_verbs", review_id=review_id, group=group)
    return text


async def _mark(ctx: ActionContext, review_id: int, status: str) -> None:
    await ctx.services.store.write(lambda r: r.set_escalation_status(review_id, status))


async def review(ctx: ActionContext) -> Outcome:
    services, target = ctx.services, ctx.target
    adapter = ctx.adapter
    if adapter is None:
        return Outcome("skipped", "no adapter serves the platform")
    has_buttons = adapter.capabilities.buttons
    evidence = evidence_text(ctx)
    already: Sequence[str] = ()
    if ctx.reapply:
        # After a crash: tell only the admins who were not told yet.
        rows = await services.store.read(lambda r: r.escalations_of(ctx.decision_id, TIER))
        already = [row.target_chat_id for row in rows if row.status == "sent"]
        if target.chat_id in already:
            return Outcome("fallback", "sent to the group before the restart")
    told: list[str] = []
    for admin_id in await services.messenger.admin_ids(target.platform, target.chat_id):
        if admin_id == target.user_id or admin_id in already:
            continue  # the member concerned never reviews his own message
        review_id = await add_record(ctx, TIER, target.platform, admin_id, evidence)
        sent = await services.messenger.private(
            target.platform,
            admin_id,
            _text(ctx, review_id, evidence, buttons=has_buttons),
            buttons=_buttons(ctx, review_id) if has_buttons else (),
        )
        await _mark(ctx, review_id, "sent" if sent else "failed")
        if sent:
            told.append(admin_id)
    if told or already:
        return Outcome("done", "", tuple(told))
    # No admin reachable privately (none known, or none ever wrote to the bot): the group sees
    # the review rather than nobody, and the text says why it is there.
    review_id = await add_record(ctx, TIER, target.platform, target.chat_id, evidence)
    text = _text(ctx, review_id, evidence, buttons=has_buttons)
    text += "\n" + services.texts.t("review.group_fallback")
    try:
        await services.messenger.send(
            target.platform,
            target.chat_id,
            text,
            buttons=_buttons(ctx, review_id) if has_buttons else (),
        )
    except PlatformError:
        await _mark(ctx, review_id, "failed")
        raise
    await _mark(ctx, review_id, "sent")
    return Outcome(
        "fallback", "no admin reachable privately; sent to the group", (f"group:{target.chat_id}",)
    )


SPEC = ActionSpec(ActionKind.REVIEW, review, reapply=True, phase=2, shown=False)
