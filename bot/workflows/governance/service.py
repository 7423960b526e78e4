"""Governance: filings up their approval chain, their effects on the registry, and the
lifecycle reminders (temporary groups, inactivity, dissolution, unfiled groups).

Everything that changes something or refuses someone is journaled (``record``); every
reminder fires from a persisted timer, so a restart changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.actions.messenger import Messenger
from bot.actions.spec import Target
from bot.clock import Clock, local_minute
from bot.config import Settings
from bot.directory.service import Directory, RoleHolder
from bot.events import AnyEvent, CommandIssued, MemberJoined, MessagePosted, NicknameChanged
from bot.i18n import Catalogue
from bot.ports import Adapter, PlatformError
from bot.registry_text import registry_text
from bot.workflows.governance import chain
from bot.workflows.governance.form import FilingForm, FormError, platform_of, template
from bot.workflows.kernel import Answer, Request, TimerDue, button
from rules.decisions import Decision
from storage.directory import DirectoryRepository, PersonRow, RegistryRow
from storage.filings import FilingRepository, FilingRow
from storage.repository import Repository
from storage.store import Store

log = logging.getLogger(__name__)

WORKFLOW = "gov"
ARTICLE = "R2 Art.9"
Record = Callable[[Target, Decision, str, dict[str, Any], str, str], Awaitable[int]]
AdapterFor = Callable[[str], Adapter | None]
# Timer kinds, one handler each (workflow.py registers them).
STEP_REMIND, STEP_ESCALATE = "gov_step_remind", "gov_step_escalate"
TEMP_BEFORE, TEMP_END, TEMP_OVERDUE = "gov_temp_before", "gov_temp_end", "gov_temp_overdue"
INACTIVE, DISSOLVE = "gov_inactive", "gov_dissolve"
# A step decided or submitted on the command line (no platform connected there) is sent to
# its approver by the running bot, through this timer, due at once.
STEP_REQUEST = "gov_step_request"
# The registry's last-activity time is written at most this often per group: exact enough for
# a 30-day rule, and it keeps writes off the per-message path.
ACTIVITY_RESOLUTION = timedelta(hours=1)
OPEN_STATUSES = ("unfiled", "pending", "filed", "approved")
# What only happens in a group: a chat first seen through one of these is a group to register.
GROUP_EVENTS = (MessagePosted, MemberJoined, NicknameChanged)


@dataclass(frozen=True, slots=True)
class Submitted:
    filing_id: int
    replies: tuple[str, ...]


class Governance:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        catalogue: Catalogue,
        clock: Clock,
        messenger: Messenger,
        adapter_for: AdapterFor,
        record: Record,
        directory: Directory,
        *,
        deliver_later: bool = False,
    ) -> None:
        self._settings = settings
        self._cfg = settings.governance
        self._store = store
        self._t = catalogue.t
        self._clock = clock
        self._messenger = messenger
        self._adapter_for = adapter_for
        self._record = record
        self.directory = directory
        self._deliver_later = deliver_later
        # Per process, so the per-message path reads nothing: groups confirmed in the
        # registry, when each was last written active, and the groups no longer served.
        self._known: set[tuple[str, str]] = set()
        self._activity_written: dict[tuple[str, str], datetime] = {}
        self._stopped: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ helpers
    def local(self, moment: datetime) -> str:
        return local_minute(moment, self._settings.zone)

    def today(self) -> date:
        return self._clock.now().astimezone(self._settings.zone).date()

    def role_name(self, role: str) -> str:
        key = f"governance.role_{role}"
        return self._t(key) if self._catalogue_has(key) else role

    def _catalogue_has(self, key: str) -> bool:
        return self._t(key) != key

    def word(self, group: str, value: str) -> str:
        return self._t(f"governance.{group}_{value}")

    async def journal(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        actor: str,
        outcome: str = "done",
        detail: str = "",
        *,
        params: dict[str, Any] | None = None,
        article: str = ARTICLE,
    ) -> None:
        await self._record(
            Target(platform, chat_id, None, None, "", actor=actor),
            Decision(
                rule="governance",
                article=article,
                category="governance",
                severity="info",
                actions=(),
                reason=kind,
            ),
            f"gov:{kind}",
            params or {},
            outcome,
            detail,
        )

    async def _tell_person(
        self, person: PersonRow, text: str, buttons: Sequence[Any] = (), verbs: str = ""
    ) -> list[str]:
        """Privately on each of the person's accounts the bot can reach; buttons where the
        platform has them, else the text commands. Returns where it was delivered."""
        told: list[str] = []
        for platform, user_id in person.accounts:
            adapter = self._adapter_for(platform)
            if adapter is None or not adapter.capabilities.private_message:
                continue
            try:
                if buttons and adapter.capabilities.buttons:
                    await self._messenger.send(platform, user_id, text, buttons=buttons)
                    ok = True
                else:
                    ok = await self._messenger.private(
                        platform, user_id, f"{text}\n{verbs}" if verbs else text
                    )
            except PlatformError as exc:
                log.info("could not reach %s on %s: %s", person.name, platform, exc)
                ok = False
            if ok:
                told.append(f"{platform}:{user_id}")
        return told

    async def _tell_group(self, platform: str, chat_id: str, text: str) -> None:
        try:
            await self._messenger.send(platform, chat_id, text)
        except PlatformError as exc:
            log.info("could not tell %s:%s: %s", platform, chat_id, exc)

    async def _tell_supervisors(self, text: str) -> list[str]:
        told = []
        for supervisor in self._settings.escalation.tiers.get(1, ()):
            try:
                await self._messenger.send(supervisor.platform, supervisor.chat_id, text)
                told.append(f"{supervisor.platform}:{supervisor.chat_id}")
            except PlatformError as exc:
                log.info("could not tell supervisor %s: %s", supervisor.chat_id, exc)
        return told

    async def _tell_owners(self, group: RegistryRow, text: str) -> list[str]:
        """The responsible person (through the directory) and the group's admins."""
        told: list[str] = []
        if group.responsible and (person := await self.directory.person(group.responsible)):
            told += await self._tell_person(person, text)
        if not told:
            told += await self._messenger.notify_admins(group.platform, group.chat_id, text)
        return told

    def group_label(self, group: RegistryRow | None, chat_id: str) -> str:
        if group is None or not group.name:
            return chat_id
        return f"{group.name}（{group.unit}）" if group.unit else group.name

    # ------------------------------------------------------------------ start
    async def start(self) -> None:
        """Seed the directory and registry from config; arm the lifecycle timers each group
        needs and does not have (a restart re-arms nothing that already fired)."""
        if not self._cfg.enabled:
            return
        now = self._clock.now()
        groups = await self.directory.seed(now)
        armed = await self._store.read(lambda r: r.armed_timers())
        have = {(t.kind, t.platform, t.chat_id) for t in armed}
        planned: list[tuple[str, str, str, datetime]] = []
        for group in groups:
            self._known.add((group.platform, group.chat_id))
            if group.service_stopped_at is not None:
                self._stopped.add((group.platform, group.chat_id))
                continue
            if group.status not in ("filed", "approved"):
                continue
            lifecycle = {INACTIVE, DISSOLVE, TEMP_BEFORE, TEMP_END, TEMP_OVERDUE}
            if any((k, group.platform, group.chat_id) in have for k in lifecycle):
                continue
            planned += self._lifecycle(group, now)
        # One transaction for every group's timers: 2,000 configured groups cost one commit
        # at the first start, not 2,000.
        await self._store.write(lambda r: _arm_all(r, planned, now))

    async def _arm_lifecycle(self, group: RegistryRow, now: datetime) -> None:
        planned = self._lifecycle(group, now)
        await self._store.write(lambda r: _arm_all(r, planned, self._clock.now()))

    def _lifecycle(self, group: RegistryRow, now: datetime) -> list[tuple[str, str, str, datetime]]:
        """The lifecycle timers a group needs: (kind, platform, chat id, due)."""
        platform, chat_id = group.platform, group.chat_id
        if group.term == "temporary" and group.ends_on is not None:
            end = self.directory.end_of(group.ends_on)
            before = end - self._cfg.temporary_remind_before
            return [
                *([(TEMP_BEFORE, platform, chat_id, before)] if before > now else []),
                (TEMP_END, platform, chat_id, end),
                (TEMP_OVERDUE, platform, chat_id, end + self._cfg.temporary_escalate_after),
            ]
        last = group.last_activity_at or now
        return [(INACTIVE, platform, chat_id, last + self._cfg.inactive_after)]

    async def _arm(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        due: datetime,
        payload: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> None:
        now = self._clock.now()
        await self._store.write(
            lambda r: r.arm_timer(kind, platform, chat_id, key, due, now, payload or {})
        )

    async def _cancel(
        self, platform: str, chat_id: str, *kinds: str, key: str | None = None
    ) -> None:
        async def work(r) -> None:  # type: ignore[no-untyped-def]
            for kind in kinds:
                await r.cancel_timers(kind, platform, chat_id, key)

        await self._store.write(work)

    # ------------------------------------------------------------------ every event
    def serves(self, event: AnyEvent) -> bool:
        """False for a group whose service was stopped after dissolution (G7): its messages
        are no longer handled; commands still are, so it can be filed again."""
        if isinstance(event, CommandIssued) or not self._stopped:
            return True
        key = (getattr(event, "platform", ""), getattr(event, "chat_id", ""))
        return key not in self._stopped

    async def on_event(self, event: AnyEvent) -> None:
        """Track activity (for R1 Art.14) and notice groups that are not in the registry."""
        if not self._cfg.enabled or not isinstance(event, GROUP_EVENTS):
            return  # presses and commands also come from private chats with approvers
        member = event.sender if isinstance(event, MessagePosted) else event.member
        if event.chat_id == member.user_id:
            return  # a private chat (Telegram, WeChat: the chat is the person)
        key = (event.platform, event.chat_id)
        now = self._clock.now()
        if key not in self._known:
            await self._first_sight(event, now)
            self._known.add(key)
        if isinstance(event, MessagePosted):
            last = self._activity_written.get(key)
            if last is None or now - last >= ACTIVITY_RESOLUTION:
                self._activity_written[key] = now
                await self._store.write(
                    lambda r: DirectoryRepository(r.c).update_group(
                        event.platform, event.chat_id, last_activity_at=now
                    )
                )

    async def _first_sight(self, event: AnyEvent, now: datetime) -> None:
        platform, chat_id = event.platform, event.chat_id

        async def work(r) -> tuple[bool, RegistryRow | None]:  # type: ignore[no-untyped-def]
            d = DirectoryRepository(r.c)
            added = await d.add_seen_group(platform, chat_id, event.chat_title, now)
            group = await d.group(platform, chat_id)
            told = False
            if group is not None and group.status == "unfiled" and self._cfg.notify_unfiled:
                told = await d.claim_unfiled_notice(platform, chat_id, now)
            return added or told, group if told else None

        # An unfiled group gets no lifecycle timers until a filing is approved: the one
        # thing it is told is that it must be filed.
        _, unfiled = await self._store.write(work)
        if unfiled is None:
            return
        text = self._t(
            "governance.unfiled_notice",
            group=event.chat_title or chat_id,
            template=template(),
        )
        told = await self._messenger.notify_admins(platform, chat_id, text)
        await self.journal(
            "unfiled_notice", platform, chat_id, "bot", detail="told: " + ",".join(told)
        )

    # ------------------------------------------------------------------ filing
    async def submit(
        self,
        form: FilingForm,
        platform: str,
        chat_id: str,
        submitter_id: str,
        submitter_name: str,
    ) -> Submitted:
        """Check and store a filing, then ask its first approver. Raises FormError with a
        one-line reason when it cannot be accepted."""
        now = self._clock.now()
        today = self.today()
        group = await self.directory.group(platform, chat_id)
        if form.category != "create":
            if group is None:
                raise FormError("governance.form_no_group")
            form = form.completed(
                unit=group.unit,
                group_name=group.name,
                responsible=group.responsible,
                group_class=group.group_class,
            )
            last = await self._store.read(
                lambda r: FilingRepository(r.c).latest_for(platform, chat_id)
            )
            if last is not None:
                form = form.completed(member_scope=last.member_scope, purpose=last.purpose)
        if not form.unit or not form.group_name or not form.responsible:
            raise FormError("governance.form_missing", fields="使用部门、群组名称、群组负责人")
        if self._settings.directory.units and not any(
            u.name == form.unit for u in self._settings.directory.units
        ):
            raise FormError("governance.form_unknown_unit", unit=form.unit)
        if form.ends_on is not None:
            days = (form.ends_on - today).days
            if days < 0:
                raise FormError("governance.form_bad_date", value=str(form.ends_on))
            if days > self._cfg.temporary_max_days:
                raise FormError(
                    "governance.temporary_too_long",
                    days=str(days),
                    limit=str(self._cfg.temporary_max_days),
                )
        chain_name = chain.chain_for(form.group_class, form.temporary)
        steps = tuple(self._cfg.chains[chain_name])
        label = form.platform_label or self.word("platform", platform)
        named = platform_of(label)
        if named is not None and named != platform:
            raise FormError("governance.form_wrong_platform", value=label)

        async def work(r) -> int | FilingRow:  # type: ignore[no-untyped-def]
            f = FilingRepository(r.c)
            if (open_ := await f.open_for(platform, chat_id)) is not None:
                return open_
            filing_id = await f.add(
                platform=platform,
                chat_id=chat_id,
                category=form.category,
                unit=form.unit,
                filed_on=form.filed_on or today,
                platform_label=label,
                group_name=form.group_name,
                responsible=form.responsible,
                member_scope=form.member_scope,
                purpose=form.purpose,
                notes=form.notes,
                group_class=form.group_class,
                ends_on=form.ends_on,
                chain=chain_name,
                steps=list(steps),
                step=0,
                status=chain.PENDING,
                submitted_by=submitter_id,
                submitter_name=submitter_name,
                submitted_at=now,
                step_requested_at=now,
            )
            d = DirectoryRepository(r.c)
            if await d.group(platform, chat_id) is None:
                await d.add_seen_group(platform, chat_id, form.group_name, now)
            if form.category == "create":
                await d.update_group(
                    platform,
                    chat_id,
                    status="pending",
                    name=form.group_name,
                    unit=form.unit,
                    responsible=form.responsible,
                    group_class=form.group_class,
                    term="temporary" if form.temporary else "standing",
                    ends_on=form.ends_on,
                )
            return filing_id

        result = await self._store.write(work)
        if isinstance(result, FilingRow):
            raise FormError("governance.form_open", filing_id=str(result.id))
        filing = await self._filing(result)
        assert filing is not None
        await self.journal(
            "filing_submitted",
            platform,
            chat_id,
            submitter_id,
            params={"filing_id": filing.id, "category": form.category, "chain": chain_name},
        )
        self._known.add((platform, chat_id))
        waiting = await self._request_step(filing)
        chain_text = " → ".join(self.role_name(s) for s in steps)
        reply = self._t(
            "governance.submitted",
            filing_id=filing.id,
            category=self.word("category", form.category),
            group=form.group_name,
            chain=chain_text,
            waiting=waiting,
        )
        return Submitted(filing.id, (reply,))

    async def _filing(self, filing_id: int) -> FilingRow | None:
        return await self._store.read(lambda r: FilingRepository(r.c).get(filing_id))

    async def _holder(self, filing: FilingRow, role: str) -> RoleHolder | None:
        return await self.directory.holder(role, filing.unit)

    def filing_text(self, filing: FilingRow) -> str:
        ends = ""
        if filing.ends_on:
            ends = self._t("governance.line_ends", ends=filing.ends_on.isoformat())
        return self._t(
            "governance.filing_body",
            filing_id=filing.id,
            unit=filing.unit,
            filed_on=filing.filed_on.isoformat(),
            category=self.word("category", filing.category),
            platform=filing.platform_label,
            group=filing.group_name,
            responsible=filing.responsible,
            scope=filing.member_scope or "—",
            purpose=filing.purpose or "—",
            notes=filing.notes or "—",
            group_class=self.word("class", filing.group_class),
            ends=ends,
            submitter=filing.submitter_name,
        )

    async def _request_step(self, filing: FilingRow, *, again: bool = False) -> str:
        """Send the waiting step to its approver and arm its reminder; returns "role（name）"."""
        role = filing.steps[filing.step]
        holder = await self._holder(filing, role)
        step_text = self.role_name(role)
        if self._deliver_later and holder is not None:
            await self._arm(
                STEP_REQUEST,
                filing.platform,
                filing.chat_id,
                self._clock.now(),
                {"filing_id": filing.id, "step": filing.step},
                f"filing:{filing.id}",
            )
            return f"{step_text}（{holder.person.name}）"
        if holder is None:
            await self.journal(
                "step_no_approver",
                filing.platform,
                filing.chat_id,
                "bot",
                "skipped",
                f"no {role} for {filing.unit}",
                params={"filing_id": filing.id},
            )
            return self._t("governance.waiting_nobody", step=step_text)
        key = "governance.step_request_again" if again else "governance.step_request"
        text = self._t(
            key,
            step=step_text,
            number=filing.step + 1,
            total=len(filing.steps),
            filing_id=filing.id,
        )
        text += "\n" + self.filing_text(filing)
        buttons = [
            button(WORKFLOW, filing.id, "approve", self._t("governance.button_approve")),
            button(WORKFLOW, filing.id, "reject", self._t("governance.button_reject")),
        ]
        verbs = self._t("governance.text_verbs", filing_id=filing.id)
        told = await self._tell_person(holder.person, text, buttons, verbs)
        if not told:
            # The approver cannot be reached privately (no account here; on WeChat, not the
            # bot's friend): ask in the group itself, where only the approver may answer.
            told = await self._ask_in_group(filing, holder.person.name, text, buttons, verbs)
        await self.journal(
            "step_requested",
            filing.platform,
            filing.chat_id,
            "bot",
            "done" if told else "failed",
            f"{role} {holder.person.name}: " + (",".join(told) or "unreachable"),
            params={"filing_id": filing.id, "step": filing.step, "again": again},
        )
        if not again:
            base = filing.step_requested_at or self._clock.now()
            payload = {"filing_id": filing.id, "step": filing.step}
            for kind, after in (
                (STEP_REMIND, self._cfg.step_reminder_after),
                (STEP_ESCALATE, self._cfg.step_escalate_after),
            ):
                at = base + after
                await self._arm(
                    kind, filing.platform, filing.chat_id, at, payload, f"filing:{filing.id}"
                )
        return f"{step_text}（{holder.person.name}）"

    async def _ask_in_group(
        self, filing: FilingRow, name: str, text: str, buttons: Sequence[Any], verbs: str
    ) -> list[str]:
        adapter = self._adapter_for(filing.platform)
        if adapter is None:
            return []
        text = self._t("governance.ask_in_group", who=name) + "\n" + text
        try:
            if adapter.capabilities.buttons:
                await self._messenger.send(filing.platform, filing.chat_id, text, buttons=buttons)
            else:
                await self._messenger.send(filing.platform, filing.chat_id, f"{text}\n{verbs}")
        except PlatformError as exc:
            log.info("could not ask in %s: %s", filing.chat_id, exc)
            return []
        return [f"group:{filing.chat_id}"]

    async def status_text(self, platform: str, chat_id: str) -> str:
        """``/filing`` alone: the registry record, the latest filing and where it stands."""
        group = await self.directory.group(platform, chat_id)
        if group is None:
            return self._t("governance.status_unknown", template=template())
        lines = [self.registry_text(group)]
        filing = await self._store.read(
            lambda r: FilingRepository(r.c).latest_for(platform, chat_id)
        )
        if filing is not None:
            lines.append(await self.progress_text(filing))
        elif group.status == "unfiled":
            lines.append(self._t("governance.status_how", template=template()))
        return "\n".join(lines)

    def registry_text(self, group: RegistryRow) -> str:
        return registry_text(group, self._t, self._settings.zone)

    async def progress_text(self, filing: FilingRow) -> str:
        steps = await self._store.read(lambda r: FilingRepository(r.c).steps(filing.id))
        lines = [
            self._t(
                "governance.progress_head",
                filing_id=filing.id,
                category=self.word("category", filing.category),
                status=self.word("filing", filing.status),
            )
        ]
        done = {s.step: s for s in steps}
        for index, role in enumerate(filing.steps):
            if index in done:
                s = done[index]
                lines.append(
                    self._t(
                        "governance.progress_done",
                        step=self.role_name(role),
                        who=s.approver,
                        decision=self.word("decision", s.decision),
                        at=self.local(s.at),
                        comment=f"：{s.comment}" if s.comment else "",
                    )
                )
            elif filing.status == chain.PENDING and index == filing.step:
                lines.append(self._t("governance.progress_waiting", step=self.role_name(role)))
            else:
                lines.append(self._t("governance.progress_later", step=self.role_name(role)))
        return "\n".join(lines)

    async def pending_for(self, platform: str, user_id: str) -> str:
        person = await self.directory.who(platform, user_id)
        if person is None:
            return self._t("governance.pending_not_in_directory")
        filings = await self._store.read(lambda r: FilingRepository(r.c).all(chain.PENDING))
        lines = []
        for filing in filings:
            holder = await self._holder(filing, filing.steps[filing.step])
            if holder is not None and holder.person.name == person.name:
                lines.append(
                    self._t(
                        "governance.pending_line",
                        filing_id=filing.id,
                        group=filing.group_name,
                        unit=filing.unit,
                        step=self.role_name(filing.steps[filing.step]),
                        since=self.local(filing.step_requested_at or filing.submitted_at),
                    )
                )
        # Role holders are the supervisors: they also see the groups still to be filed.
        supervisor = any(
            person.name in unit.roles.values() for unit in self._settings.directory.units
        )
        if supervisor:
            unfiled = await self._store.read(lambda r: DirectoryRepository(r.c).groups("unfiled"))
            lines += [
                self._t("governance.pending_unfiled", group=g.name or g.chat_id, chat=g.chat_id)
                for g in unfiled
            ]
        if not lines:
            return self._t("governance.pending_none", who=person.name)
        return self._t("governance.pending_head", who=person.name) + "\n" + "\n".join(lines)

    # ------------------------------------------------------------------ decisions
    async def answer(self, request: Request) -> Answer:
        """A press of 通过/退回, or ``/approve 12`` / ``/reject 12 理由``."""
        if request.verb == "reject" and not request.comment.strip():
            if request.callback_id is not None:
                # A button cannot carry the reason the submitter is owed: ask for it.
                filing = await self._filing(request.record_id)
                if filing is not None and await self._may_decide(filing, request):
                    return Answer(
                        self._t("governance.reject_needs_reason", filing_id=request.record_id)
                    )
            return Answer(
                self._t("governance.reject_needs_reason", filing_id=request.record_id),
                refused=True,
                detail="reject without a reason",
            )
        return await self.decide(
            request.record_id,
            request.platform,
            request.who.user_id,
            "approve" if request.verb == "approve" else "reject",
            request.comment.strip(),
        )

    async def _may_decide(self, filing: FilingRow, request: Request) -> bool:
        holder = await self._holder(filing, filing.steps[filing.step])
        return holder is not None and (request.platform, request.who.user_id) in set(
            holder.person.accounts
        )

    async def decide(
        self,
        filing_id: int,
        platform: str,
        user_id: str,
        decision: str,
        comment: str = "",
        *,
        as_person: str | None = None,
    ) -> Answer:
        """Only the waiting step's approver may decide; anyone else is refused (and the
        caller journals the refusal). ``as_person`` is the command line's operator."""
        filing = await self._filing(filing_id)
        if filing is None:
            return Answer(self._t("governance.unknown_filing"), refused=True, detail="no such")
        if filing.status != chain.PENDING:
            return Answer(
                self._t(
                    "governance.already_decided",
                    filing_id=filing.id,
                    status=self.word("filing", filing.status),
                ),
                refused=True,
                detail="already decided",
            )
        role = filing.steps[filing.step]
        holder = await self._holder(filing, role)
        if as_person is not None:
            entitled = holder is not None and holder.person.name == as_person
        else:
            entitled = holder is not None and (platform, user_id) in set(holder.person.accounts)
        if not entitled or holder is None:
            return Answer(
                self._t(
                    "governance.not_approver",
                    step=self.role_name(role),
                    who=holder.person.name if holder else "—",
                ),
                refused=True,
                detail=f"not the {role} approver",
            )
        now = self._clock.now()
        state = chain.advance(
            tuple(filing.steps), chain.State(filing.status, filing.step), decision
        )

        async def work(r) -> bool:  # type: ignore[no-untyped-def]
            f = FilingRepository(r.c)
            first = await f.decide_step(
                filing_id=filing.id,
                step=filing.step,
                role=role,
                approver=holder.person.name,
                by_platform=platform,
                by_user_id=user_id,
                decision="approved" if decision == "approve" else "rejected",
                comment=comment,
                at=now,
            )
            if not first:
                return False
            values: dict[str, Any] = {"status": state.status, "step": state.step}
            if state.status == chain.PENDING:
                values["step_requested_at"] = now
            else:
                values["decided_at"] = now
            return await f.move(filing.id, filing.step, **values)

        if not await self._store.write(work):
            return Answer(
                self._t("governance.already_decided", filing_id=filing.id, status="—"),
                refused=True,
                detail="decided meanwhile",
            )
        await self._cancel(
            filing.platform, filing.chat_id, STEP_REMIND, STEP_ESCALATE, key=f"filing:{filing.id}"
        )
        await self.journal(
            f"step_{'approved' if decision == 'approve' else 'rejected'}",
            filing.platform,
            filing.chat_id,
            f"{platform}:{user_id}",
            detail=f"{role} {holder.person.name}" + (f": {comment}" if comment else ""),
            params={"filing_id": filing.id, "step": filing.step, "comment": comment},
        )
        moved = await self._filing(filing.id)
        assert moved is not None
        step_text = self.role_name(role)
        if state.status == chain.REJECTED:
            await self._returned(moved, step_text, holder.person.name, comment)
            return Answer(self._t("governance.you_rejected", filing_id=filing.id))
        if state.status == chain.PENDING:
            waiting = await self._request_step(moved)
            await self._tell_submitter(
                moved,
                self._t(
                    "governance.step_passed",
                    filing_id=filing.id,
                    step=step_text,
                    who=holder.person.name,
                    waiting=waiting,
                ),
            )
            return Answer(self._t("governance.you_approved", filing_id=filing.id, step=step_text))
        await self._effects(moved)
        return Answer(self._t("governance.you_approved", filing_id=filing.id, step=step_text))

    async def _tell_submitter(self, filing: FilingRow, text: str) -> None:
        """In the group it was filed from (where it was submitted in chat), and privately."""
        if filing.submitted_by != "cli":
            await self._messenger.private(filing.platform, filing.submitted_by, text)
        await self._tell_group(filing.platform, filing.chat_id, text)

    async def _returned(self, filing: FilingRow, step: str, who: str, reason: str) -> None:
        text = self._t(
            "governance.returned", filing_id=filing.id, step=step, who=who, reason=reason
        )
        await self._tell_submitter(filing, text)
        if filing.category == "create":
            group = await self.directory.group(filing.platform, filing.chat_id)
            if group is not None and group.status == "pending":
                await self._store.write(
                    lambda r: DirectoryRepository(r.c).update_group(
                        filing.platform, filing.chat_id, status="unfiled"
                    )
                )

    # ------------------------------------------------------------------ effects
    async def _effects(self, filing: FilingRow) -> None:
        """An approved create files the group; a change updates the registry (a new
        responsible person is a hand-over); a cancel starts its dissolution (G7)."""
        now = self._clock.now()
        platform, chat_id = filing.platform, filing.chat_id
        before = await self.directory.group(platform, chat_id)
        values: dict[str, Any] = {}
        if filing.category == "create":
            values = {
                "status": "approved" if filing.chain == "temporary" else "filed",
                "name": filing.group_name,
                "unit": filing.unit,
                "responsible": filing.responsible,
                "group_class": filing.group_class,
                "term": "temporary" if filing.ends_on else "standing",
                "ends_on": filing.ends_on,
                "source": "filing",
                "service_stopped_at": None,
            }
        elif filing.category == "change":
            values = {
                "name": filing.group_name,
                "unit": filing.unit,
                "responsible": filing.responsible,
                "group_class": filing.group_class,
                "source": "filing",
            }
        else:
            values = {"status": "cancelled", "source": "filing"}

        async def work(r) -> None:  # type: ignore[no-untyped-def]
            d = DirectoryRepository(r.c)
            await d.update_group(platform, chat_id, **values)
            changed = before is not None and before.responsible != filing.responsible
            if changed and filing.category == "change":
                await d.add_handover(
                    platform=platform,
                    chat_id=chat_id,
                    role="responsible",
                    old=before.responsible,
                    new=filing.responsible,
                    by=filing.submitted_by,
                    via=f"filing:{filing.id}",
                    at=now,
                )

        await self._store.write(work)
        self._stopped.discard((platform, chat_id))
        await self.journal(
            f"filing_{filing.category}_effective",
            platform,
            chat_id,
            "bot",
            params={"filing_id": filing.id, **{k: str(v) for k, v in values.items()}},
        )
        done = self._t(
            f"governance.effective_{filing.category}",
            filing_id=filing.id,
            group=filing.group_name,
        )
        await self._tell_submitter(filing, done)
        group = await self.directory.group(platform, chat_id)
        if group is None:
            return
        if filing.category == "cancel":
            await self._cancel(platform, chat_id, INACTIVE, TEMP_BEFORE, TEMP_END, TEMP_OVERDUE)
            await self._start_dissolution(group, "cancel")
        elif filing.category == "create":
            await self._cancel(platform, chat_id, INACTIVE, DISSOLVE, TEMP_BEFORE, TEMP_END)
            await self._cancel(platform, chat_id, TEMP_OVERDUE)
            await self._arm_lifecycle(group, now)

    # ------------------------------------------------------------------ hand-over
    async def handover(
        self, platform: str, chat_id: str, role: str, old: str | None, new: str, by: str
    ) -> RegistryRow | None:
        """Record a hand-over (G6) and update the registry; tell the unit's deputy director."""
        now = self._clock.now()

        async def work(r) -> RegistryRow | None:  # type: ignore[no-untyped-def]
            d = DirectoryRepository(r.c)
            group = await d.group(platform, chat_id)
            if group is None:
                return None
            await d.add_handover(
                platform=platform,
                chat_id=chat_id,
                role=role,
                old=old,
                new=new,
                by=by,
                via="command",
                at=now,
            )
            if role == "responsible":
                await d.update_group(platform, chat_id, responsible=new)
            else:
                admins = [a for a in group.admins if a != old]
                await d.update_group(platform, chat_id, admins=[*admins, new])
            return await d.group(platform, chat_id)

        group = await self._store.write(work)
        if group is None:
            return None
        await self.journal(
            "handover",
            platform,
            chat_id,
            by,
            detail=f"{role}: {old or '—'} → {new}",
            params={"role": role, "old": old, "new": new},
            article="R1 Art.5",
        )
        holder = await self.directory.holder("deputy_director", group.unit)
        if holder is not None:
            text = self._t(
                "governance.handover_unit",
                group=self.group_label(group, chat_id),
                role=self.word("handover", role),
                old=old or "—",
                new=new,
            )
            await self._tell_person(holder.person, text)
        return group

    # ------------------------------------------------------------------ timers
    async def step_request(self, due: TimerDue) -> None:
        filing = await self._due_filing(due)
        if filing is not None:
            await self._request_step(filing)

    async def step_remind(self, due: TimerDue) -> None:
        filing = await self._due_filing(due)
        if filing is not None:
            await self._request_step(filing, again=True)

    async def step_escalate(self, due: TimerDue) -> None:
        filing = await self._due_filing(due)
        if filing is None:
            return
        role = filing.steps[filing.step]
        holder = await self._holder(filing, role)
        waited = self._clock.now() - (filing.step_requested_at or filing.submitted_at)
        text = self._t(
            "governance.step_escalated",
            filing_id=filing.id,
            group=filing.group_name,
            step=self.role_name(role),
            who=holder.person.name if holder else "—",
            days=max(1, waited.days),
        )
        boss = await self.directory.holder(self._cfg.escalate_to_role, filing.unit)
        if boss is not None and (holder is None or boss.person.name != holder.person.name):
            told = await self._tell_person(boss.person, text)
        else:
            told = await self._tell_supervisors(text)
        await self.journal(
            "step_escalated",
            filing.platform,
            filing.chat_id,
            "bot",
            "done" if told else "failed",
            ",".join(told),
            params={"filing_id": filing.id, "step": filing.step},
        )

    async def _due_filing(self, due: TimerDue) -> FilingRow | None:
        filing = await self._filing(int(due.payload.get("filing_id", 0)))
        if filing is None or filing.status != chain.PENDING:
            return None
        if filing.step != due.payload.get("step"):
            return None  # the step was decided; a later step has its own timers
        return filing

    async def _open_group(self, due: TimerDue) -> RegistryRow | None:
        group = await self.directory.group(due.platform, due.chat_id)
        if group is None or group.status not in OPEN_STATUSES or group.service_stopped_at:
            return None
        return group

    async def temp_before(self, due: TimerDue) -> None:
        await self._temporary(due, "temp_before", "temporary_reminder")

    async def temp_end(self, due: TimerDue) -> None:
        await self._temporary(due, "temp_end", "temporary_ended")

    async def temp_overdue(self, due: TimerDue) -> None:
        group = await self._temporary(due, "temp_overdue", "temporary_overdue", report=True)
        if group is not None:
            await self._start_dissolution(group, "expired")

    async def _temporary(
        self, due: TimerDue, text_key: str, kind: str, *, report: bool = False
    ) -> RegistryRow | None:
        """A temporary group's reminder (R2 Art.10): to its owners before and at the end,
        reported to the tier-1 supervisors when it is still not cancelled."""
        group = await self._open_group(due)
        if group is None or group.ends_on is None:
            return None
        text = self._t(
            f"governance.{text_key}",
            group=self.group_label(group, due.chat_id),
            ends=group.ends_on.isoformat(),
            responsible=group.responsible or "—",
            template=template(),
        )
        told = await (self._tell_supervisors(text) if report else self._tell_owners(group, text))
        await self.journal(
            kind, due.platform, due.chat_id, "bot", detail=",".join(told), article="R2 Art.10"
        )
        return group

    async def inactive(self, due: TimerDue) -> None:
        group = await self._open_group(due)
        if group is None:
            return
        now = self._clock.now()
        last = group.last_activity_at or group.created_at
        if now - last < self._cfg.inactive_after:
            # Active meanwhile: look again when it could next have been quiet that long.
            await self._arm(INACTIVE, due.platform, due.chat_id, last + self._cfg.inactive_after)
            return
        await self._start_dissolution(group, "inactive", last=last)

    async def _start_dissolution(
        self, group: RegistryRow, why: str, *, last: datetime | None = None
    ) -> None:
        """Remind the owners to dissolve (R1 Art.14); ``dissolve_after`` later, if nothing
        changed, the bot stops serving the group and reports it."""
        now = self._clock.now()
        days = (now - last).days if last else 0
        text = self._t(
            f"governance.dissolve_{why}",
            group=self.group_label(group, group.chat_id),
            days=days,
            grace=self._cfg.dissolve_after.days,
        )
        told = await self._tell_owners(group, text)
        await self.journal(
            f"dissolve_remind_{why}",
            group.platform,
            group.chat_id,
            "bot",
            detail=",".join(told),
            article="R1 Art.14",
        )
        await self._arm(
            DISSOLVE,
            group.platform,
            group.chat_id,
            now + self._cfg.dissolve_after,
            {"why": why, "since": now.isoformat()},
        )

    async def dissolve(self, due: TimerDue) -> None:
        group = await self.directory.group(due.platform, due.chat_id)
        if group is None or group.service_stopped_at is not None:
            return
        why = str(due.payload.get("why", "inactive"))
        since = datetime.fromisoformat(str(due.payload.get("since")))
        if why == "inactive" and group.last_activity_at and group.last_activity_at > since:
            # Someone spoke after the reminder: the group is in use; watch it again.
            await self._arm_lifecycle(group, self._clock.now())
            return
        if why != "cancel" and group.status not in OPEN_STATUSES:
            return
        now = self._clock.now()
        await self._store.write(
            lambda r: DirectoryRepository(r.c).update_group(
                due.platform, due.chat_id, status="dissolved", service_stopped_at=now
            )
        )
        self._stopped.add((due.platform, due.chat_id))
        text = self._t("governance.service_stopped", group=self.group_label(group, due.chat_id))
        await self._tell_group(due.platform, due.chat_id, text)
        told = await self._tell_supervisors(text)
        await self.journal(
            "service_stopped",
            due.platform,
            due.chat_id,
            "bot",
            detail=f"{why}; told: " + ",".join(told),
            article="R1 Art.14",
        )


async def _arm_all(
    repo: Repository, planned: list[tuple[str, str, str, datetime]], now: datetime
) -> None:
    for kind, platform, chat_id, due in planned:
        await repo.arm_timer(kind, platform, chat_id, None, due, now, {})
