"""The incident desk: opening, walking the stages, and telling the tiers the regulation names.

Telling needs the running bot (its adapters). Where there is none — ``groupguard incident``
on the command line — the desk arms an ``incident_tell`` timer row due at once, and the
bot's scheduler sends the notice when it next polls (or after its next start). Each notice is
journaled with who was told (an ``incident_notice`` record whose outcome lists them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.actions.spec import Target
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogue
from bot.names import load_names
from bot.workflows.incident import records
from bot.workflows.incident.records import CLOSED, STAGES, IncidentRow, person_actor
from bot.workflows.kernel import TimerDue
from rules.decisions import Decision
from rules.masking import mask_pii
from rules.opinion import Signal
from storage.repository import Repository
from storage.store import Store

TELL_TIMER = "incident_tell"
ARTICLE = "R2 Art.19"
MAJOR_ARTICLE = "R1 Art.10"

Send = Callable[[str, str, str], Awaitable[bool]]  # platform, chat, text -> delivered
Record = Callable[..., Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    text: str
    incident_id: int | None = None


def signal_payload(signals: Sequence[Signal]) -> list[dict[str, Any]]:
    return [
        {"kind": s.kind, "reason": s.reason, "term": s.term, "cue": s.cue, "major": s.major}
        for s in signals
    ]


class IncidentDesk:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        catalogue: Catalogue,
        *,
        send: Send | None = None,
        record: Record | None = None,
    ) -> None:
        self._settings = settings
        self._policy = settings.supervision.incidents
        self._store = store
        self._clock = clock
        self._t = catalogue.t
        # Without ``send`` (the command line) notices are left to the bot as timer rows.
        self._send = send
        self._record = record

    async def read(self, work: Callable[[Repository], Awaitable[Any]]) -> Any:
        return await self._store.read(work)

    # ------------------------------------------------------------------ opening
    async def open(
        self,
        *,
        platform: str,
        chat_id: str,
        source: str,
        by: str,
        summary: str,
        user_id: str | None = None,
        message_id: str | None = None,
        signals: Sequence[Signal] = (),
        note: str = "",
    ) -> Result:
        """Open an incident (or, for an automatic signal, join the group's open incident of
        the last ``merge_within``), record its first stage and tell the tiers."""
        now = self._clock.now()
        major = any(s.major for s in signals)
        masked = mask_pii(summary)[:500]
        payload = signal_payload(signals)

        async def write(repo: Repository) -> tuple[int, int, list[int]]:
            """(incident, step, the tiers to tell)."""
            if source == "auto":
                recent = await records.listing(
                    repo,
                    open_only=True,
                    since=now - self._policy.merge_within,
                    platform=platform,
                    chat_id=chat_id,
                )
                joined = next((i for i in reversed(recent) if i.source == "auto"), None)
                if joined is not None:
                    # A signal that makes the incident major is news for the major tier.
                    escalates = major and not joined.major
                    told = [f"tier:{self._policy.major_tier}"] if escalates else []
                    step = await records.add_step(
                        repo,
                        joined.id,
                        joined.stage,
                        by,
                        self._signal_note(payload, masked),
                        now,
                        told,
                    )
                    if escalates:
                        await records.change(repo, joined.id, now, major=True)
                    return joined.id, step, [self._policy.major_tier] if escalates else []
            incident_id = await records.open_incident(
                repo,
                at=now,
                platform=platform,
                chat_id=chat_id,
                user_id=user_id,
                message_id=message_id,
                source=source,
                opened_by=by,
                summary=masked,
                signals=payload,
                major=major,
                proposal=None,
            )
            tiers = self._tiers(major)
            step = await records.add_step(
                repo,
                incident_id,
                STAGES[0],
                by,
                note or self._signal_note(payload, masked),
                now,
                [f"tier:{t}" for t in tiers],
            )
            return incident_id, step, tiers

        incident_id, step_id, tiers = await self._store.write(write)
        if tiers:
            await self.tell(incident_id, step_id, tiers)
        text = self._t(
            "incident.opened", id=incident_id, source=self._t(f"incident.source_{source}")
        )
        return Result(True, text, incident_id)

    def _tiers(self, major: bool) -> list[int]:
        tiers = [self._policy.proposal_tier]
        if major and self._policy.major_tier not in tiers:
            tiers.append(self._policy.major_tier)
        return tiers

    def _signal_note(self, signals: list[dict[str, Any]], summary: str) -> str:
        explained = self.explain(signals)
        return f"{explained}：{summary}" if explained else summary

    def explain(self, signals: Sequence[dict[str, Any]]) -> str:
        parts = []
        for s in signals:
            if s.get("cue"):
                parts.append(self._t("incident.signal_explained", **s))
            else:
                parts.append(self._t("incident.signal_term", **s))
        return "；".join(parts)

    # ------------------------------------------------------------------ stages
    async def advance(self, incident_id: int, stage: str, actor: str, note: str) -> Result:
        """Move to ``stage``, which must be the next one; 妥善处理 needs a proposed handling;
        报告 closes the incident and goes to the tiers."""
        now = self._clock.now()

        async def write(repo: Repository) -> tuple[Result, int | None, list[int]]:
            incident = await records.get(repo, incident_id)
            if incident is None:
                return Result(False, self._t("incident.unknown", id=incident_id)), None, []
            wanted = incident.next_stage
            if incident.closed_at is not None or stage != wanted:
                return self._out_of_order(incident), None, []
            if stage == "handle" and not incident.proposal:
                return Result(False, self._t("incident.proposal_needed", id=incident_id)), None, []
            tiers = self._tiers(incident.major) if stage == "report" else []
            step = await records.add_step(
                repo, incident_id, stage, actor, note, now, [f"tier:{t}" for t in tiers]
            )
            values: dict[str, Any] = {"stage": stage}
            if stage == STAGES[-1]:
                values["closed_at"] = now
            await records.change(repo, incident_id, now, **values)
            text = self._t("incident.advanced", id=incident_id, stage=self.stage(stage))
            return Result(True, text, incident_id), step, tiers

        result, step_id, tiers = await self._store.write(write)
        if step_id is not None and tiers:
            await self.tell(incident_id, step_id, tiers)
        return result

    def _out_of_order(self, incident: IncidentRow) -> Result:
        current = CLOSED if incident.closed_at is not None else incident.stage
        following = incident.next_stage
        return Result(
            False,
            self._t(
                "incident.out_of_order",
                id=incident.id,
                stage=self.stage(current),
                next=self.stage(following) if following else self.stage(CLOSED),
            ),
        )

    def stage(self, name: str) -> str:
        return self._t(f"incident.stage_{name}")

    def text(self, key: str, **params: Any) -> str:
        return self._t(key, **params)

    async def propose(self, incident_id: int, actor: str, proposal: str) -> Result:
        """Record the proposed handling (处置意见) and send it to 分管主任 at once (R2 Art.19)."""
        return await self._annotate(
            incident_id,
            actor,
            mask_pii(proposal)[:1000],
            {"proposal": mask_pii(proposal)[:1000]},
            [self._policy.proposal_tier],
            "incident.proposal_set",
        )

    async def mark_major(self, incident_id: int, actor: str, note: str) -> Result:
        """重大舆情风险: to the cyberspace-office tier at once (R1 Art.10)."""
        return await self._annotate(
            incident_id,
            actor,
            note or self._t("incident.major_flag"),
            {"major": True},
            [self._policy.major_tier],
            "incident.major_set",
        )

    async def note(self, incident_id: int, actor: str, note: str) -> Result:
        """A note at the current stage (what was learnt, who was called); nobody is told."""
        return await self._annotate(
            incident_id, actor, mask_pii(note)[:1000], {}, [], "incident.note_added"
        )

    async def _annotate(
        self,
        incident_id: int,
        actor: str,
        note: str,
        values: dict[str, Any],
        tiers: list[int],
        done_key: str,
    ) -> Result:
        now = self._clock.now()

        async def write(repo: Repository) -> tuple[Result, int | None]:
            incident = await records.get(repo, incident_id)
            if incident is None:
                return Result(False, self._t("incident.unknown", id=incident_id)), None
            if incident.closed_at is not None:
                return self._out_of_order(incident), None
            step = await records.add_step(
                repo, incident_id, incident.stage, actor, note, now, [f"tier:{t}" for t in tiers]
            )
            await records.change(repo, incident_id, now, **values)
            return Result(True, self._t(done_key, id=incident_id), incident_id), step

        result, step_id = await self._store.write(write)
        if step_id is not None and tiers:
            await self.tell(incident_id, step_id, tiers)
        return result

    # ------------------------------------------------------------------ telling
    async def tell(self, incident_id: int, step_id: int, tiers: Sequence[int]) -> list[str]:
        """Send the incident as it stands to every supervisor of ``tiers``; without a running
        bot, leave a timer row for it. Returns who was told."""
        if self._send is None:
            now = self._clock.now()
            await self._store.write(
                lambda r: r.arm_timer(
                    TELL_TIMER,
                    "-",
                    f"incident:{incident_id}",
                    None,
                    now,
                    now,
                    {"incident": incident_id, "step": step_id, "tiers": list(tiers)},
                    replace=False,
                )
            )
            return []

        async def load(repo: Repository):  # type: ignore[no-untyped-def]
            incident = await records.get(repo, incident_id)
            step = next(
                (s for s in await records.steps(repo, incident_id) if s.id == step_id), None
            )
            names = None
            if incident is not None:
                names = await load_names(
                    repo, self._settings, [(incident.platform, incident.chat_id)]
                )
            return incident, step, names

        incident, step, names = await self._store.read(load)
        if incident is None or step is None or names is None:
            return []
        told: list[str] = []
        failed: list[str] = []
        for tier in tiers:
            for supervisor in self._settings.escalation.tiers.get(tier, ()):
                tier_name = supervisor.name or self._t(
                    "incident.tier_major"
                    if tier == self._policy.major_tier
                    else "incident.tier_proposal"
                )
                text = self._notice(incident, step, names, tier_name)
                try:
                    delivered = await self._send(supervisor.platform, supervisor.chat_id, text)
                except Exception as exc:  # one unreachable supervisor must not stop the rest
                    failed.append(f"{supervisor.chat_id}: {type(exc).__name__}")
                    continue
                if delivered:
                    told.append(f"{supervisor.platform}:{supervisor.chat_id}")
                else:
                    failed.append(f"{supervisor.chat_id}: platform not running")
        if self._record is not None:
            await self._record(
                Target(incident.platform, incident.chat_id, None, incident.user_id, ""),
                Decision(
                    rule="incident",
                    article=MAJOR_ARTICLE if incident.major else ARTICLE,
                    category="incident",
                    severity="info",
                    actions=(),
                    user_id=incident.user_id,
                    reason=f"incident:{incident.id}",
                ),
                "incident_notice",
                {"incident": incident.id, "step": step.id, "tiers": list(tiers)},
                "failed" if failed and not told else "done",
                "; ".join(failed),
                told,
            )
        return told

    def _notice(self, incident: IncidentRow, step: Any, names: Any, tier_name: str) -> str:
        at = step.at.astimezone(self._settings.zone)
        title = self._t("incident.title", id=incident.id, tier_name=tier_name)
        body = self._t(
            "incident.body",
            group=names.group(incident.platform, incident.chat_id),
            unit=names.unit(incident.platform, incident.chat_id),
            member=names.member(incident.platform, incident.chat_id, incident.user_id),
            summary=incident.summary,
            signals=self.explain(incident.signals) or "-",
            stage=self.stage(step.stage),
            actor=self.actor(names, incident, step.actor),
            at=f"{at:%Y-%m-%d %H:%M} {at.tzname() or ''}".strip(),
            note=step.note or "-",
            proposal=incident.proposal or "-",
            major=self._t("incident.major_flag") if incident.major else "",
        )
        return f"{title}\n{body}".rstrip()

    @staticmethod
    def actor(names: Any, incident: IncidentRow, actor: str) -> str:
        if actor == "bot":
            return "GroupGuard"
        return person_actor(actor) or names.member(incident.platform, incident.chat_id, actor)

    async def on_timer(self, due: TimerDue) -> None:
        payload = due.payload
        await self.tell(int(payload["incident"]), int(payload["step"]), list(payload["tiers"]))
