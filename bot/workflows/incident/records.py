"""Incident rows: written in the caller's transaction, each write mirrored in the journal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from storage import journal
from storage.models import Incident, IncidentStep
from storage.repository import Repository

# The regulation's stages, in order (R2 Art.19: 快速反应、确认事实、妥善处理; then 报告).
STAGES = ("record", "analyse", "confirm", "handle", "report")
CLOSED = "closed"
INCIDENT_TABLES = (Incident.__table__, IncidentStep.__table__)
# Steps taken outside a chat name the person, not a platform account: ``cli:姓名`` from the
# command line, ``web:姓名`` from the web console.
PERSON_ACTORS = ("cli:", "web:")


def person_actor(actor: str) -> str | None:
    """The real name behind a command-line or console actor; None for a chat account."""
    for prefix in PERSON_ACTORS:
        if actor.startswith(prefix):
            return actor[len(prefix) :]
    return None


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    platform: str
    chat_id: str
    user_id: str | None
    message_id: str | None
    source: str
    opened_by: str
    summary: str
    signals: list[dict[str, Any]]
    major: bool
    stage: str
    proposal: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @property
    def next_stage(self) -> str | None:
        if self.stage not in STAGES:
            return None
        i = STAGES.index(self.stage)
        return STAGES[i + 1] if i + 1 < len(STAGES) else None


@dataclass(frozen=True, slots=True)
class StepRow:
    id: int
    incident_id: int
    stage: str
    actor: str
    note: str
    told: list[str]
    at: datetime


def _incident(row: Any) -> IncidentRow:
    m = row._mapping
    return IncidentRow(**{f: m[f] for f in IncidentRow.__dataclass_fields__})


async def open_incident(repo: Repository, *, at: datetime, **values: Any) -> int:
    result = await repo.c.execute(
        insert(Incident)
        .values(stage=STAGES[0], opened_at=at, updated_at=at, closed_at=None, **values)
        .returning(Incident.id)
    )
    incident_id = int(result.scalar_one())
    await journal.mirror(repo.c, "incident", Incident.__table__, incident_id, at=at)
    return incident_id


async def add_step(
    repo: Repository,
    incident_id: int,
    stage: str,
    actor: str,
    note: str,
    at: datetime,
    told: Sequence[str] = (),
) -> int:
    result = await repo.c.execute(
        insert(IncidentStep)
        .values(
            incident_id=incident_id, stage=stage, actor=actor, note=note, told=list(told), at=at
        )
        .returning(IncidentStep.id)
    )
    step_id = int(result.scalar_one())
    await journal.mirror(repo.c, "incident.step", IncidentStep.__table__, step_id, at=at)
    return step_id


async def change(repo: Repository, incident_id: int, at: datetime, **values: Any) -> None:
    await repo.c.execute(
        update(Incident).where(Incident.id == incident_id).values(updated_at=at, **values)
    )
    await journal.mirror(repo.c, "incident.change", Incident.__table__, incident_id, at=at)


async def get(repo: Repository, incident_id: int) -> IncidentRow | None:
    row = (await repo.c.execute(select(Incident).where(Incident.id == incident_id))).first()
    return _incident(row) if row else None


async def steps(repo: Repository, incident_id: int) -> list[StepRow]:
    rows = await repo.c.execute(
        select(IncidentStep)
        .where(IncidentStep.incident_id == incident_id)
        .order_by(IncidentStep.id)
    )
    return [StepRow(**{f: r._mapping[f] for f in StepRow.__dataclass_fields__}) for r in rows.all()]


async def listing(
    repo: Repository,
    *,
    open_only: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    platform: str | None = None,
    chat_id: str | None = None,
) -> list[IncidentRow]:
    stmt = select(Incident).order_by(Incident.id)
    if open_only:
        stmt = stmt.where(Incident.closed_at.is_(None))
    if since is not None:
        stmt = stmt.where(Incident.opened_at >= since)
    if until is not None:
        stmt = stmt.where(Incident.opened_at < until)
    if platform is not None:
        stmt = stmt.where(Incident.platform == platform)
    if chat_id is not None:
        stmt = stmt.where(Incident.chat_id == chat_id)
    return [_incident(r) for r in (await repo.c.execute(stmt)).all()]
