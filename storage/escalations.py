"""Escalations to supervisors and their answers (L2), and the admins' reviews (tier 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from storage.models import (
    Escalation,
    EscalationResponse,
)
from storage.queries import Queries


@dataclass(frozen=True, slots=True)
class EscalationRow:
    id: int
    decision_id: str
    tier: int
    target_platform: str
    target_chat_id: str
    platform: str
    chat_id: str
    user_id: str | None
    category: str
    article: str
    summary: str
    status: str
    at: datetime


def _escalation_row(row: Any) -> EscalationRow:
    m = row._mapping
    return EscalationRow(**{f: m[f] for f in EscalationRow.__dataclass_fields__})


class EscalationQueries(Queries):
    # --- escalations ---------------------------------------------------------------------
    async def add_escalation(self, **values: Any) -> int:
        result = await self.c.execute(insert(Escalation).values(**values).returning(Escalation.id))
        escalation_id = int(result.scalar_one())
        await self._journal("escalation", Escalation, escalation_id, values["at"])
        return escalation_id

    async def set_escalation_status(
        self, escalation_id: int, status: str, at: datetime | None = None
    ) -> None:
        await self.c.execute(
            update(Escalation).where(Escalation.id == escalation_id).values(status=status)
        )
        # Callers without a clock at hand journal the change at the wall-clock time.
        await self._journal("escalation.status", Escalation, escalation_id, at or datetime.now(UTC))

    async def escalation(self, escalation_id: int) -> EscalationRow | None:
        row = (
            await self.c.execute(select(Escalation).where(Escalation.id == escalation_id))
        ).first()
        return _escalation_row(row) if row else None

    async def escalations_of(self, decision_id: str, tier: int) -> list[EscalationRow]:
        rows = await self.c.execute(
            select(Escalation)
            .where(Escalation.decision_id == decision_id, Escalation.tier == tier)
            .order_by(Escalation.id)
        )
        return [_escalation_row(r) for r in rows.all()]

    async def escalation_responses(self, escalation_id: int) -> list[tuple[str, str]]:
        """(responder, response) in the order given; the first one decided."""
        rows = await self.c.execute(
            select(EscalationResponse.responder, EscalationResponse.response)
            .where(EscalationResponse.escalation_id == escalation_id)
            .order_by(EscalationResponse.id)
        )
        return [(r[0], r[1]) for r in rows.all()]

    async def add_escalation_response(
        self, escalation_id: int, responder: str, response: str, at: datetime
    ) -> None:
        result = await self.c.execute(
            insert(EscalationResponse)
            .values(escalation_id=escalation_id, responder=responder, response=response, at=at)
            .returning(EscalationResponse.id)
        )
        await self._journal("escalation.response", EscalationResponse, result.scalar_one(), at)

    async def responses_to_decision(
        self, decision_id: str, tier: int, *, lock: bool = False
    ) -> list[tuple[str, str]]:
        """(responder, response) to any record of one decision's tier, first first: a review
        goes to several admins as one record each, and whoever answers first decides for all.
        ``lock`` holds the records until commit so two answers at once cannot both decide
        (PostgreSQL; SQLite serialises writers anyway)."""
        if lock:
            await self.c.execute(
                select(Escalation.id)
                .where(Escalation.decision_id == decision_id, Escalation.tier == tier)
                .order_by(Escalation.id)
                .with_for_update()
            )
        rows = await self.c.execute(
            select(EscalationResponse.responder, EscalationResponse.response)
            .join(Escalation, Escalation.id == EscalationResponse.escalation_id)
            .where(Escalation.decision_id == decision_id, Escalation.tier == tier)
            .order_by(EscalationResponse.id)
        )
        return [(r[0], r[1]) for r in rows.all()]
