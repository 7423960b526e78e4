"""The executor: the only place that acts on a platform.

For every action it writes the intent to the append-only journal (committed) before calling
the platform and the outcome after, so a crash in between leaves an intent with no outcome,
which ``reconcile()`` finds on the next start. Missing capabilities get the documented
fallback, recorded as the outcome ``fallback``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.admins import AdminDirectory
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogue
from bot.platform_calls import call_with_retry
from bot.ports import Adapter, Button, PlatformError
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.durations import format_duration
from rules.masking import mask_pii
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)

# Actions safe to run again after a crash between intent and outcome.
IDEMPOTENT = frozenset({"delete", "mute", "unmute", "remove", "blacklist", "quiet", "unquiet"})
RIGHT_FOR = {
    "delete": "can_delete_messages",
    "mute": "can_restrict_members",
    "unmute": "can_restrict_members",
    "remove": "can_restrict_members",
    "blacklist": "can_restrict_members",
    "quiet": "can_restrict_members",
    "unquiet": "can_restrict_members",
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where and on whom decisions act."""

    platform: str
    chat_id: str
    chat_title: str | None
    user_id: str | None
    nickname: str
    actor: str = "bot"  # "bot" or the admin's user id
    message_text: str = ""  # the offending text, for escalation evidence (masked there)


@dataclass(slots=True)
class Applied:
    decision_id: str
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)


