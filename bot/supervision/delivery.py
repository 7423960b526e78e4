"""Reports to supervisors: on a schedule (default monthly, per tier and unit — config
``supervision.reports``) and on demand (``/report`` in a supervisor's own chat).

The schedule is one ``report_due`` timer row, so a restart re-arms nothing twice: on start the
service arms the next due moment unless a row is armed already, and when it fires it arms the
following one first. Each delivery is a ``report_runs`` row — unique per (period, scope,
recipient), journaled, and carrying the journal head printed in the report — so a due moment
handled twice (two instances, a crash half-way and a catch-up) sends each report once.

Each supervisor gets a summary message with the key figures and the file itself where the
platform can send documents (Telegram, console); elsewhere the file is kept under
``supervision.report_dir`` and the message says where.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import insert, select

from bot.clock import Clock
from bot.config import ReportSchedule, Settings
from bot.events import CommandIssued
from bot.i18n import Catalogue
from bot.supervision.render import render, summary_message
from bot.supervision.report import Period, gather, month_period, parse_period
from bot.workflows.kernel import TimerDue
from rules.policy import EscalationTarget
from storage import journal
from storage.models import ReportRun, Timer
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)

DUE_TIMER = "report_due"
_TIMER_PLACE = ("-", "report-schedule")  # (platform, chat_id) of the schedule's timer row


@runtime_checkable
class DocumentSender(Protocol):
    """An adapter that can send a file (optional: not every platform can)."""

    async def send_document(
        self, chat_id: str, filename: str, data: bytes, caption: str = ""
    ) -> str | None: ...


SendText = Callable[[str, str, str], Awaitable[bool]]
AdapterFor = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Recipient:
    tier: int
    target: EscalationTarget

    @property
    def key(self) -> str:
        return f"{self.target.platform}:{self.target.chat_id}"


def _month_start(day: date, settings: Settings) -> datetime:
    """Day 1 of ``day``'s month at report_time, in the configured zone."""
    hour, minute = (int(x) for x in settings.supervision.report_time.split(":"))
    return datetime.combine(day.replace(day=1), time(hour, minute), settings.zone)


def next_due(after: datetime, settings: Settings) -> datetime:
    """The first report moment strictly after ``after``."""
    candidate = _month_start(after.astimezone(settings.zone).date(), settings)
    while candidate <= after:
        candidate = _month_start(candidate.date().replace(day=28) + timedelta(days=4), settings)
    return candidate


def last_due(at: datetime, settings: Settings) -> datetime:
    """The latest report moment at or before ``at``."""
    candidate = _month_start(at.astimezone(settings.zone).date(), settings)
    if candidate > at:
        candidate = _month_start(candidate.date() - timedelta(days=1), settings)
    return candidate


def period_for(schedule: ReportSchedule, due: datetime, settings: Settings) -> Period | None:
    """The period that ended at ``due`` for this schedule entry, or None when it is not due
    (a quarterly report on the first of a month that does not begin a quarter)."""
    local = due.astimezone(settings.zone).date()
    last_month = local.replace(day=1) - timedelta(days=1)
    if schedule.every == "month":
        return month_period(last_month.year, last_month.month, settings.zone)
    if local.month not in (1, 4, 7, 10):
        return None
    quarter = (last_month.month - 1) // 3 + 1
    return parse_period(f"{last_month.year}-Q{quarter}", None, None, settings.zone, local)


