"""The action journal: each intent, its outcome, and the audit over both (L1)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from storage.models import (
    ActionOutcome,
    ActionRecord,
)
from storage.queries import Queries

_ACTION_INSERT = insert(ActionRecord.__table__).returning(ActionRecord.__table__.c.id)
_OUTCOME_INSERT = insert(ActionOutcome.__table__).returning(ActionOutcome.__table__.c.id)


class ActionLogQueries(Queries):
    # --- audit journal -------------------------------------------------------------------
    async def record_action(self, **values: Any) -> int:
        result = await self.c.execute(_ACTION_INSERT, values)
        action_id = int(result.scalar_one())
        await self._journal("action", ActionRecord, action_id, values["at"])
        return action_id

    async def record_outcome(
        self, action_id: int, outcome: str, detail: str, at: datetime, notified: Sequence[str] = ()
    ) -> None:
        result = await self.c.execute(
            _OUTCOME_INSERT,
            {
                "action_id": action_id,
                "outcome": outcome,
                "detail": detail,
                "at": at,
                "notified": list(notified),
            },
        )
        await self._journal("outcome", ActionOutcome, result.scalar_one(), at)

    async def actions_without_outcome(
        self, decision_ids: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """Intents with no outcome (all of them, or those of ``decision_ids``)."""
        done = select(ActionOutcome.action_id)
        stmt = select(ActionRecord).where(ActionRecord.id.not_in(done))
        if decision_ids is not None:
            stmt = stmt.where(ActionRecord.decision_id.in_(list(decision_ids)))
        rows = await self.c.execute(stmt.order_by(ActionRecord.id))
        return [dict(r._mapping) for r in rows.all()]

    async def decision_actions(self, decision_id: str) -> list[dict[str, Any]]:
        """A decision's intents, each with its latest outcome (None where there is none)."""
        latest = (
            select(ActionOutcome.action_id, func.max(ActionOutcome.id).label("oid"))
            .group_by(ActionOutcome.action_id)
            .subquery()
        )
        rows = await self.c.execute(
            select(ActionRecord, ActionOutcome.outcome, ActionOutcome.detail)
            .where(ActionRecord.decision_id == decision_id)
            .outerjoin(latest, latest.c.action_id == ActionRecord.id)
            .outerjoin(ActionOutcome, ActionOutcome.id == latest.c.oid)
            .order_by(ActionRecord.id)
        )
        return [dict(r._mapping) for r in rows.all()]

    async def audit(
        self,
        *,
        platform: str | None = None,
        chat_id: str | None = None,
        user_id: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        latest = (
            select(ActionOutcome.action_id, func.max(ActionOutcome.id).label("oid"))
            .group_by(ActionOutcome.action_id)
            .subquery()
        )
        stmt = (
            select(
                ActionRecord, ActionOutcome.outcome, ActionOutcome.detail, ActionOutcome.notified
            )
            .outerjoin(latest, latest.c.action_id == ActionRecord.id)
            .outerjoin(ActionOutcome, ActionOutcome.id == latest.c.oid)
            .order_by(ActionRecord.id)
            .limit(limit)
        )
        for column, value in (
            (ActionRecord.platform, platform),
            (ActionRecord.chat_id, chat_id),
            (ActionRecord.user_id, user_id),
            (ActionRecord.category, category),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if since is not None:
            stmt = stmt.where(ActionRecord.at >= since)
        if until is not None:
            stmt = stmt.where(ActionRecord.at < until)
        return [dict(r._mapping) for r in (await self.c.execute(stmt)).all()]

    async def action_params(self, decision_id: str, kind: str) -> list[dict[str, Any]]:
        """The params of a decision's journal rows of one kind, oldest first."""
        rows = await self.c.execute(
            select(ActionRecord.params)
            .where(ActionRecord.decision_id == decision_id, ActionRecord.kind == kind)
            .order_by(ActionRecord.id)
        )
        return [dict(r[0] or {}) for r in rows.all()]

    async def decision_message_id(self, decision_id: str) -> str | None:
        """The message a journaled decision was about (to delete it once a review confirms)."""
        row = (
            await self.c.execute(
                select(ActionRecord.message_id)
                .where(ActionRecord.decision_id == decision_id)
                .order_by(ActionRecord.id)
                .limit(1)
            )
        ).first()
        return row[0] if row else None
