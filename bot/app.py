"""The application: wires config, storage, adapters, the rules engine and the executor.

``handle(event)`` is the sink every adapter delivers to. Per event: claim the update id (a
repeat is dropped), record the member, ask the engine, let the executor act. An exception
in one event is logged and recorded; the bot keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.actions.registry import ActionRegistry, builtin_specs
from bot.actions.spec import MEMBER_STATE
from bot.admins import AdminDirectory
from bot.card_proposals import CardProposals
from bot.clean_text import clean_event
from bot.clock import Clock
from bot.commands.builtin import builtin_commands
from bot.commands.handler import CommandHandler
from bot.commands.spec import CommandRegistry
from bot.commands.tools import CommandTools
from bot.config import Settings
from bot.directory.service import Directory
from bot.events import (
    AnyEvent,
    ButtonPressed,
    CommandIssued,
    JoinRequested,
    Member,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessagePosted,
    NicknameChanged,
)
from bot.executor import Executor, Journaled, Target
from bot.flood import FloodCounter, fingerprint
from bot.hot_path import HotPath
from bot.i18n import Catalogue
from bot.inbox import Inbox
from bot.instances import InstanceLease, instance_id
from bot.join_requests import JoinRequestHandler
from bot.metrics import Metrics
from bot.ports import Adapter, PlatformStartError
from bot.scheduler import Scheduler
from bot.supervision.delivery import DUE_TIMER as REPORT_TIMER
from bot.supervision.delivery import ReportService
from bot.timers import CoreTimers
from bot.workflows.escalation.action import SPEC as ESCALATE
from bot.workflows.escalation.responses import EscalationResponder
from bot.workflows.escalation.workflow import escalation_workflow
from bot.workflows.governance.commands import GovernanceCommands
from bot.workflows.governance.service import Governance
from bot.workflows.governance.workflow import governance_workflow
from bot.workflows.incident.commands import IncidentCommand
from bot.workflows.incident.desk import IncidentDesk
from bot.workflows.incident.workflow import incident_workflow
from bot.workflows.kernel import Answer, Kernel
from bot.workflows.members.service import Members
from bot.workflows.members.workflow import members_workflows
from bot.workflows.review.action import SPEC as REVIEW
from bot.workflows.review.responses import ReviewDeps, ReviewResponder
from bot.workflows.review.workflow import review_workflow
from rules.actions import Action, ActionKind
from rules.checks.nickname import ARTICLE as NICKNAME_ARTICLE
from rules.decisions import Decision
from rules.detection.detector import Detector
from rules.engine import Engine
from rules.nickname import nickname_complies
from rules.observation import GroupState, Kind, MemberRecord, Observation
from rules.opinion import OpinionLexicon
from rules.policy import GroupPolicy
from storage.repository import MemberRow, Repository
from storage.store import Store

log = logging.getLogger(__name__)

# Seconds a stop waits for background work before leaving it to its timer rows.
STOP_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class Handled:
    """What handling one event produced (the console and replay print it; tests read it)."""

    event: AnyEvent
    decisions: tuple[Decision, ...] = ()
    duplicate: bool = False
    replies: tuple[str, ...] = ()


class Application:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        adapters: dict[str, Adapter],
        detector: Detector,
        clock: Clock | None = None,
        *,
        sleep: object = None,
        opinion: OpinionLexicon | None = None,
        metrics: Metrics | None = None,
        instance: str | None = None,
    ) -> None:
        self.settings = settings
        # One registry per application (tests build many in one process).
        self.metrics = metrics if metrics is not None else Metrics()
        self.running = False  # from the end of start() to the beginning of stop(): readiness
        self.store = store
        self.adapters = adapters
        self.clock = clock or Clock()
        self.catalogue = Catalogue(settings.language)
        self.engine = Engine(detector)
        self.directory = Directory(settings, store)

        async def filed(platform: str, chat_id: str) -> bool:
            group = await self.directory.group(platform, chat_id)
            return group is not None and group.status == "filed"

        self.lease = InstanceLease(
            store,
            self.clock,
            instance or instance_id(settings.instance.id),
            settings.instance.lease,
            shared=store.shared,
        )
        self.admins = AdminDirectory(
            settings, adapters, self.clock, settings.admin_cache_ttl, filed=filed
        )
        self.registry = ActionRegistry([*builtin_specs(), ESCALATE, REVIEW])
        self.executor = Executor(
            settings,
            store,
            adapters,
            self.admins,
            self.catalogue,
            self.clock,
            self.registry,
            sleep=sleep,
            instance_id=self.lease.id,
            metrics=self.metrics,
        )
        self.hot = HotPath(store, changes_poll=settings.instance.changes_poll.total_seconds())
        self.flood = FloodCounter()
        self.inbox = Inbox(
            store, self.clock, self.lease, keep_ids=settings.instance.keep_update_ids
        )
        self.lease.on_lapsed.append(self._finish_lapsed_decisions)
        self.executor.on_applied = self.hot.invalidate
        self.executor.on_reread = self.hot.reread
        self.kernel = Kernel()
        responder = EscalationResponder(
            settings, store, self.catalogue, self.clock, self.executor.apply_one
        )
        self.kernel.register(escalation_workflow(responder))
        reviews = ReviewDeps(
            settings,
            store,
            self.catalogue,
            self.clock,
            self.admins.can,
            self.executor.apply_one,
            self.executor.record,
            self.executor.messenger.private,
        )
        self.kernel.register(review_workflow(ReviewResponder(reviews)))
        self.governance = Governance(
            settings,
            store,
            self.catalogue,
            self.clock,
            self.executor.messenger,
            self.executor.adapter_for,
            self.executor.record,
            self.directory,
            deliver_later=not adapters,  # the command line: the running bot sends requests
        )
        self.kernel.register(governance_workflow(self.governance))
        self.members = Members(
            settings,
            store,
            self.catalogue,
            self.clock,
            self.executor.messenger,
            self.executor.adapter_for,
            self.admins,
            self.governance.directory,
            self.executor.record,
            self.executor.apply_one,
        )
        member_workflows, member_commands = members_workflows(self.members)
        for workflow in member_workflows:
            self.kernel.register(workflow)
        self.incidents = IncidentDesk(
            settings,
            store,
            self.clock,
            self.catalogue,
            send=self._send_text,
            record=self.executor.record,
        )
        self.kernel.register(incident_workflow(self.incidents))
        # Public-opinion risk signals (A3/A5): None when automatic incidents are off.
        self.opinion = (
            (opinion or OpinionLexicon.load()) if settings.supervision.incidents.auto_open else None
        )
        self.reports = ReportService(
            settings,
            store,
            self.clock,
            self.catalogue,
            send_text=self._send_text,
            adapter_for=self.executor.adapter_for,
        )
        self.kernel.add_timer(REPORT_TIMER, self.reports.on_timer)
        # Commands answered before the registry's; None passes the command on (``/report``
        # outside a supervisor's own chat is the members' alert to admins).
        self.extra_commands: dict[str, Callable[[CommandIssued], Awaitable[list[str] | None]]] = {
            "report": self.reports.on_command,
        }
        CoreTimers(store, self.clock, self.executor, self.decide).register(self.kernel)
        self.commands = CommandHandler(
            CommandTools(
                settings,
                store,
                self.clock,
                self.catalogue,
                self.admins,
                self.executor,
                adapters,
                lambda: self.engine.detector,
                CommandRegistry(
                    [
                        *builtin_commands(),
                        *GovernanceCommands(self.governance, self.catalogue).specs(),
                        *member_commands,
                        IncidentCommand(self.incidents).spec(),
                    ]
                ),
            )
        )
        self.join_requests = JoinRequestHandler(
            store,
            self.executor,
            self.catalogue,
            on_roster=self.members.requester_on_roster,
            strangers=settings.members.join_requests,
        )
        self.card_proposals = CardProposals(settings, self.executor, self.catalogue)
        self.listeners: list = []  # callables receiving each Handled (console, replay)
        for platform, adapter in adapters.items():
            if hasattr(adapter, "use_inbox"):
                # Updates are recorded before they are acknowledged (issue 10, item 6).
                adapter.use_inbox(self.inbox)
            if hasattr(adapter, "on_admins_changed"):
                # Promotions and demotions arrive as member updates, not events.
                adapter.on_admins_changed = (  # type: ignore[attr-defined]
                    lambda chat_id, p=platform: self.admins.invalidate(p, chat_id)
                )

    @property
    def detector(self) -> Detector:
        return self.engine.detector

    def reload_lexicons(self) -> int:
        """Swap in freshly loaded lexicons without a restart; returns the term count."""
        self.engine.detector = Detector.load(
            self.settings.lexicon_dirs,
            include_builtin=self.settings.builtin_lexicons,
            **self.settings.detection.options(),
        )
        return self.engine.detector.term_count

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.lease.start()
        await self.hot.start()
        await self.governance.start()  # the directory and registry, seeded from config
        await self.members.start()  # the member audit of every known group is armed
        await self.inbox.start()
        for name, adapter in self.adapters.items():
            try:
                await adapter.start(self.handle)
            except PlatformStartError:
                raise
            except Exception as exc:
                # Whatever the client library raises (an unreachable server, a refused
                # token) becomes one line naming the platform; the details go to the log.
                log.debug("starting %s failed", name, exc_info=True)
                raise PlatformStartError(name, _one_line(name, exc)) from exc
        try:
            await self.reports.ensure_armed()
        except Exception:
            log.exception("could not arm the report schedule")
        # After the adapters are up, so a re-applied delete or ban can reach the platform;
        # a failure here is recorded per action and never stops the bot.
        try:
            interrupted = await self._finish_lapsed_decisions(own=True)
        except Exception:
            log.exception("could not finish the actions interrupted by the last stop")
        else:
            if interrupted:
                log.warning("reconciled %d action(s) interrupted by the last stop", interrupted)
        self.running = True

    async def _finish_lapsed_decisions(self, own: bool = False) -> int:
        """Adopt and finish the intents of decisions whose owner's lease lapsed (at start,
        ``own``: also this instance's from before a restart under the same id)."""
        keep = await self.lease.live()
        if own:
            keep.discard(self.lease.id)
        now = self.clock.now()
        adopted = await self.store.write(lambda r: r.adopt_decisions(self.lease.id, keep, now))
        if not adopted:
            return 0
        if not own:
            log.warning("finishing %d decision(s) of a lapsed instance", len(adopted))
        return await self.executor.reconcile(adopted)

    def scheduler(self, poll_seconds: float | None = None) -> Scheduler:
        poll = self.settings.timer_poll.total_seconds() if poll_seconds is None else poll_seconds
        return Scheduler(
            self.store,
            self.clock,
            self.kernel,
            self.executor,
            self.settings.quiet_schedule,
            poll,
            instance_id=self.lease.id,
            timer_lease=self.settings.instance.timer_lease,
            shared=self.store.shared,
            metrics=self.metrics,
        )

    async def stop(self) -> None:
        self.running = False
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.members.flush_activity()  # who spoke last, for the member audit
        # Bans fanned out in the background; what is left fires from its timer after a start.
        await self.executor.settle(grace=STOP_GRACE)
        await self.inbox.stop()
        await self.hot.stop()
        await self.lease.stop()

    # ------------------------------------------------------------------ events
    async def handle(self, event: AnyEvent) -> Handled:
        # Text a database cannot store (a lone surrogate, a NUL) is replaced here, once,
        # rather than failing the write it lands in (issue 10, item 8).
        event = clean_event(event)
        started = self.metrics.received(event)
        if not self.governance.serves(event):
            return Handled(event)  # a dissolved group: the bot no longer serves it (G7)
        try:
            handled = await self._dispatch(event)
        except Exception:
            log.exception("failed to handle %s %s", type(event).__name__, event.update_id)
            handled = Handled(event)
        try:
            await self.governance.on_event(event)  # activity, and unfiled groups (G1, G7)
        except Exception:
            log.exception("governance could not look at %s", type(event).__name__)
        if not handled.duplicate:
            try:
                await self.members.on_event(event)  # roster, strangers, cap, departures (M3-M6)
            except Exception:
                log.exception("members could not look at %s", type(event).__name__)
        self.metrics.handled(
            event, started, decided=bool(handled.decisions), duplicate=handled.duplicate
        )
        for listener in self.listeners:
            listener(handled)
        return handled

    def _is_self(self, platform: str, member: Member) -> bool:
        adapter = self.adapters.get(platform)
        own = getattr(adapter, "self_user_id", None)
        return own is not None and member.user_id == own

    async def _dispatch(self, event: AnyEvent) -> Handled:
        if isinstance(event, ButtonPressed):
            if not await self._unclaimed(event):
                return Handled(event, duplicate=True)
            reply = await self._button(event)
            await self._claim(event)
            return Handled(event, replies=(reply,))
        if isinstance(event, CommandIssued):
            if not await self._unclaimed(event):
                return Handled(event, duplicate=True)
            if event.name in self.kernel.command_verbs():
                replies: tuple[str, ...] = (await self._verb_command(event),)
            else:
                extra = self.extra_commands.get(event.name)
                texts = await extra(event) if extra is not None else None
                if texts is not None:
                    for text in texts:
                        await self.executor.messenger.send(
                            event.platform, event.chat_id, text, reply_to=event.message_id
                        )
                    replies = tuple(texts)
                else:
                    replies = tuple(await self.commands.handle(event))
            await self._claim(event)
            return Handled(event, replies=replies)
        if isinstance(event, MessagePosted):  # includes MessageEdited
            if self._is_self(event.platform, event.sender):
                self.hot.claim(event.platform, event.update_id, self.clock.now())
                return Handled(event)
            kind = Kind.EDIT if isinstance(event, MessageEdited) else Kind.MESSAGE
            return await self._message(event, kind)
        if isinstance(event, MemberJoined):
            return await self._member_event(
                event,
                event.member,
                Kind.JOIN,
                status="active",
                membership=("joined", event.invited_by),
            )
        if isinstance(event, MemberLeft):
            return await self._left(event)
        if isinstance(event, NicknameChanged):
            handled = await self._member_event(event, event.member, Kind.NICKNAME)
            if handled.duplicate:
                return handled
            own = getattr(self.adapters.get(event.platform), "self_user_id", None)
            proposed = await self.card_proposals.handle(event, own)
            return Handled(event, handled.decisions, replies=handled.replies + proposed)
        if isinstance(event, JoinRequested):
            if not await self._unclaimed(event):
                return Handled(event, duplicate=True)
            replies = await self.join_requests.handle(event)
            await self._claim(event)
            return Handled(event, replies=replies)
        return Handled(event)

    async def _unclaimed(self, event: AnyEvent) -> bool:
        """Whether a command or a button press is new. It is claimed once handled, not
        before: a crash in between handles the replayed update again instead of never (an
        escalation's first answer decides, so a repeated press changes nothing)."""
        if not self.hot.first_sight(event.platform, event.update_id):
            return False
        await self.hot.flush()  # what the command reads is committed first
        return not await self.store.read(
            lambda r: r.update_claimed(event.platform, event.update_id)
        )

    async def _claim(self, event: AnyEvent) -> None:
        await self.store.write(
            lambda r: r.claim_update(event.platform, event.update_id, self.clock.now())
        )

    async def _message(self, event: MessagePosted, kind: Kind) -> Handled:
        """The hot path: cached state, queued writes, and a flush only when acting."""
        now = self.clock.now()
        hot, member = self.hot, event.sender
        if not hot.first_sight(event.platform, event.update_id):
            return Handled(event, duplicate=True)
        quiet = await hot.group_quiet(event.platform, event.chat_id, event.chat_title, now)
        previous = await hot.member(event.platform, event.chat_id, member.user_id)
        if _member_changed(previous, member):
            hot.save_member(
                previous,
                platform=event.platform,
                chat_id=event.chat_id,
                user_id=member.user_id,
                nickname=member.nickname,
                username=member.username,
                at=now,
            )
        decisions = await self._decide_for(
            event,
            member,
            kind,
            now,
            previous,
            quiet,
            hot.is_blacklisted(event.platform, member.user_id),
            message=event,
        )
        if not decisions:
            hot.queue_claim(event.platform, event.update_id, now)
            await hot.maybe_flush()
        if self.opinion is not None and event.text:
            signals = self.opinion.scan(event.text)
            if signals:
                await hot.flush()
                await self.incidents.open(
                    platform=event.platform,
                    chat_id=event.chat_id,
                    source="auto",
                    by="bot",
                    summary=event.text,
                    user_id=member.user_id,
                    message_id=event.message_id,
                    signals=signals,
                )
        return Handled(event, decisions=tuple(decisions))

    async def _member_event(
        self,
        event: AnyEvent,
        member: Member,
        kind: Kind,
        *,
        status: str | None = None,
        membership: tuple[str, Member | None] | None = None,
    ) -> Handled:
        """Joins and nickname changes: rare, so written at once in one transaction."""
        now = self.clock.now()
        await self.hot.flush()  # keep the order of writes: queued messages first

        async def load(repo: Repository):  # type: ignore[no-untyped-def]
            # Claimed after deciding (with the intents when there are any): a crash before
            # then handles the replayed update again instead of dropping it.
            if await repo.update_claimed(event.platform, event.update_id):
                return None
            quiet = await repo.touch_group(event.platform, event.chat_id, event.chat_title, now)
            previous = await repo.member(event.platform, event.chat_id, member.user_id)
            if _member_changed(previous, member, status):
                await repo.save_member(
                    previous,
                    platform=event.platform,
                    chat_id=event.chat_id,
                    user_id=member.user_id,
                    nickname=member.nickname,
                    username=member.username,
                    at=now,
                    status=status,
                )
            if membership is not None:
                by = membership[1].user_id if membership[1] else None
                await repo.record_membership(
                    event.platform, event.chat_id, member.user_id, membership[0], by, now
                )
                # Other instances cached the member's standing before this join.
                await repo.record_changes(
                    [(MEMBER_STATE, event.platform, event.chat_id, member.user_id)], now
                )
            blacklisted = await repo.is_blacklisted(event.platform, member.user_id)
            return quiet, previous, blacklisted

        loaded = await self.store.write(load)
        self.hot.remember(event.platform, event.update_id)
        if loaded is None:
            return Handled(event, duplicate=True)
        await self.hot.invalidate(event.platform, event.chat_id, member.user_id)
        quiet, previous, blacklisted = loaded
        decisions = await self._decide_for(event, member, kind, now, previous, quiet, blacklisted)
        if not decisions:
            await self.store.write(lambda r: r.claim_update(event.platform, event.update_id, now))
        return Handled(event, decisions=tuple(decisions))

    async def _decide_for(
        self,
        event: AnyEvent,
        member: Member,
        kind: Kind,
        now: datetime,
        previous: MemberRow | None,
        quiet: bool,
        blacklisted: bool,
        *,
        message: MessagePosted | None = None,
    ) -> list[Decision]:
        if self._is_self(event.platform, member):
            return await self._check_own_name(event, member, kind)
        is_admin = False
        if not member.is_service_account:
            is_admin = await self.admins.is_admin(event.platform, event.chat_id, member)
        recent = (0, 0)
        if kind is Kind.MESSAGE and message is not None and not is_admin:
            limits = self.settings.policy_for(event.platform, event.chat_id).flood
            if limits.enabled:
                recent = self.flood.observe(
                    (event.platform, event.chat_id, member.user_id),
                    now,
                    fingerprint(message.text, message.media_kind),
                    limits.window,
                    limits.repeat_window,
                )
        record = MemberRecord(
            known_nickname=previous.nickname if previous else None,
            is_admin=is_admin,
            blacklisted=blacklisted,
            restricted_until=previous.restricted_until if previous else None,
            deadline_armed=bool(previous and previous.nickname_deadline),
            recent_messages=recent[0],
            recent_repeats=recent[1],
            removed=bool(previous and previous.status == "removed"),
        )
        observation = Observation(
            kind=kind,
            user_id=member.user_id,
            nickname=member.nickname,
            at=now,
            message_id=message.message_id if message else None,
            text=message.text if message else "",
            media_kind=message.media_kind if message else None,
            forwarded=message.forwarded if message else False,
            forward_origin=message.forward_origin if message else None,
            is_service_account=member.is_service_account,
        )
        policy = self.settings.policy_for(event.platform, event.chat_id)
        group = GroupState(quiet=quiet)
        decisions = self.engine.decide(observation, policy, record, group)
        if not decisions:
            return []
        target = Target(
            event.platform,
            event.chat_id,
            event.chat_title,
            member.user_id,
            member.nickname,
            message_text=observation.text,
        )

        async def journal(repo: Repository) -> tuple[list[Decision], Journaled | None]:
            # One transaction: the queued rows a decision rests on, the offence history the
            # ladder needs (decided again with it), the claim and the intents.
            final = await self._with_history(
                repo, event.platform, event.chat_id, observation, policy, record, group, decisions
            )
            claim = (event.platform, event.update_id)
            return final, await self.executor.journal_in(repo, target, final, claim)

        outcome = await self.hot.flush(also=journal, also_writes=True)
        assert outcome is not None
        final, journaled = outcome
        if journaled is None:
            return []  # handled already (a repeated delivery)
        await self.executor.act_on(target, journaled)
        return final

    async def _check_own_name(self, event: AnyEvent, member: Member, kind: Kind) -> list[Decision]:
        """The bot follows the real-name rule too (unless exempted), but it cannot remind or
        remove itself: when its own name in a group does not comply, the group's admins are
        told once per join or rename, and that is recorded."""
        policy = self.settings.policy_for(event.platform, event.chat_id).nickname
        if kind not in (Kind.JOIN, Kind.NICKNAME) or not policy.enabled:
            return []
        if member.user_id in policy.exempt_user_ids:
            return []
        if nickname_complies(member.nickname, policy.pattern):
            return []
        decision = Decision(
            rule="nickname",
            article=NICKNAME_ARTICLE,
            category="nickname",
            severity="low",
            actions=(Action(ActionKind.NOTIFY_ADMINS),),
            user_id=member.user_id,
            reason="reason.bot_nickname_invalid",
            params={"nickname": member.nickname, "example": policy.example},
        )
        target = Target(
            event.platform, event.chat_id, event.chat_title, member.user_id, member.nickname
        )
        if not await self.executor.apply(
            target, [decision], claim=(event.platform, event.update_id)
        ):
            return []
        return [decision]

    async def decide(
        self,
        platform: str,
        chat_id: str,
        observation: Observation,
        record: MemberRecord,
        group: GroupState,
    ) -> list[Decision]:
        """Decide outside the message path (a deadline timer): with the offence history
        when something offends, so the ladder sees the right offence number."""
        policy = self.settings.policy_for(platform, chat_id)
        decisions = self.engine.decide(observation, policy, record, group)
        if not any(d.counts_as_offence for d in decisions):
            return decisions
        decided = await self.hot.flush(
            also=lambda r: self._with_history(
                r, platform, chat_id, observation, policy, record, group, decisions
            )
        )
        return decided if decided is not None else decisions

    async def _with_history(
        self,
        repo: Repository,
        platform: str,
        chat_id: str,
        observation: Observation,
        policy: GroupPolicy,
        record: MemberRecord,
        group: GroupState,
        decisions: list[Decision],
    ) -> list[Decision]:
        """Decide again with the member's offence history when something offends (only then
        is the query paid for), so the ladder sees the right offence number."""
        if not any(d.counts_as_offence for d in decisions):
            return decisions
        since = observation.at - policy.window
        counts = await repo.offence_counts(platform, chat_id, observation.user_id, since)
        if not counts:
            return decisions
        return self.engine.decide(observation, policy, replace(record, offences=counts), group)

    async def _left(self, event: MemberLeft) -> Handled:
        now = self.clock.now()
        removed_by = event.removed_by.user_id if event.removed_by else None
        kind = "removed" if removed_by else "left"

        async def write(repo: Repository) -> bool:
            if not await repo.claim_update(event.platform, event.update_id, now):
                return False
            await repo.touch_group(event.platform, event.chat_id, event.chat_title, now)
            previous = await repo.member(event.platform, event.chat_id, event.member.user_id)
            await repo.save_member(
                previous,
                platform=event.platform,
                chat_id=event.chat_id,
                user_id=event.member.user_id,
                nickname=event.member.nickname,
                username=event.member.username,
                at=now,
                status=kind,
            )
            await repo.set_member_fields(
                event.platform, event.chat_id, event.member.user_id, nickname_deadline=None
            )
            await repo.cancel_timers(
                "nickname_deadline", event.platform, event.chat_id, event.member.user_id
            )
            await repo.record_membership(
                event.platform, event.chat_id, event.member.user_id, kind, removed_by, now
            )
            await repo.record_changes(
                [(MEMBER_STATE, event.platform, event.chat_id, event.member.user_id)], now
            )
            return True

        await self.hot.flush()
        claimed = await self.store.write(write)
        self.hot.remember(event.platform, event.update_id)
        if not claimed:
            return Handled(event, duplicate=True)
        await self.hot.invalidate(event.platform, event.chat_id, event.member.user_id)
        self.admins.invalidate(event.platform, event.chat_id)
        # M6: the departure is journaled and the owner told by the members workflow.
        return Handled(event)

    # ------------------------------------------------------------------ workflows
    async def _button(self, event: ButtonPressed) -> str:
        request = self.kernel.request_from_button(
            event.data, event.platform, event.chat_id, event.presser, event.callback_id
        )
        if request is None:
            answer = Answer(
                self.catalogue.t("escalation.pressed_unknown"), refused=True, detail="malformed"
            )
        else:
            answer = await self.kernel.handle(request)
        await self._journal_answer(event, event.presser, f"button:{event.data[:64]}", answer)
        await self.executor.messenger.answer_button(event.platform, event.callback_id, answer.text)
        if request is not None and not answer.refused and event.message_id:
            # The buttons go; the message says who answered what, and when, so a second
            # supervisor does not press an answered case.
            t = self.catalogue.t
            note = t(
                "words.pressed_by",
                who=event.presser.nickname or event.presser.user_id,
                choice=t(_VERB_LABELS.get(request.verb, "escalation.pressed_unknown")),
                at=self.executor.texts.local(self.clock.now()),
            )
            text = f"{event.message_text}\n{note}" if event.message_text else note
            await self.executor.messenger.edit(
                event.platform, event.chat_id, event.message_id, text
            )
        return answer.text

    async def _verb_command(self, event: CommandIssued) -> str:
        request = self.kernel.request_from_command(
            event.name, event.args, event.platform, event.chat_id, event.sender
        )
        if request is None:
            answer = Answer(
                self.catalogue.t(
                    "command.usage",
                    usage=self.catalogue.t(self.kernel.usage_key(event.name), verb=event.name),
                ),
                refused=True,
                detail="malformed",
            )
        else:
            answer = await self.kernel.handle(request)
        await self._journal_answer(event, event.sender, f"command:{event.name}", answer)
        await self.executor.messenger.send(
            event.platform, event.chat_id, answer.text, reply_to=event.message_id
        )
        return answer.text

    async def _send_text(self, platform: str, chat_id: str, text: str) -> bool:
        if self.executor.adapter_for(platform) is None:
            return False
        await self.executor.messenger.send(platform, chat_id, text)
        return True

    async def _journal_answer(
        self, event: AnyEvent, who: Member, kind: str, answer: Answer
    ) -> None:
        """Answers that change something are journaled by the workflow's actions; refusals
        are journaled here, with who asked and why they were refused."""
        if not answer.refused:
            return
        await self.executor.record(
            Target(event.platform, event.chat_id, event.chat_title, None, "", actor=who.user_id),
            Decision(
                rule="workflow",
                article="R1 Art.10",
                category="refused",
                severity="info",
                actions=(),
                reason=kind,
            ),
            kind,
            {},
            "refused",
            answer.detail,
        )


def _member_changed(previous: MemberRow | None, member: Member, status: str | None = None) -> bool:
    return (
        previous is None
        or previous.nickname != member.nickname
        or previous.username != member.username
        or (status is not None and previous.status != status)
    )


_VERB_LABELS = {
    "ack": "escalation.button_ack",
    "lift": "escalation.button_lift",
    "fp": "escalation.button_false_positive",
}


def _one_line(platform: str, exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if text.startswith(f"{platform}: "):
        return text.removeprefix(f"{platform}: ")  # the adapter's own sentence already
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
