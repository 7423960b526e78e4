"""The executor: the only place that acts on a platform.

For every decision it writes the intents to the append-only journal (committed) before any
platform call, runs each action's registered spec, and writes the outcomes after, so a crash
in between leaves intents with no outcome, which ``reconcile()`` re-runs through the same
specs on the next start (or marks ``interrupted`` where a re-run is not safe).

Actions run in two phases: phase 1 acts (delete, mute, ban, ...); phase 2 informs (warnings,
admin notices, escalations) and is given phase 1's outcomes, so no text claims an action that
failed. Within a phase the actions are independent platform calls and run together.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.actions.dry_run import DryRunAdapter
from bot.actions.messenger import Messenger
from bot.actions.registry import ActionRegistry
from bot.actions.spec import ActionContext, ActionSpec, Outcome, Services, Target
from bot.actions.texts import NoticeTexts
from bot.admins import AdminDirectory
from bot.clean_text import clean_text
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogue
from bot.metrics import Metrics
from bot.platform_calls import call_with_retry
from bot.ports import Adapter, PlatformError
from rules.actions import Action, ActionKind
from rules.decisions import Decision, Evidence
from rules.durations import DurationError, format_duration, parse_duration
from rules.masking import mask_pii
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["Applied", "Executor", "Journaled", "Target"]


@dataclass(slots=True)
class Applied:
    decision_id: str
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    outcomes: list[tuple[Action, Outcome]] = field(default_factory=list)


# Per decision: the decision, its id, its intents' row ids, and each action with its params.
Journaled = list[tuple[Decision, str, list[int], list[tuple[Action, dict[str, Any]]]]]
OnApplied = Callable[[str, str, str | None, frozenset[str], Any], Awaitable[None]]
OnReread = Callable[[Repository, str, str, str, frozenset[str]], Awaitable[Any]]


class Executor:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        adapters: dict[str, Adapter],
        admins: AdminDirectory,
        catalogue: Catalogue,
        clock: Clock,
        registry: ActionRegistry,
        sleep: Any = None,
        instance_id: str = "local",
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        # Written with each decision's intents: reconcile() on another instance leaves them
        # alone while this one's lease holds.
        self.instance_id = instance_id
        self.store = store
        self.clock = clock
        self.registry = registry
        self.t = catalogue.t
        self._sleep = sleep
        self.metrics = metrics if metrics is not None else Metrics()
        # Dry-run and metering wrap the adapters once; specs never branch on either.
        self._adapters: dict[str, Adapter] = {
            name: self.metrics.meter(DryRunAdapter(a) if settings.dry_run else a)
            for name, a in adapters.items()
        }
        self.texts = NoticeTexts(catalogue, settings)
        self.messenger = Messenger(
            self.adapter_for, store, clock, admins, self.retry, settings.reminder_delete_after
        )
        self._background: set[asyncio.Task[None]] = set()
        self.services = Services(
            settings,
            store,
            clock,
            self.texts,
            self.messenger,
            self.adapter_for,
            self.retry,
            self.background,
            self.changed,
        )
        # Told after each decision, so caches of member/group state drop what changed; what
        # they need again is read by ``on_reread`` in the outcomes' transaction.
        self.on_applied: OnApplied | None = None
        self.on_reread: OnReread | None = None

    def adapter_for(self, platform: str) -> Adapter | None:
        return self._adapters.get(platform)

    async def retry(self, call: Callable[[], Awaitable[T]]) -> T:
        """Every platform call: 429 → wait as told; 5xx/network → back off; else raise."""
        if self._sleep is not None:
            return await call_with_retry(call, sleep=self._sleep, on_retry=self.metrics.retried)
        return await call_with_retry(call, on_retry=self.metrics.retried)

    # ------------------------------------------------------------------ background
    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` beside the event handling. Only for work that is durable without it
        (its timer rows are armed first), so a crash or a stop loses nothing."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    async def settle(self, grace: float | None = None) -> None:
        """Wait for background work (tests; a stop, which cancels what is left after
        ``grace`` seconds: its timer rows fire after the next start)."""
        while self._background:
            pending = list(self._background)
            _, late = await asyncio.wait(pending, timeout=grace)
            if late:
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
                return

    # ------------------------------------------------------------------ public
    async def apply(
        self,
        target: Target,
        decisions: Sequence[Decision],
        *,
        claim: tuple[str, str] | None = None,
    ) -> list[Applied]:
        """Journal every decision's intents in one transaction, then act on each.

        ``claim`` (platform, update id) is the update the decisions answer: it is claimed in
        that same transaction, so the update is either claimed with its intents or not at all —
        after a crash a replayed update is acted on exactly once (its intents are finished by
        ``reconcile()``). When it was claimed already nothing is done and [] is returned."""
        journaled = await self.store.write(lambda r: self.journal_in(r, target, decisions, claim))
        return await self.act_on(target, journaled)

    async def apply_one(self, target: Target, decision: Decision) -> Applied:
        """Journal every intent (one transaction), act, then journal every outcome."""
        (applied,) = await self.apply(target, [decision])
        return applied

    async def journal_in(
        self,
        repo: Repository,
        target: Target,
        decisions: Sequence[Decision],
        claim: tuple[str, str] | None = None,
    ) -> Journaled | None:
        """``apply``'s first half inside the caller's transaction (the hot path's: its queued
        rows, the offence history and the intents commit together, one round trip): claim the
        update, write every intent and this instance's ownership of the decisions. None when
        the update was claimed already."""
        now = self.clock.now()
        if claim is not None and not await repo.claim_update(claim[0], claim[1], now):
            return None
        entries = [
            (decision, str(uuid.uuid4()), [(a, self._params(a)) for a in decision.actions])
            for decision in decisions
        ]
        ids = [await self._write_intents(repo, target, *entry, now) for entry in entries]
        await repo.own_decisions(
            self.instance_id, [d for (_, d, planned) in entries if planned], now
        )
        return [(d, i, a, p) for (d, i, p), a in zip(entries, ids, strict=True)]

    async def act_on(self, target: Target, journaled: Journaled | None) -> list[Applied]:
        """``apply``'s second half, once the intents are committed: act, then journal every
        outcome (one transaction per decision)."""
        if journaled is None:
            return []
        return [await self._act(target, *entry) for entry in journaled]

    async def _write_intents(
        self,
        repo: Repository,
        target: Target,
        decision: Decision,
        decision_id: str,
        planned: list[tuple[Action, dict[str, Any]]],
        now: datetime,
    ) -> list[int]:
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

    async def _act(
        self,
        target: Target,
        decision: Decision,
        decision_id: str,
        action_ids: list[int],
        planned: list[tuple[Action, dict[str, Any]]],
    ) -> Applied:
        outcomes = await self._run_phases(target, decision, decision_id, planned)
        self.metrics.applied(target.platform, decision, planned, outcomes)
        applied = Applied(
            decision_id, outcomes=[(a, o) for (a, _), o in zip(planned, outcomes, strict=True)]
        )
        for (action, _), outcome in zip(planned, outcomes, strict=True):
            bucket = {"done": applied.done, "fallback": applied.fallbacks}.get(
                outcome.status, applied.failed
            )
            bucket.append(str(action.kind))
        if outcomes:
            touched = self._touched([a for a, _ in planned])
            fresh = await self._write_outcomes(
                zip(action_ids, outcomes, strict=True),
                done=decision_id,
                changes=_changes(target.platform, target.chat_id, target.user_id, touched),
                reread=(target, touched),
            )
            if touched and self.on_applied is not None:
                await self.on_applied(
                    target.platform, target.chat_id, target.user_id, touched, fresh
                )
        return applied

    async def _run_phases(
        self,
        target: Target,
        decision: Decision,
        decision_id: str,
        planned: Sequence[tuple[Action, dict[str, Any]]],
        *,
        reapply: bool = False,
        earlier: Sequence[tuple[Action, Outcome]] = (),
    ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(planned)
        shown: list[tuple[Action, Outcome]] = list(earlier)
        for phase in (1, 2):
            indexes = [i for i, (a, _) in enumerate(planned) if self._phase(a.kind) == phase]
            results = await asyncio.gather(
                *(
                    self._attempt(
                        ActionContext(
                            target,
                            decision,
                            decision_id,
                            planned[i][0],
                            planned[i][1],
                            self.adapter_for(target.platform),
                            self.services,
                            tuple(shown),
                            reapply,
                        )
                    )
                    for i in indexes
                )
            )
            for i, outcome in zip(indexes, results, strict=True):
                outcomes[i] = outcome
                spec = self.registry.get(str(planned[i][0].kind))
                if spec is not None and spec.shown:
                    shown.append((planned[i][0], outcome))
        return [o if o is not None else Outcome("skipped") for o in outcomes]

    def _phase(self, kind: ActionKind) -> int:
        spec = self.registry.get(str(kind))
        return spec.phase if spec is not None else 1

    async def _write_outcomes(
        self,
        rows: Any,
        *,
        done: str | None = None,
        changes: Sequence[tuple[str, str, str | None, str | None]] = (),
        reread: tuple[Target, frozenset[str]] | None = None,
    ) -> Any:
        """One transaction: the outcomes, the end of this instance's ownership of the
        decision ``done``, the cached-state ``changes`` other instances read, and (``reread``)
        the state this instance's cache needs again; returns what ``on_reread`` read."""
        rows = list(rows)
        now = self.clock.now()

        async def write(repo: Repository) -> Any:
            for action_id, outcome in rows:
                # A detail may quote a platform's error text: it must not fail the outcome
                # rows (an intent left without one would be re-run after the next start).
                await repo.record_outcome(
                    action_id,
                    outcome.status,
                    clean_text(outcome.detail),
                    self.clock.now(),
                    outcome.notified,
                )
            if done is not None:
                await repo.decisions_done([done])
            await repo.record_changes(changes, now)
            if reread is None or self.on_reread is None or reread[0].user_id is None:
                return None
            target, scopes = reread
            return await self.on_reread(
                repo, target.platform, target.chat_id, target.user_id, scopes
            )

        return await self.store.write(write)

    def _touched(self, actions: Sequence[Action]) -> frozenset[str]:
        touched: set[str] = set()
        for action in actions:
            spec = self.registry.get(str(action.kind))
            if spec is not None:
                touched |= spec.invalidates
        return frozenset(touched)

    async def changed(
        self, platform: str, chat_id: str, user_id: str | None, scopes: frozenset[str]
    ) -> None:
        """State changed outside a decision's outcomes (a background ban): recorded for the
        other instances, and this one's cache told."""
        now = self.clock.now()
        rows = _changes(platform, chat_id, user_id, scopes)
        await self.store.write(lambda r: r.record_changes(rows, now))
        if self.on_applied is not None:
            await self.on_applied(platform, chat_id, user_id, scopes, None)

    async def _attempt(self, ctx: ActionContext) -> Outcome:
        spec = self.registry.get(str(ctx.action.kind))
        if spec is None:
            return Outcome("skipped", f"unknown action {ctx.action.kind}")
        try:
            return await spec.run(ctx)
        except PlatformError as exc:
            if exc.kind == "forbidden":
                await self._report_missing_right(ctx, spec)
            return Outcome("failed", f"{exc.kind}: {exc}")
        except Exception as exc:  # a bug in one action must not lose the others' records
            log.exception("action %s failed", ctx.action.kind)
            return Outcome("failed", f"error: {exc!r}")

    async def _report_missing_right(self, ctx: ActionContext, spec: ActionSpec) -> None:
        right = spec.right or str(spec.kind)
        text = self.t(
            "notice.missing_right_admin",
            right=self.texts.right(right),
            action=self.t(f"action.{spec.kind}"),
        )
        await self.messenger.report_missing_right(
            ctx.target.platform, ctx.target.chat_id, text, right
        )

    # ------------------------------------------------------------------ restart
    async def reconcile(self, decision_ids: Collection[str] | None = None) -> int:
        """Finish what a crash interrupted: re-run each intent with no outcome through its
        spec, as a first run would (a mute writes its restriction and expiry timer, a
        blacklist its row and its bans, warnings and escalations are sent), or mark it
        ``interrupted`` where a re-run is not safe. A decision's intents are re-run together,
        phase by phase, and its texts see what its other actions really did (those finished
        before the crash too). Call after the adapters are started; no re-run error stops
        the bot."""
        pending = await self.store.read(lambda r: r.actions_without_outcome(decision_ids))
        by_decision: dict[str, list[dict[str, Any]]] = {}
        for row in pending:
            by_decision.setdefault(row["decision_id"], []).append(row)
        for decision_id, rows in by_decision.items():
            try:
                outcomes = await self._reapply_decision(decision_id, rows)
            except Exception as exc:
                log.exception("re-applying decision %s failed", decision_id)
                outcomes = [
                    Outcome("failed", f"re-apply after its run stopped: {exc!r}") for _ in rows
                ]
            await self._write_outcomes(
                ((row["id"], o) for row, o in zip(rows, outcomes, strict=True)), done=decision_id
            )
        return len(pending)

    async def _reapply_decision(
        self, decision_id: str, rows: list[dict[str, Any]]
    ) -> list[Outcome]:
        first = rows[0]
        platform, chat_id, user_id = first["platform"], first["chat_id"], first["user_id"]
        member = (
            await self.store.read(lambda r: r.member(platform, chat_id, user_id))
            if user_id
            else None
        )
        recorded = await self.store.read(lambda r: r.decision_actions(decision_id))
        planned: list[tuple[Action, dict[str, Any]]] = []
        safe: list[int] = []
        for row in rows:
            params = dict(row["params"] or {})
            spec = self.registry.get(row["kind"])
            if spec is None:  # a kind this version does not know: nothing to re-run
                # Keeps the rows and outcomes aligned; never run (not in ``safe``).
                planned.append((Action(ActionKind.DELETE), params))
                continue
            if spec.reapply:
                safe.append(len(planned))
            planned.append((_action(row["kind"], params), params))
        # What the decision's other actions did before the crash, for the texts (an
        # escalation lists the delete that was done).
        earlier = [
            (_action(r["kind"], dict(r["params"] or {})), Outcome(r["outcome"], r["detail"] or ""))
            for r in recorded
            if r["outcome"] is not None and self._shown(r["kind"])
        ]
        decision = Decision(
            rule=first["rule"],
            article=first["article"],
            category=first["category"],
            severity=first["severity"],
            actions=tuple(planned[i][0] for i in safe),
            user_id=user_id,
            message_id=first["message_id"],
            evidence=tuple(
                Evidence(e["match"], e["start"], e["end"], kind=e.get("kind", ""))
                for e in first["evidence"] or ()
            ),
            reason=first["reason"] or "",
        )
        target = Target(
            platform,
            chat_id,
            None,
            user_id,
            member.nickname if member else (user_id or ""),
            actor=first["actor"],
        )
        ran = await self._run_phases(
            target,
            decision,
            decision_id,
            [planned[i] for i in safe],
            reapply=True,
            earlier=earlier,
        )
        touched = self._touched([planned[i][0] for i in safe])
        if touched:
            await self.changed(platform, chat_id, user_id, touched)
        outcomes = [
            Outcome("interrupted", "process stopped before the outcome was recorded")
            for _ in planned
        ]
        for i, outcome in zip(safe, ran, strict=True):
            prefix = (
                "re-applied after its run stopped "
                if outcome.succeeded
                else "re-apply after its run stopped: "
            )
            outcomes[i] = Outcome(outcome.status, prefix + outcome.detail, outcome.notified)
        return outcomes

    def _shown(self, kind: str) -> bool:
        spec = self.registry.get(kind)
        return spec is not None and spec.shown

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
        notified: Sequence[str] = (),
        *,
        decision_id: str = "-",
    ) -> int:
        """Journal something that needed no platform call (a refused command, a report), or
        a message sent outside an action (an incident notice: ``notified`` says to whom). An
        answer to an earlier decision (a review's) is journaled under that decision's id."""
        row = self._action_row(target, decision, decision_id, kind, params)

        async def write(repo: Repository) -> int:
            action_id = await repo.record_action(**row)
            await repo.record_outcome(action_id, outcome, detail, self.clock.now(), notified)
            return action_id

        return await self.store.write(write)

    async def notify_admins(self, platform: str, chat_id: str, text: str) -> list[str]:
        return await self.messenger.notify_admins(platform, chat_id, text)


def _changes(
    platform: str, chat_id: str, user_id: str | None, scopes: frozenset[str]
) -> list[tuple[str, str, str | None, str | None]]:
    """The ``state_changes`` rows (scope, platform, chat id, user id) other instances read."""
    return [(scope, platform, chat_id, user_id) for scope in scopes]


def _action(kind: str, params: dict[str, Any]) -> Action:
    return Action(
        ActionKind(kind), duration=_duration(params.get("duration")), tier=params.get("tier")
    )


def _duration(text: str | None) -> Any:
    if not text:
        return None
    try:
        return parse_duration(text)
    except DurationError:
        return None