class Executor:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        adapters: dict[str, Adapter],
        admins: AdminDirectory,
        catalogue: Catalogue,
        clock: Clock,
        sleep: Any = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.adapters = adapters
        self.admins = admins
        self.t = catalogue.t
        self.clock = clock
        self._sleep = sleep
        # Per process: a missing right is reported to a group's admins once, not per message.
        self._reported_missing: set[tuple[str, str, str]] = set()
        # Told after each decision, so caches of member/group state drop what changed.
        self.on_applied: (
            Callable[[str, str, str | None, frozenset[ActionKind]], Awaitable[None]] | None
        ) = None

    # ------------------------------------------------------------------ public
    async def apply(self, target: Target, decisions: Sequence[Decision]) -> list[Applied]:
        results = []
        for decision in decisions:
            results.append(await self.apply_one(target, decision))
        return results

    async def apply_one(self, target: Target, decision: Decision) -> Applied:
        """Journal every intent (one transaction), act, then journal every outcome."""
        decision_id = str(uuid.uuid4())
        applied = Applied(decision_id)
        now = self.clock.now()
        planned = [(action, self._params(action)) for action in decision.actions]

        async def write_intents(repo: Repository) -> list[int]:
            if decision.counts_as_offence and target.user_id is not None:
                await repo.add_offence(
                    platform=target.platform,
                    chat_id=target.chat_id,
                    user_id=target.user_id,
                    category=decision.category,
                    rule=decision.rule,
                    article=decision.article,
                    message_id=decision.message_id,
                    decision_id=decision_id,
                    at=now,
                )
            if not planned:
                # A detection with nothing to do is still recorded (L1: every detection).
                action_id = await repo.record_action(
                    **self._action_row(target, decision, decision_id, "record", {})
                )
                await repo.record_outcome(action_id, "done", "", now)
                return []
            return [
                await repo.record_action(
                    **self._action_row(target, decision, decision_id, str(a.kind), params)
                )
                for a, params in planned
            ]

        action_ids = await self.store.write(write_intents)
        # The actions of one decision are independent platform calls (delete, warn, ban,
        # escalate to each tier): run them together so one slow call does not queue the rest.
        # Each _attempt catches its own errors, so one failure cannot cancel another.
        attempts = await asyncio.gather(
            *(self._attempt(target, decision, decision_id, a, p) for a, p in planned)
        )
        outcomes = []
        for (action, _), action_id, (outcome, detail, notified) in zip(
            planned, action_ids, attempts, strict=True
        ):
            outcomes.append((action_id, outcome, detail, notified))
            bucket = {"done": applied.done, "fallback": applied.fallbacks}.get(
                outcome, applied.failed
            )
            bucket.append(str(action.kind))

        async def write_outcomes(repo: Repository) -> None:
            for action_id, outcome, detail, notified in outcomes:
                await repo.record_outcome(action_id, outcome, detail, self.clock.now(), notified)

        if outcomes:
            await self.store.write(write_outcomes)
        if self.on_applied is not None and planned:
            kinds = frozenset(a.kind for a, _ in planned)
            await self.on_applied(target.platform, target.chat_id, target.user_id, kinds)
        return applied

    async def reconcile(self) -> int:
        """Finish what a crash interrupted: re-run idempotent actions, mark the rest."""
        pending = await self.store.read(lambda r: r.actions_without_outcome())
        for row in pending:
            kind = row["kind"]
            adapter = self.adapters.get(row["platform"])
            outcome, detail = "interrupted", "process stopped before the outcome was recorded"
            if kind in IDEMPOTENT and adapter is not None and not self.settings.dry_run:
                try:
                    await self._platform_call(
                        adapter,
                        kind,
                        row["chat_id"],
                        row["user_id"],
                        row["message_id"],
                        row["params"],
                    )
                    outcome, detail = "done", "re-applied after restart"
                except PlatformError as exc:
                    outcome, detail = "failed", f"re-apply after restart: {exc.kind}: {exc}"
            await self.store.write(
                lambda r, i=row["id"], o=outcome, d=detail: r.record_outcome(
                    i, o, d, self.clock.now()
                )
            )
        return len(pending)

    # ------------------------------------------------------------------ journal
    def _params(self, action: Action) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if action.duration is not None:
            params["duration"] = format_duration(action.duration)
            params["until"] = (self.clock.now() + action.duration).isoformat()
        if action.tier is not None:
            params["tier"] = action.tier
        return params

    def _action_row(
        self,
        target: Target,
        decision: Decision,
        decision_id: str,
        kind: str,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        evidence = [
            {
                "match": mask_pii(e.match),
                "start": e.start,
                "end": e.end,
                "kind": e.kind,
                "reason": e.reason,
            }
            for e in decision.evidence
        ]
        return {
            "decision_id": decision_id,
            "at": self.clock.now(),
            "platform": target.platform,
            "chat_id": target.chat_id,
            "user_id": target.user_id,
            "actor": target.actor,
            "kind": kind,
            "params": params,
            "rule": decision.rule,
            "article": decision.article,
            "category": decision.category,
            "severity": decision.severity,
            "message_id": decision.message_id,
            "evidence": evidence,
            "reason": decision.reason,
        }

    async def record(
        self,
        target: Target,
        decision: Decision,
        kind: str,
        params: dict[str, Any],
        outcome: str,
        detail: str,
    ) -> int:
        """Journal something that needed no platform call (a refused command, a report)."""
        row = self._action_row(target, decision, "-", kind, params)

        async def write(repo: Repository) -> int:
            action_id = await repo.record_action(**row)
            await repo.record_outcome(action_id, outcome, detail, self.clock.now())
            return action_id

        return await self.store.write(write)

    # ------------------------------------------------------------------ actions
    async def _attempt(
        self,
        target: Target,
        decision: Decision,
        decision_id: str,
        action: Action,
        params: dict[str, Any],
    ) -> tuple[str, str, list[str]]:
        try:
            return await self._perform(target, decision, decision_id, action, params)
        except PlatformError as exc:
            if exc.kind == "forbidden":
                await self._report_missing_right(target, str(action.kind))
            return "failed", f"{exc.kind}: {exc}", []
        except Exception as exc:  # a bug in one action must not lose the others' records
            log.exception("action %s failed", action.kind)
            return "failed", f"error: {exc!r}", []

    async def _perform(
        self,
        target: Target,
        decision: Decision,
        decision_id: str,
        action: Action,
        params: dict[str, Any],
    ) -> tuple[str, str, list[str]]:
        adapter = self.adapters.get(target.platform)
        caps = adapter.capabilities if adapter else None
        kind = action.kind
        dry = self.settings.dry_run or adapter is None
        mention = f"@{target.nickname}"
        user = target.user_id

        if kind is ActionKind.DELETE:
            if decision.message_id is None:
                return "skipped", "no message to delete", []
            if caps is None or not caps.delete_message:
                return "fallback", "platform cannot delete others' messages; recorded only", []
            if not dry:
                await call_with_retry(
                    lambda: adapter.delete_message(target.chat_id, decision.message_id),
                    **self._retry_kw(),
                )
            return "done", "", []

        if kind in (ActionKind.WARN, ActionKind.REMIND):
            text = self._member_notice(target, decision, action, mention)
            if kind is ActionKind.REMIND and caps and caps.private_message and user and not dry:
                try:
                    if await adapter.send_private(user, text):
                        return "done", "private", [user]
                except PlatformError:
                    pass  # fall through to the group
            await self._send(target, text, mention_ids=[user] if user else [], ephemeral=True)
            return "done", "group", [user] if user else []

        if kind is ActionKind.MUTE:
            until = self.clock.now() + (action.duration or timedelta(hours=1))
            await self.store.write(lambda r: self._restrict(r, target, until))
            fallback = caps is None or not caps.mute
            if not fallback and not dry:
                await call_with_retry(
                    lambda: adapter.mute(target.chat_id, user, until), **self._retry_kw()
                )
            key = "notice.muted_fallback" if fallback else "notice.muted"
            await self._send(
                target,
                self.t(
                    key, mention=mention, until=self._local(until), reason=self._reason(decision)
                ),
                mention_ids=[user] if user else [],
            )
            if fallback:
                return "fallback", f"recorded restriction until {until.isoformat()}", [user]
            return "done", f"until {until.isoformat()}", [user]

        if kind is ActionKind.UNMUTE:
            await self.store.write(lambda r: self._unrestrict(r, target))
            if caps and caps.mute and not dry:
                await call_with_retry(
                    lambda: adapter.unmute(target.chat_id, user), **self._retry_kw()
                )
            await self._send(
                target,
                self.t("notice.unmuted", mention=mention),
                mention_ids=[user] if user else [],
            )
            return "done", "", [user] if user else []

        if kind is ActionKind.REMOVE:
            if caps is None or not caps.remove:
                return "fallback", "platform cannot remove members", []
            if not dry:
                await call_with_retry(
                    lambda: adapter.remove(target.chat_id, user), **self._retry_kw()
                )
            await self._mark_removed(target)
            await self._send(
                target,
                self.t("notice.removed", member=target.nickname, reason=self._reason(decision)),
            )
            return "done", "", []

        if kind is ActionKind.BLACKLIST:
            return await self._blacklist(target, decision, adapter, dry)

        if kind is ActionKind.UNBLACKLIST:
            now = self.clock.now()
            await self.store.write(
                lambda r: r.lift_blacklist(target.platform, user, target.actor, now)
            )
            if caps and caps.ban and not dry:
                groups = await self.store.read(lambda r: r.groups(target.platform))
                for _, chat_id, _ in groups:
                    try:
                        await call_with_retry(
                            lambda c=chat_id: adapter.unban(c, user), **self._retry_kw()
                        )
                    except PlatformError as exc:
                        log.info("unban in %s failed: %s", chat_id, exc)
            return "done", "", []

        if kind is ActionKind.ESCALATE:
            return await self._escalate(target, decision, decision_id, action.tier or 1)

        if kind in (ActionKind.QUIET, ActionKind.UNQUIET):
            quiet = kind is ActionKind.QUIET
            await self.store.write(lambda r: self._set_quiet(r, target, quiet, action.duration))
            fallback = caps is None or not caps.quiet_group
            if not fallback and not dry:
                await call_with_retry(
                    lambda: adapter.set_quiet(target.chat_id, quiet), **self._retry_kw()
                )
            if quiet:
                until = (
                    self.t(
                        "notice.quiet_until", until=self._local(self.clock.now() + action.duration)
                    )
                    if action.duration
                    else ""
                )
                await self._send(target, self.t("notice.quiet_on", until=until))
            else:
                await self._send(target, self.t("notice.quiet_off"))
            if fallback:
                return "fallback", "platform cannot mute a group; messages are deleted", []
            return "done", "", []

        if kind is ActionKind.NOTIFY_ADMINS:
            text = self._admin_notice(target, decision)
            told = await self.notify_admins(target.platform, target.chat_id, text)
            return "done", "", told

        if kind is ActionKind.ARM_DEADLINE:
            due = self.clock.now() + (action.duration or timedelta(hours=24))
            now = self.clock.now()

            async def arm(r: Repository) -> None:
                await r.arm_timer(
                    "nickname_deadline", target.platform, target.chat_id, user, due, now
                )
                await r.set_member_fields(
                    target.platform, target.chat_id, user, nickname_deadline=due
                )

            await self.store.write(arm)
            return "done", f"due {due.isoformat()}", []

        if kind is ActionKind.CANCEL_DEADLINE:

            async def cancel(r: Repository) -> None:
                await r.cancel_timers("nickname_deadline", target.platform, target.chat_id, user)
                await r.set_member_fields(
                    target.platform, target.chat_id, user, nickname_deadline=None
                )

            await self.store.write(cancel)
            await self._send(
                target,
                self.t("notice.nickname_thanks", mention=mention),
                mention_ids=[user] if user else [],
                ephemeral=True,
            )
            return "done", "", [user] if user else []

        return "skipped", f"unknown action {kind}", []

    # ------------------------------------------------------------------ helpers
    def _retry_kw(self) -> dict[str, Any]:
        return {"sleep": self._sleep} if self._sleep else {}

    def _local(self, moment: datetime) -> str:
        local = moment.astimezone(self.settings.zone)
        return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")

    def _reason(self, decision: Decision) -> str:
        if decision.reason.startswith("category."):
            return self.t(decision.reason)
        if decision.reason:
            return self.t(decision.reason, **decision.params)
        return self.t("command.reason_default")

    def _actions_text(self, decision: Decision) -> str:
        shown = [
            a
            for a in decision.actions
            if a.kind
            not in (ActionKind.ESCALATE, ActionKind.NOTIFY_ADMINS, ActionKind.ARM_DEADLINE)
        ]
        return "、".join(
            self.t(f"action.{a.kind}") + (f" {format_duration(a.duration)}" if a.duration else "")
            for a in shown
        )

    def _member_notice(
        self, target: Target, decision: Decision, action: Action, mention: str
    ) -> str:
        policy = self.settings.policy_for(target.platform, target.chat_id)
        if decision.category == "nickname":
            deadline = self.clock.now() + policy.nickname.grace_period
            for a in decision.actions:
                if a.kind is ActionKind.ARM_DEADLINE and a.duration:
                    deadline = self.clock.now() + a.duration
            consequence = "、".join(self.t(f"action.{a.kind}") for a in policy.nickname.action)
            return self.t(
                "notice.nickname_remind",
                mention=mention,
                example=decision.params.get("example", ""),
                deadline=self._local(deadline),
                consequence=consequence,
            )
        category = self.t(f"category.{decision.category}")
        if action.kind is ActionKind.REMIND:
            return self.t(
                "notice.remind_content",
                mention=mention,
                category=category,
                article=decision.article,
            )
        return self.t(
            "notice.warn",
            mention=mention,
            category=category,
            article=decision.article,
            actions=self._actions_text(decision),
            window=format_duration(policy.window),
            number=decision.offence_number or 1,
        )

    def _admin_notice(self, target: Target, decision: Decision) -> str:
        actions = self._actions_text(decision)
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

    async def _send(
        self, target: Target, text: str, *, mention_ids: Sequence[str] = (), ephemeral: bool = False
    ) -> str | None:
        """Send to the group. Ephemeral reminders delete themselves later where the platform
        allows it; the deletion is a timer row, so a restart does not leave them behind."""
        adapter = self.adapters.get(target.platform)
        if adapter is None or self.settings.dry_run:
            return None
        message_id = await call_with_retry(
            lambda: adapter.send_message(target.chat_id, text, mention=list(mention_ids)),
            **self._retry_kw(),
        )
        if ephemeral and message_id and adapter.capabilities.delete_own_messages:
            now = self.clock.now()
            due = now + self.settings.reminder_delete_after
            await self.store.write(
                lambda r: r.arm_timer(
                    "delete_message",
                    target.platform,
                    target.chat_id,
                    None,
                    due,
                    now,
                    {"message_id": message_id},
                    replace=False,
                )
            )
        return message_id

    async def notify_admins(self, platform: str, chat_id: str, text: str) -> list[str]:
        """Privately where possible; otherwise one message in the group."""
        adapter = self.adapters.get(platform)
        if adapter is None or self.settings.dry_run:
            return []
        told: list[str] = []
        if adapter.capabilities.private_message:
            for admin_id in await self.admins.admin_ids(platform, chat_id):
                try:
                    if await adapter.send_private(admin_id, text):
                        told.append(admin_id)
                except PlatformError:
                    continue
        if not told:
            await call_with_retry(lambda: adapter.send_message(chat_id, text), **self._retry_kw())
            told.append(f"group:{chat_id}")
        return told

    async def _report_missing_right(self, target: Target, kind: str) -> None:
        right = RIGHT_FOR.get(kind, kind)
        key = (target.platform, target.chat_id, right)
        if key in self._reported_missing:
            return
        self._reported_missing.add(key)
        adapter = self.adapters.get(target.platform)
        if adapter is None:
            return
        try:
            await adapter.send_message(
                target.chat_id,
                self.t("notice.missing_right_admin", right=right, action=self.t(f"action.{kind}")),
            )
        except PlatformError as exc:
            log.warning(
                "could not tell admins of %s about a missing right: %s", target.chat_id, exc
            )

    async def _platform_call(
        self,
        adapter: Adapter,
        kind: str,
        chat_id: str,
        user_id: str | None,
        message_id: str | None,
        params: dict[str, Any],
    ) -> None:
        if kind == "delete" and message_id:
            await adapter.delete_message(chat_id, message_id)
        elif kind == "mute" and user_id and adapter.capabilities.mute:
            await adapter.mute(chat_id, user_id, datetime.fromisoformat(params["until"]))
        elif kind == "unmute" and user_id and adapter.capabilities.mute:
            await adapter.unmute(chat_id, user_id)
        elif kind == "remove" and user_id:
            await adapter.remove(chat_id, user_id)
        elif kind == "blacklist" and user_id:
            await adapter.ban(chat_id, user_id)
        elif kind in ("quiet", "unquiet") and adapter.capabilities.quiet_group:
            await adapter.set_quiet(chat_id, kind == "quiet")

    async def _restrict(self, repo: Repository, target: Target, until: datetime) -> None:
        await repo.ensure_member(
            target.platform,
            target.chat_id,
            target.user_id,
            target.nickname or target.user_id,
            self.clock.now(),
        )
        await repo.set_member_fields(
            target.platform, target.chat_id, target.user_id, restricted_until=until
        )
        await repo.arm_timer(
            "mute_expiry", target.platform, target.chat_id, target.user_id, until, self.clock.now()
        )

    async def _unrestrict(self, repo: Repository, target: Target) -> None:
        await repo.set_member_fields(
            target.platform, target.chat_id, target.user_id, restricted_until=None
        )
        await repo.cancel_timers("mute_expiry", target.platform, target.chat_id, target.user_id)

    async def _set_quiet(
        self, repo: Repository, target: Target, quiet: bool, duration: timedelta | None
    ) -> None:
        await repo.set_quiet(target.platform, target.chat_id, quiet)
        if quiet and duration:
            await repo.arm_timer(
                "quiet_end",
                target.platform,
                target.chat_id,
                None,
                self.clock.now() + duration,
                self.clock.now(),
            )
        elif not quiet:
            await repo.cancel_timers("quiet_end", target.platform, target.chat_id, None)

    async def _mark_removed(self, target: Target) -> None:
        now = self.clock.now()

        async def write(r: Repository) -> None:
            await r.set_member_fields(
                target.platform,
                target.chat_id,
                target.user_id,
                status="removed",
                nickname_deadline=None,
            )
            await r.cancel_timers(
                "nickname_deadline", target.platform, target.chat_id, target.user_id
            )
            await r.record_membership(
                target.platform, target.chat_id, target.user_id, "removed", target.actor, now
            )

        await self.store.write(write)

    async def _blacklist(
        self, target: Target, decision: Decision, adapter: Adapter | None, dry: bool
    ) -> tuple[str, str, list[str]]:
        user = target.user_id
        now = self.clock.now()
        reason = self._reason(decision)

        async def record(r: Repository) -> list[tuple[str, str, str | None]]:
            await r.add_blacklist(target.platform, user, reason, target.actor, now)
            return await r.groups(target.platform)

        groups = await self.store.write(record)
        if adapter is None or dry:
            return "done", "recorded", []
        caps = adapter.capabilities
        chats = [target.chat_id] + [c for _, c, _ in groups if c != target.chat_id]
        failures = []
        for chat_id in chats:
            try:
                if caps.ban:
                    await call_with_retry(
                        lambda c=chat_id: adapter.ban(c, user), **self._retry_kw()
                    )
                elif caps.remove and chat_id == target.chat_id:
                    await call_with_retry(
                        lambda c=chat_id: adapter.remove(c, user), **self._retry_kw()
                    )
            except PlatformError as exc:
                if chat_id == target.chat_id:
                    raise
                failures.append(f"{chat_id}: {exc.kind}")
        await self._mark_removed(target)
        await self._send(
            target, self.t("notice.blacklisted", member=target.nickname, reason=reason)
        )
        detail = f"banned in {len(chats) - len(failures)} group(s)"
        if failures:
            detail += "; failed: " + ", ".join(failures)
        return "done", detail, []

    async def _escalate(
        self, target: Target, decision: Decision, decision_id: str, tier: int
    ) -> tuple[str, str, list[str]]:
        targets = self.settings.escalation.tiers.get(tier, ())
        if not targets:
            return "skipped", f"no supervisors configured for tier {tier}", []
        evidence = "；".join(mask_pii(e.match) for e in decision.evidence) or mask_pii(
            target.message_text[:200]
        )
        group = target.chat_title or target.chat_id
        told: list[str] = []
        failed: list[str] = []
        for supervisor in targets:
            now = self.clock.now()

            async def add(r: Repository, s=supervisor, at=now) -> int:
                return await r.add_escalation(
                    action_id=None,
                    decision_id=decision_id,
                    tier=tier,
                    target_platform=s.platform,
                    target_chat_id=s.chat_id,
                    platform=target.platform,
                    chat_id=target.chat_id,
                    user_id=target.user_id,
                    category=decision.category,
                    article=decision.article,
                    summary=evidence,
                    status="pending",
                    at=at,
                )

            escalation_id = await self.store.write(add)
            tier_name = supervisor.name or self.t("escalation.tier", tier=tier)
            text = self.t("escalation.title", tier_name=tier_name, escalation_id=escalation_id)
            text += "\n" + self.t(
                "escalation.body",
                group=group,
                member=f"{target.nickname} ({target.user_id})",
                category=self.t(f"category.{decision.category}"),
                article=decision.article,
                evidence=evidence,
                actions=self._actions_text(decision),
                decision_id=decision_id,
                at=self._local(now),
            )
            adapter = self.adapters.get(supervisor.platform)
            status = "sent"
            if adapter is None or self.settings.dry_run:
                status = "recorded"
            else:
                buttons = []
                if adapter.capabilities.buttons:
                    buttons = [
                        Button(self.t("escalation.button_ack"), f"esc:{escalation_id}:ack"),
                        Button(self.t("escalation.button_lift"), f"esc:{escalation_id}:lift"),
                        Button(
                            self.t("escalation.button_false_positive"), f"esc:{escalation_id}:fp"
                        ),
                    ]
                try:
                    await call_with_retry(
                        lambda a=adapter, s=supervisor, b=buttons, m=text: a.send_message(
                            s.chat_id, m, buttons=b
                        ),
                        **self._retry_kw(),
                    )
                    told.append(f"{supervisor.platform}:{supervisor.chat_id}")
                except PlatformError as exc:
                    status = "failed"
                    failed.append(f"{supervisor.chat_id}: {exc.kind}")
            await self.store.write(
                lambda r, e=escalation_id, s=status: r.set_escalation_status(e, s)
            )
        if failed and not told:
            return "failed", "; ".join(failed), told
        return "done", "; ".join(failed), told
