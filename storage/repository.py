"""Queries and writes, one method each, on a connection inside the caller's transaction.

The aggregates live in their own modules (``storage.members``, ``storage.offences``,
``storage.blacklist``, ``storage.action_log``, ``storage.escalations``); ``Repository``
combines them so a transaction callback reaches all of them through one object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, insert, or_, select, true, update

from storage.action_log import ActionLogQueries
from storage.blacklist import BlacklistQueries
from storage.escalations import EscalationQueries, EscalationRow
from storage.instances import InstanceQueries
from storage.members import MemberQueries, MemberRow
from storage.models import (
    Group,
    InboxUpdate,
    ProcessedUpdate,
    QuietWindowApplied,
    Timer,
)
from storage.offences import ActiveOffence, OffenceQueries

# Constant statements with parameters passed at execute time: compiled once and cached, where
# ``insert(...).values(**kw)`` rebuilds and re-keys the statement on every call.


# The columns of TimerRow, in its field order.
_TIMER_SELECT = select(
    Timer.id,
    Timer.kind,
    Timer.platform,
    Timer.chat_id,
    Timer.user_id,
    Timer.due_at,
    Timer.payload,
)


class SeenGroup(NamedTuple):
    """A group the bot has been in (platform, chat id, its title when last seen)."""

    platform: str
    chat_id: str
    title: str | None


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    kind: str
    platform: str
    chat_id: str
    user_id: str | None
    due_at: datetime
    payload: dict[str, Any]


class Repository(
    MemberQueries,
    OffenceQueries,
    BlacklistQueries,
    ActionLogQueries,
    EscalationQueries,
    InstanceQueries,
):
    """Every aggregate's queries on one connection (the unit a transaction callback gets);
    each aggregate's live in its own module: members, offences, blacklist, action_log,
    escalations. What is left here: update claims and the inbox, groups, and timers."""

    # --- updates -------------------------------------------------------------------------
    async def claim_update(self, platform: str, update_id: str, at: datetime) -> bool:
        """Record an update id; False when it was already handled (a repeated delivery)."""
        stmt = (
            self._insert_ignore(ProcessedUpdate)
            .values(platform=platform, update_id=update_id, at=at)
            .on_conflict_do_nothing()
        )
        result = await self.c.execute(stmt)
        return result.rowcount == 1

    async def update_claimed(self, platform: str, update_id: str) -> bool:
        """Whether an update id was already claimed (without claiming it)."""
        found = await self.c.execute(
            select(ProcessedUpdate.update_id).where(
                ProcessedUpdate.platform == platform, ProcessedUpdate.update_id == update_id
            )
        )
        return found.first() is not None

    # --- inbox ---------------------------------------------------------------------------
    async def inbox_put(
        self, platform: str, rows: Sequence[tuple[str, str]], at: datetime, owner: str | None = None
    ) -> list[str]:
        """Record received updates (update id, JSON payload) owned by ``owner``; returns the
        ids this insert took. An id already recorded — a delivery the platform repeats, or the
        same update sent to two instances — is taken by one insert only, so it is handled
        once across instances (the unique key decides, not a read before the write)."""
        values: dict[str, dict[str, Any]] = {}
        for update_id, payload in rows:
            values.setdefault(
                update_id,
                {
                    "platform": platform,
                    "update_id": update_id,
                    "payload": payload,
                    "received_at": at,
                    "owner": owner,
                },
            )
        if not values:
            return []
        result = await self.c.execute(
            self._insert_ignore(InboxUpdate)
            .values(list(values.values()))
            .on_conflict_do_nothing()
            .returning(InboxUpdate.update_id)
        )
        taken = {u for (u,) in result.all()}
        return [u for u in values if u in taken]

    async def inbox_pending(
        self, platform: str, limit: int, after: int = 0
    ) -> list[tuple[int, str, str]]:
        """Updates received but not yet handled, oldest first: (row id, update id, payload),
        from the row after ``after`` (paging)."""
        rows = await self.c.execute(
            select(InboxUpdate.id, InboxUpdate.update_id, InboxUpdate.payload)
            .where(
                InboxUpdate.platform == platform,
                InboxUpdate.handled_at.is_(None),
                InboxUpdate.id > after,
            )
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
        return [(i, u, p) for i, u, p in rows.all()]

    async def inbox_handled(self, platform: str, update_ids: Sequence[str], at: datetime) -> None:
        if update_ids:
            await self.c.execute(
                update(InboxUpdate)
                .where(InboxUpdate.platform == platform, InboxUpdate.update_id.in_(update_ids))
                .values(handled_at=at)
            )

    async def inbox_prune(self, before: datetime) -> int:
        """Forget handled updates received before ``before`` (kept a while so that a delivery
        repeated by the platform is still recognised)."""
        result = await self.c.execute(
            delete(InboxUpdate).where(
                InboxUpdate.handled_at.is_not(None), InboxUpdate.received_at < before
            )
        )
        return int(result.rowcount or 0)

    # --- scheduled quiet windows ---------------------------------------------------------
    async def claim_quiet_window(
        self, platform: str, chat_id: str, window_start: str, at: datetime
    ) -> bool:
        """True the first time a window is applied to a group, False ever after."""
        stmt = (
            self._insert_ignore(QuietWindowApplied)
            .values(platform=platform, chat_id=chat_id, window_start=window_start, applied_at=at)
            .on_conflict_do_nothing()
        )
        return (await self.c.execute(stmt)).rowcount == 1

    # --- groups --------------------------------------------------------------------------
    async def touch_group(
        self, platform: str, chat_id: str, title: str | None, at: datetime
    ) -> bool:
        """Returns the group's quiet flag."""
        row = (
            await self.c.execute(
                select(Group.id, Group.quiet, Group.title).where(
                    Group.platform == platform, Group.chat_id == chat_id
                )
            )
        ).first()
        if row is None:
            stmt = (
                self._insert_ignore(Group)
                .values(
                    platform=platform,
                    chat_id=chat_id,
                    title=title,
                    quiet=False,
                    first_seen=at,
                    last_seen=at,
                )
                .on_conflict_do_nothing()
            )
            await self.c.execute(stmt)
            return False
        if title and title != row.title:
            await self.c.execute(update(Group).where(Group.id == row.id).values(title=title))
        return bool(row.quiet)

    async def set_quiet(self, platform: str, chat_id: str, quiet: bool) -> None:
        await self.c.execute(
            update(Group)
            .where(Group.platform == platform, Group.chat_id == chat_id)
            .values(quiet=quiet)
        )

    async def groups(self, platform: str | None = None) -> list[SeenGroup]:
        stmt = select(Group.platform, Group.chat_id, Group.title)
        if platform:
            stmt = stmt.where(Group.platform == platform)
        return [SeenGroup(*r) for r in (await self.c.execute(stmt)).all()]

    # --- timers --------------------------------------------------------------------------
    async def arm_timer(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        user_id: str | None,
        due_at: datetime,
        at: datetime,
        payload: dict[str, Any] | None = None,
        *,
        replace: bool = True,
    ) -> int:
        # One armed timer per (kind, member) by default: re-arming replaces, so a mute
        # extended by a second /mute does not lift at the first expiry.
        if replace:
            await self.cancel_timers(kind, platform, chat_id, user_id)
        result = await self.c.execute(
            insert(Timer)
            .values(
                kind=kind,
                platform=platform,
                chat_id=chat_id,
                user_id=user_id,
                due_at=due_at,
                status="armed",
                payload=payload or {},
                created_at=at,
            )
            .returning(Timer.id)
        )
        return int(result.scalar_one())

    async def cancel_timers(
        self, kind: str, platform: str, chat_id: str, user_id: str | None
    ) -> int:
        result = await self.c.execute(
            update(Timer)
            .where(
                Timer.kind == kind,
                Timer.platform == platform,
                Timer.chat_id == chat_id,
                Timer.user_id == user_id if user_id is not None else Timer.user_id.is_(None),
                Timer.status == "armed",
            )
            .values(status="cancelled")
        )
        return result.rowcount

    async def armed_timers(
        self,
        due_before: datetime | None = None,
        *,
        kind: str | None = None,
        chat: tuple[str, str] | None = None,
    ) -> list[TimerRow]:
        """Armed timers, all or those due by ``due_before``, of one ``kind``, in one ``chat``
        (platform, chat id)."""
        stmt = _TIMER_SELECT.where(Timer.status == "armed")
        if due_before is not None:
            stmt = stmt.where(Timer.due_at <= due_before)
        if kind is not None:
            stmt = stmt.where(Timer.kind == kind)
        if chat is not None:
            stmt = stmt.where(Timer.platform == chat[0], Timer.chat_id == chat[1])
        rows = await self.c.execute(stmt.order_by(Timer.due_at))
        return [TimerRow(*r) for r in rows.all()]

    async def armed_timer(self, timer_id: int) -> TimerRow | None:
        """One timer by id while it is armed; None once fired or cancelled."""
        row = await self.c.execute(
            _TIMER_SELECT.where(Timer.id == timer_id, Timer.status == "armed")
        )
        found = row.first()
        return TimerRow(*found) if found is not None else None

    async def finish_timer(self, timer_id: int, status: str = "fired") -> bool:
        """Mark a timer done (armed, or claimed for firing); False if it was already
        finished or cancelled."""
        result = await self.c.execute(
            update(Timer)
            .where(Timer.id == timer_id, Timer.status.in_(("armed", "firing")))
            .values(status=status)
        )
        return result.rowcount == 1

    async def claim_due_timers(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int = 100,
        *,
        any_claimer: bool = False,
        own_claims: bool = False,
    ) -> list[TimerRow]:
        """Claim for ``owner`` until ``lease_until`` the timers due by ``now``, and those
        claimed but never finished: by anyone whose lease ran out (it crashed), by ``owner``
        itself with ``own_claims`` (the first claim after a restart under the same id), or
        by anyone at all with ``any_claimer`` (an embedded database, one process). Rows
        another transaction is claiming are skipped (``SKIP LOCKED`` on PostgreSQL), so
        instances split the due timers instead of queueing on one another."""
        stale = [Timer.lease_until < now]
        if own_claims:
            stale.append(Timer.owner == owner)
        due = (
            select(Timer.id)
            .where(
                or_(
                    and_(Timer.status == "armed", Timer.due_at <= now),
                    and_(Timer.status == "firing", true() if any_claimer else or_(*stale)),
                )
            )
            .order_by(Timer.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.c.execute(
            update(Timer)
            .where(Timer.id.in_(due.scalar_subquery()))
            .values(status="firing", owner=owner, lease_until=lease_until)
            .returning(*_TIMER_SELECT.selected_columns)
        )
        return sorted((TimerRow(*r) for r in rows.all()), key=lambda t: (t.due_at, t.id))


class BulkRepository(Repository):
    """Batch writes for the per-message hot path (group commit)."""

    async def claim_updates_bulk(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            stmt = self._insert_ignore(ProcessedUpdate).on_conflict_do_nothing()
            await self.c.execute(stmt, list(rows))

    async def recent_update_ids(self, limit: int) -> list[tuple[str, str]]:
        rows = await self.c.execute(
            select(ProcessedUpdate.platform, ProcessedUpdate.update_id)
            .order_by(ProcessedUpdate.at.desc())
            .limit(limit)
        )
        return [tuple(r) for r in rows.all()]


__all__ = [
    "ActiveOffence",
    "BulkRepository",
    "EscalationRow",
    "MemberRow",
    "Repository",
    "SeenGroup",
    "TimerRow",
]
