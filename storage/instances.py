"""Several instances on one database: each process's lease, what it owns (inbox rows,
decisions' intents), adopting a lapsed instance's work, and the feed of cached-state changes
that keeps every instance's caches fresh.

Adoption is a conditional ``UPDATE … RETURNING``: of two live instances adopting the same
lapsed one, each row goes to exactly one of them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update

from storage.models import (
    ActionOutcome,
    ActionRecord,
    DecisionOwner,
    InboxUpdate,
    Instance,
    ProcessedUpdate,
    StateChange,
)
from storage.queries import Queries


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    scope: str
    platform: str
    chat_id: str | None
    user_id: str | None


class InstanceQueries(Queries):
    # --- leases --------------------------------------------------------------------------
    async def register_instance(self, instance_id: str, host: str, at: datetime) -> None:
        await self.c.execute(delete(Instance).where(Instance.id == instance_id))
        await self.c.execute(
            insert(Instance).values(id=instance_id, host=host, started_at=at, heartbeat_at=at)
        )

    async def heartbeat(self, instance_id: str, at: datetime) -> bool:
        """Renew the lease; False when the row is gone (another instance declared this one
        lapsed and adopted its work: it must not go on as if it still owned it)."""
        result = await self.c.execute(
            update(Instance).where(Instance.id == instance_id).values(heartbeat_at=at)
        )
        return result.rowcount == 1

    async def drop_instances(self, instance_ids: Sequence[str]) -> None:
        """End leases now: this instance's at a clean stop (what is left is adopted at once),
        or lapsed ones whose work was adopted."""
        await self.c.execute(delete(Instance).where(Instance.id.in_(list(instance_ids))))

    async def live_instances(self, since: datetime) -> set[str]:
        rows = await self.c.execute(select(Instance.id).where(Instance.heartbeat_at >= since))
        return {r for (r,) in rows.all()}

    async def lapsed_instances(self, before: datetime) -> list[str]:
        rows = await self.c.execute(select(Instance.id).where(Instance.heartbeat_at < before))
        return [r for (r,) in rows.all()]

    # --- decisions -----------------------------------------------------------------------
    async def own_decisions(self, owner: str, decision_ids: Sequence[str], at: datetime) -> None:
        if decision_ids:
            await self.c.execute(
                insert(DecisionOwner),
                [{"decision_id": d, "owner": owner, "at": at} for d in decision_ids],
            )

    async def decisions_done(self, decision_ids: Sequence[str]) -> None:
        if decision_ids:
            await self.c.execute(
                delete(DecisionOwner).where(DecisionOwner.decision_id.in_(decision_ids))
            )

    async def adopt_decisions(self, me: str, keep: Collection[str], at: datetime) -> list[str]:
        """Take over every unfinished decision whose owner is not in ``keep`` (the live
        instances), or that has no owner recorded (written before owners were); returns
        their ids."""
        taken = await self.c.execute(
            update(DecisionOwner)
            .where(DecisionOwner.owner.not_in(list(keep) or [""]))
            .values(owner=me, at=at)
            .returning(DecisionOwner.decision_id)
        )
        adopted = [d for (d,) in taken.all()]
        unowned = await self.c.execute(
            select(ActionRecord.decision_id)
            .where(
                ActionRecord.id.not_in(select(ActionOutcome.action_id)),
                ActionRecord.decision_id.not_in(select(DecisionOwner.decision_id)),
            )
            .distinct()
        )
        orphans = [d for (d,) in unowned.all()]
        if orphans:
            claimed = await self.c.execute(
                self._insert_ignore(DecisionOwner)
                .values([{"decision_id": d, "owner": me, "at": at} for d in orphans])
                .on_conflict_do_nothing()
                .returning(DecisionOwner.decision_id)
            )
            adopted += [d for (d,) in claimed.all()]
        return adopted

    # --- inbox ---------------------------------------------------------------------------
    async def adopt_inbox(
        self, me: str, keep: Collection[str], platform: str
    ) -> list[tuple[int, str, str]]:
        """Take over the unhandled inbox rows of every owner not in ``keep`` (the live
        instances); returns them oldest first as (row id, update id, payload)."""
        taken = await self.c.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.platform == platform,
                InboxUpdate.handled_at.is_(None),
                or_(InboxUpdate.owner.is_(None), InboxUpdate.owner.not_in(list(keep) or [""])),
            )
            .values(owner=me)
            .returning(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.payload)
        )
        return sorted((i, u, p) for i, u, p in taken.all())

    # --- cached-state changes ------------------------------------------------------------
    async def record_changes(
        self, changes: Sequence[tuple[str, str, str | None, str | None]], at: datetime
    ) -> None:
        """(scope, platform, chat id, user id) per change, in the caller's transaction."""
        if changes:
            await self.c.execute(
                insert(StateChange),
                [
                    {"scope": s, "platform": p, "chat_id": c, "user_id": u, "at": at}
                    for s, p, c, u in changes
                ],
            )

    async def changes_since(self, after: int, limit: int = 1000) -> list[Change]:
        rows = await self.c.execute(
            select(
                StateChange.id,
                StateChange.scope,
                StateChange.platform,
                StateChange.chat_id,
                StateChange.user_id,
            )
            .where(StateChange.id > after)
            .order_by(StateChange.id)
            .limit(limit)
        )
        return [Change(*r) for r in rows.all()]

    async def last_change(self) -> int:
        return int((await self.c.execute(select(func.max(StateChange.id)))).scalar() or 0)

    # --- pruning -------------------------------------------------------------------------
    async def prune_changes(self, before: datetime) -> int:
        result = await self.c.execute(delete(StateChange).where(StateChange.at < before))
        return int(result.rowcount or 0)

    async def prune_update_ids(self, before: datetime) -> int:
        """Forget update ids older than any repeat a platform makes (indexed by time)."""
        result = await self.c.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < before))
        return int(result.rowcount or 0)
