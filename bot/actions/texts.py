"""Texts people read about actions, rendered from what happened (outcomes), in the
configured language and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions.spec import ActionContext, Outcome
from bot.config import Settings
from bot.i18n import Catalogue
from rules.actions import Action, ActionKind
from rules.decisions import Decision


class NoticeTexts:
    def __init__(self, catalogue: Catalogue, settings: Settings) -> None:
        self.t = catalogue.t
        self.catalogue = catalogue
        self._settings = settings

    def local(self, moment: datetime) -> str:
        local = moment.astimezone(self._settings.zone)
        return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")

    def right(self, right: str) -> str:
        return self.t(f"right.{right}")

    def reason(self, decision: Decision) -> str:
        # What an admin typed after the command (/mute @x 10m 刷屏) is the reason people read;
        # the command keeps it as evidence, so the record holds it too.
        typed = [e.match for e in decision.evidence if e.kind == "admin_reason" and e.match]
        if typed:
            return typed[0]
        if decision.reason.startswith("category."):
            return self.t(decision.reason)
        if decision.reason:
            return self.t(decision.reason, **decision.params)
        return self.t("command.reason_default")

    def action(self, action: Action) -> str:
        return self.t(f"action.{action.kind}") + (
            f" {self.catalogue.duration(action.duration)}" if action.duration else ""
        )

    def chain(self, actions: Sequence[Action]) -> str:
        """A ladder step in words: 删除消息、纳入黑名单、上报（1 级） — not delete+blacklist."""
        return "、".join(self.step(a) for a in actions)

    def step(self, action: Action) -> str:
        if action.kind is ActionKind.ESCALATE and action.tier is not None:
            return self.t("words.escalate_tier", tier=action.tier)
        return self.action(action)

    def done(self, earlier: Sequence[tuple[Action, Outcome]], *, with_status: bool) -> str:
        """What phase 1 did: "删除消息、限制发言 1 小时" — with each outcome where it matters
        (an escalation must not claim a delete that failed)."""
        parts = []
        for action, outcome in earlier:
            text = self.action(action)
            if with_status and outcome.status != "done":
                text += f"（{self.t('outcome.' + outcome.status)}）"
            elif not outcome.succeeded:
                continue
            parts.append(text)
        return "、".join(parts) or self.t("command.word_none")

    def planned(self, decision: Decision) -> str:
        """What a decision asks for (before it ran): only for texts written ahead of acting."""
        return "、".join(
            self.action(a)
            for a in decision.actions
            if a.kind
            not in (
                ActionKind.ESCALATE,
                ActionKind.NOTIFY_ADMINS,
                ActionKind.REVIEW,
                ActionKind.ARM_DEADLINE,
            )
        )

    def member_notice(self, ctx: ActionContext, mention: str) -> str:
        decision, target = ctx.decision, ctx.target
        policy = self._settings.policy_for(target.platform, target.chat_id)
        now = ctx.services.clock.now()
        if decision.category == "nickname":
            deadline = now + policy.nickname.grace_period
            for a in decision.actions:
                if a.kind is ActionKind.ARM_DEADLINE and a.duration:
                    deadline = now + a.duration
            consequence = "、".join(self.t(f"action.{a.kind}") for a in policy.nickname.action)
            return self.t(
                "notice.nickname_remind",
                mention=mention,
                example=decision.params.get("example", ""),
                deadline=self.local(deadline),
                consequence=consequence,
            )
        category = self.t(f"category.{decision.category}")
        if ctx.action.kind is ActionKind.REMIND:
            return self.t(
                "notice.remind_content",
                mention=mention,
                category=category,
                article=self.catalogue.article(decision.article),
            )
        typed = [e.match for e in decision.evidence if e.kind == "admin_reason" and e.match]
        if decision.category == "manual":
            # An admin's /warn: the reason they typed, not a category the member cannot act on.
            return self.t(
                "words.warn_manual",
                mention=mention,
                reason=typed[0] if typed else self.t("command.reason_default"),
                window=self.catalogue.duration(policy.window),
                number=decision.offence_number or 1,
            )
        return self.t(
            "notice.warn",
            mention=mention,
            category=category,
            article=self.catalogue.article(decision.article),
            actions=self.done([*ctx.earlier, (ctx.action, Outcome("done"))], with_status=False),
            window=self.catalogue.duration(policy.window),
            number=decision.offence_number or 1,
        )

    def admin_notice(self, ctx: ActionContext) -> str:
        decision, target = ctx.decision, ctx.target
        actions = self.done(ctx.earlier, with_status=True)
        if decision.reason == "reason.bot_nickname_invalid":
            return self.t(
                "notice.bot_nickname_admin",
                nickname=decision.params.get("nickname", target.nickname),
                example=decision.params.get("example", ""),
            )
        if decision.category == "nickname":
            return self.t(
                "notice.nickname_deadline_admin",
                member=target.nickname,
                nickname=decision.params.get("nickname", target.nickname),
                actions=actions,
            )
        if decision.category == "blacklist":
            return self.t("notice.blacklisted_rejoin_admin", member=target.nickname)
        if decision.category == "restricted":
            return self.t("notice.restricted_admin", member=target.nickname, actions=actions)
        return f"{self.t('category.' + decision.category)}: {target.nickname} — {actions}"
