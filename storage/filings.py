"""The filing aggregate: 备案表 records and their approval steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import journal
from storage.models import Filing, FilingStep


@dataclass(frozen=True, slots=True)
class FilingRow:
    id: int
    platform: str
    chat_id: str
    category: str
    unit: str
    filed_on: date
    platform_label: str
    group_name: str
    responsible: str
    member_scope: str
    purpose: str
    notes: str
    group_class: str
    ends_on: date | None
    chain: str
    steps: tuple[str, ...]
    step: int
    status: str
    submitted_by: str
    submitter_name: str
    submitted_at: datetime
    step_requested_at: datetime | None
    decided_at: datetime | None

    @property
    def waiting_role(self) -> str | None:
        return self.steps[self.step] if self.status == "pending" else None


@dataclass(frozen=True, slots=True)
class StepRow:
    filing_id: int
    step: int
    role: str
    approver: str
    by_platform: str
    by_user_id: str
    decision: str
    comment: str
    at: datetime


_FILING = select(*(getattr(Filing, name) for name in FilingRow.__dataclass_fields__))
_STEP = select(*(getattr(FilingStep, name) for name in StepRow.__dataclass_fields__))


def _filing(row: Any) -> FilingRow:
    values = row._asdict()
    values["steps"] = tuple(values["steps"] or ())
    return FilingRow(**values)


class FilingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def add(self, **values: Any) -> int:
        result = await self.c.execute(insert(Filing).values(**values).returning(Filing.id))
        filing_id = int(result.scalar_one())
        # Filings and their approval steps are kept records (L1): each write is in the chain.
        await journal.mirror(
            self.c, "filing", Filing.__table__, filing_id, at=values["submitted_at"]
        )
        return filing_id

    async def get(self, filing_id: int) -> FilingRow | None:
        row = (await self.c.execute(_FILING.where(Filing.id == filing_id))).first()
        return _filing(row) if row else None

    async def open_for(self, platform: str, chat_id: str) -> FilingRow | None:
        row = (
            await self.c.execute(
                _FILING.where(
                    Filing.platform == platform,
                    Filing.chat_id == chat_id,
                    Filing.status == "pending",
                )
            )
        ).first()
        return _filing(row) if row else None

    async def latest_for(self, platform: str, chat_id: str) -> FilingRow | None:
        row = (
            await self.c.execute(
                _FILING.where(Filing.platform == platform, Filing.chat_id == chat_id)
                .order_by(Filing.id.desc())
                .limit(1)
            )
        ).first()
        return _filing(row) if row else None

    async def all(self, status: str | None = None) -> list[FilingRow]:
        stmt = _FILING.order_by(Filing.id)
        if status is not None:
            stmt = stmt.where(Filing.status == status)
        return [_filing(r) for r in (await self.c.execute(stmt)).all()]

    async def decide_step(self, **values: Any) -> bool:
        """Record a decision on a step; False when the step was already decided (two presses
        at once: the unique index lets only the first in)."""
        table = FilingStep.__table__
        stmt = (pg_insert if self.c.dialect.name == "postgresql" else sqlite_insert)(table)
        inserted = (
            await self.c.execute(
                stmt.values(**values).on_conflict_do_nothing().returning(table.c.id)
            )
        ).first()
        if inserted is None:
            return False
        await journal.mirror(self.c, "filing.step", table, inserted[0], at=values["at"])
        return True

    async def move(self, filing_id: int, from_step: int, **values: Any) -> bool:
        """Change a pending filing still at ``from_step``; False if it moved meanwhile."""
        result = await self.c.execute(
            update(Filing)
            .where(Filing.id == filing_id, Filing.step == from_step, Filing.status == "pending")
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        at = values.get("decided_at") or values.get("step_requested_at") or datetime.now(UTC)
        await journal.mirror(self.c, "filing.change", Filing.__table__, filing_id, at=at)
        return True

    async def steps(self, filing_id: int) -> list[StepRow]:
        rows = await self.c.execute(
            _STEP.where(FilingStep.filing_id == filing_id).order_by(FilingStep.step)
        )
        return [StepRow(*r) for r in rows.all()]