class ReportService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        catalogue: Catalogue,
        *,
        send_text: SendText,
        adapter_for: AdapterFor,
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._catalogue = catalogue
        self._t = catalogue.t
        self._send_text = send_text
        self._adapter_for = adapter_for

    # ------------------------------------------------------------------ schedule
    async def ensure_armed(self) -> datetime | None:
        """On start: arm the next due moment unless a row is armed already. Returns it."""
        if not self._settings.supervision.reports:
            return None
        now = self._clock.now()

        async def arm(repo: Repository) -> datetime:
            armed = (
                await repo.c.execute(
                    select(Timer.due_at).where(Timer.kind == DUE_TIMER, Timer.status == "armed")
                )
            ).first()
            if armed is not None:
                return armed[0]
            previous = last_due(now, self._settings)
            if await self._interrupted(repo, previous):
                # The last firing stopped half-way (a crash after the row was claimed): finish
                # it now; whoever already had their report is skipped by its run row.
                await repo.arm_timer(
                    DUE_TIMER, *_TIMER_PLACE, None, now, now, {"due": previous.isoformat()}
                )
                return now
            due = next_due(now, self._settings)
            await repo.arm_timer(DUE_TIMER, *_TIMER_PLACE, None, due, now, {"due": due.isoformat()})
            return due

        return await self._store.write(arm)

    async def _interrupted(self, repo: Repository, due: datetime) -> bool:
        """Whether the row due at ``due`` fired but some of its reports were never sent."""
        fired = (
            await repo.c.execute(
                select(Timer.id).where(
                    Timer.kind == DUE_TIMER, Timer.status == "fired", Timer.due_at == due
                )
            )
        ).first()
        if fired is None:
            return False
        sent = {
            tuple(row)
            for row in (
                await repo.c.execute(select(ReportRun.period, ReportRun.scope, ReportRun.recipient))
            ).all()
        }
        for schedule in self._settings.supervision.reports:
            period = period_for(schedule, due, self._settings)
            if period is None:
                continue
            for target in self._settings.escalation.tiers.get(schedule.tier, ()):
                key = (period.label, schedule.unit or "*", Recipient(schedule.tier, target).key)
                if key not in sent:
                    return True
        return False

    async def on_timer(self, fired: TimerDue) -> None:
        due = datetime.fromisoformat(str(fired.payload["due"]))
        now = self._clock.now()
        following = next_due(max(due, now), self._settings)
        # The next moment first: a failure below must not end the schedule.
        await self._store.write(
            lambda r: r.arm_timer(
                DUE_TIMER, *_TIMER_PLACE, None, following, now, {"due": following.isoformat()}
            )
        )
        for schedule in self._settings.supervision.reports:
            period = period_for(schedule, due, self._settings)
            if period is None:
                continue
            for target in self._settings.escalation.tiers.get(schedule.tier, ()):
                try:
                    await self.deliver(
                        Recipient(schedule.tier, target), period, schedule.unit, schedule.format
                    )
                except Exception:  # one supervisor's failure must not cost the others theirs
                    log.exception("report %s for %s failed", period.label, target.chat_id)

    # ------------------------------------------------------------------ delivery
    async def deliver(
        self,
        recipient: Recipient,
        period: Period,
        unit: str | None,
        fmt: str,
        *,
        run_label: str | None = None,
    ) -> str | None:
        """Build and send one report; None when this recipient already had it."""
        now = self._clock.now()
        label = run_label or period.label
        scope = unit or "*"

        async def claim_and_gather(repo: Repository):  # type: ignore[no-untyped-def]
            done = (
                await repo.c.execute(
                    select(ReportRun.id).where(
                        ReportRun.period == label,
                        ReportRun.scope == scope,
                        ReportRun.recipient == recipient.key,
                    )
                )
            ).first()
            if done is not None:
                return None
            unknown = self._t("supervision.unit_unregistered")
            return await gather(
                repo, self._settings, period, unit=unit, now=now, unknown_unit=unknown
            )

        data = await self._store.read(claim_and_gather)
        if data is None:
            return None
        blob = render(data, fmt, self._catalogue, self._settings.zone)
        summary = summary_message(self._catalogue, data)
        filename = f"groupguard-report-{period.label.replace('..', '_')}"
        filename += f"-{unit}" if unit else ""
        filename += f".{fmt}"
        status = await self._send(recipient, summary, filename, blob)
        head = data.head

        async def record(repo: Repository) -> None:
            result = await repo.c.execute(
                insert(ReportRun)
                .values(
                    period=label,
                    scope=scope,
                    recipient=recipient.key,
                    head_seq=head.seq,
                    head_hash=head.hash,
                    status=status,
                    at=now,
                )
                .returning(ReportRun.id)
            )
            await journal.mirror(
                repo.c, "report.sent", ReportRun.__table__, result.scalar_one(), at=now
            )

        await self._store.write(record)
        return summary

    async def _send(self, recipient: Recipient, summary: str, filename: str, blob: bytes) -> str:
        target = recipient.target
        adapter = self._adapter_for(target.platform)
        if adapter is None:
            self._keep(filename, blob)
            return "recorded"
        if isinstance(adapter, DocumentSender):
            await self._send_text(target.platform, target.chat_id, summary)
            await adapter.send_document(target.chat_id, filename, blob, filename)
            return "sent"
        path = self._keep(filename, blob)
        text = summary + "\n" + self._t("supervision.report_no_document", path=path)
        await self._send_text(target.platform, target.chat_id, text)
        return "sent"

    def _keep(self, filename: str, blob: bytes) -> Path:
        folder = self._settings.supervision.report_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_bytes(blob)
        return path

    # ------------------------------------------------------------------ /report
    def recipient_for(self, event: CommandIssued) -> Recipient | None:
        """The supervisor asking, when this chat is one of theirs and they may speak for it."""
        for tier, targets in sorted(self._settings.escalation.tiers.items()):
            for target in targets:
                here = (target.platform, target.chat_id) == (event.platform, event.chat_id)
                if here and target.may_answer(event.sender.user_id):
                    return Recipient(tier, target)
        return None

    def is_supervisor_chat(self, event: CommandIssued) -> bool:
        return any(
            (t.platform, t.chat_id) == (event.platform, event.chat_id)
            for targets in self._settings.escalation.tiers.values()
            for t in targets
        )

    async def on_command(self, event: CommandIssued) -> list[str] | None:
        """``/report [2026-11|2026-Q4]`` in a supervisor's chat; None elsewhere, so the
        members' ``/report`` (alerting admins) keeps working in groups."""
        if not self.is_supervisor_chat(event):
            return None
        recipient = self.recipient_for(event)
        if recipient is None:
            return [self._t("supervision.report_refused")]
        now = self._clock.now()
        try:
            period = parse_period(
                event.args[0] if event.args else None,
                None,
                None,
                self._settings.zone,
                now.astimezone(self._settings.zone).date(),
            )
        except ValueError:
            return [self._t("supervision.report_usage")]
        unit = next(
            (s.unit for s in self._settings.supervision.reports if s.tier == recipient.tier),
            None,
        )
        fmt = next(
            (s.format for s in self._settings.supervision.reports if s.tier == recipient.tier),
            "xlsx",
        )
        # Runs on demand are kept apart from the schedule's: each ask is its own run.
        label = f"{period.label}#{event.update_id}"[:96]
        await self.deliver(recipient, period, unit, fmt, run_label=label)
        return []  # the summary and the file went to this chat already
