"""The ``escalate`` action: one record and one message per supervisor of the tier, written
after the decision's other actions so the text says what really happened."""

from __future__ import annotations

from bot.actions.spec import ActionContext, ActionSpec, Outcome
from bot.ports import PlatformError
from bot.workflows.kernel import button
from rules.actions import ActionKind
from rules.masking import mask_pii
from storage.directory import DirectoryRepository
from storage.repository import Repository

WORKFLOW = "esc"
# Evidence is clipped so an escalation is always deliverable (Telegram: 4,096 characters).
MAX_EVIDENCE = 600


def evidence_text(ctx: ActionContext) -> str:
    t = ctx.services.texts.t
    text = "；".join(mask_pii(e.match) for e in ctx.decision.evidence) or mask_pii(
        ctx.target.message_text
    )
    if len(text) > MAX_EVIDENCE:
        text = text[:MAX_EVIDENCE] + t("escalation.evidence_clipped", length=len(text))
    return text


async def add_record(
    ctx: ActionContext, tier: int, to_platform: str, to_chat_id: str, summary: str
) -> int:
    """One pending record of this decision for one recipient (a supervisor's chat, or at tier
    0 a group admin's): its id goes into the buttons the recipient is sent."""
    target, decision, now = ctx.target, ctx.decision, ctx.services.clock.now()

    async def add(r: Repository) -> int:
        return await r.add_escalation(
            action_id=None,
            decision_id=ctx.decision_id,
            tier=tier,
            target_platform=to_platform,
            target_chat_id=to_chat_id,
            platform=target.platform,
            chat_id=target.chat_id,
            user_id=target.user_id,
            category=decision.category,
            article=decision.article,
            summary=summary,
            status="pending",
            at=now,
        )

    return await ctx.services.store.write(add)


async def escalate(ctx: ActionContext) -> Outcome:
    services, target, decision = ctx.services, ctx.target, ctx.decision
    tier = ctx.action.tier or 1
    supervisors = services.settings.escalation.tiers.get(tier, ())
    if not supervisors:
        return Outcome("skipped", f"no supervisors configured for tier {tier}")
    texts, t = services.texts, services.texts.t
    evidence = evidence_text(ctx)
    already: set[tuple[str, str]] = set()
    if ctx.reapply:
        # After a crash: tell only the supervisors who were not told yet.
        rows = await services.store.read(lambda r: r.escalations_of(ctx.decision_id, tier))
        already = {(e.target_platform, e.target_chat_id) for e in rows if e.status == "sent"}
    # The registered name and owning unit (G1) where the registry has them.
    registered = await services.store.read(
        lambda r: DirectoryRepository(r.c).group(target.platform, target.chat_id)
    )
    group = target.chat_title or target.chat_id
    if registered is not None and registered.name:
        group = registered.name + (f"（{registered.unit}）" if registered.unit else "")
    told: list[str] = []
    failed: list[str] = []
    for supervisor in supervisors:
        if (supervisor.platform, supervisor.chat_id) in already:
            continue
        now = services.clock.now()
        escalation_id = await add_record(
            ctx, tier, supervisor.platform, supervisor.chat_id, evidence
        )
        tier_name = supervisor.name or t("escalation.tier", tier=tier)
        text = t("escalation.title", tier_name=tier_name, escalation_id=escalation_id)
        text += "\n" + t(
            "escalation.body",
            group=group,
            member=f"{target.nickname} ({target.user_id})",
            category=t(f"category.{decision.category}"),
            article=texts.catalogue.article(decision.article),
            evidence=evidence,
            actions=texts.done(ctx.earlier, with_status=True),
            decision_id=ctx.decision_id,
            at=texts.local(now),
        )
        adapter = services.adapter_for(supervisor.platform)
        buttons = []
        if adapter is not None and adapter.capabilities.buttons:
            buttons = [
                button(WORKFLOW, escalation_id, "ack", t("escalation.button_ack")),
                button(WORKFLOW, escalation_id, "lift", t("escalation.button_lift")),
                button(WORKFLOW, escalation_id, "fp", t("escalation.button_false_positive")),
            ]
        else:
            text += "\n" + t("escalation.text_verbs", escalation_id=escalation_id)
        status = "recorded" if adapter is None else "sent"
        try:
            if adapter is not None:
                await services.messenger.send(
                    supervisor.platform, supervisor.chat_id, text, buttons=buttons
                )
                told.append(f"{supervisor.platform}:{supervisor.chat_id}")
        except PlatformError as exc:
            status = "failed"
            failed.append(f"{supervisor.chat_id}: {exc.kind}")
        told_at = services.clock.now()
        await services.store.write(
            lambda r, e=escalation_id, s=status, at=told_at: r.set_escalation_status(e, s, at)
        )
    if failed and not told:
        return Outcome("failed", "; ".join(failed))
    return Outcome("done", "; ".join(failed), tuple(told))


SPEC = ActionSpec(ActionKind.ESCALATE, escalate, reapply=True, phase=2, shown=False)
