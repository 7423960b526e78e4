"""Queries and writes, one method each, on a connection inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import journal
from storage.models import (
    ActionOutcome,
    ActionRecord,
    BlacklistEntry,
    Escalation,
    EscalationResponse,
    Group,
    InboxUpdate,
    Member,
    MembershipEvent,
    NicknameChange,
    Offence,
    ProcessedUpdate,
    QuietWindowApplied,
    Timer,
)

# Constant statements with parameters passed at execute time: compiled once and cached, where
# ``insert(...).values(**kw)`` rebuilds and re-keys the statement on every call.
_NICKNAME_INSERT = insert(NicknameChange.__table__)
_OFFENCE_INSERT = insert(Offence.__table__).returning(Offence.__table__.c.id)
_ACTION_INSERT = insert(ActionRecord.__table__).returning(ActionRecord.__table__.c.id)
_OUTCOME_INSERT = insert(ActionOutcome.__table__).returning(ActionOutcome.__table__.c.id)


# The columns of MemberRow, in its field order.
_MEMBER_SELECT = select(
    Member.platform,
    Member.chat_id,
    Member.user_id,
    Member.nickname,
    Member.username,
    Member.status,
    Member.restricted_until,
    Member.nickname_deadline,
)


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


@dataclass(frozen=True, slots=True)
class MemberRow:
    platform: str
    chat_id: str
    user_id: str
    nickname: str
    username: str | None
    status: str
    restricted_until: datetime | None
    nickname_deadline: datetime | None


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    kind: str
    platform: str
    chat_id: str
    user_id: str | None
    due_at: datetime
    payload: dict[str, Any]


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


class Repository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def _journal(self, kind: str, model: Any, row_id: int, at: datetime) -> None:
        """Mirror the row just written into the hash chain, in this same transaction (L1)."""
        await journal.mirror(self.c, kind, model.__table__, row_id, at=at)

    def _insert_ignore(self, table: Any) -> Any:
        dialect = self.c.dialect.name
        if dialect == "postgresql":
            return pg_insert(table)
        return sqlite_insert(table)

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
        self, platform: str, rows: Sequence[tuple[str, str]], at: datetime
    ) -> list[str]:
        """Record received updates (update id, JSON payload); returns the ids not seen before
        (a delivery the platform repeats is recorded once and handled once)."""
        if not rows:
            return []
        known = await self.c.execute(
            select(InboxUpdate.update_id).where(
                InboxUpdate.platform == platform,
                InboxUpdate.update_id.in_([u for u, _ in rows]),
            )
        )
        seen = {u for (u,) in known.all()}
        values = []
        for update_id, payload in rows:
            if update_id not in seen:
                seen.add(update_id)
                values.append(
                    {
                        "platform": platform,
                        "update_id": update_id,
                        "payload": payload,
                        "received_at": at,
                    }
                )
        if values:
            await self.c.execute(self._insert_ignore(InboxUpdate).on_conflict_do_nothing(), values)
        return [v["update_id"] for v in values]

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

    async def groups(self, platform: str | None = None) -> list[tuple[str, str, str | None]]:
        stmt = select(Group.platform, Group.chat_id, Group.title)
        if platform:
            stmt = stmt.where(Group.platform == platform)
        return [tuple(r) for r in (await self.c.execute(stmt)).all()]

    # --- members -------------------------------------------------------------------------
    async def member(self, platform: str, chat_id: str, user_id: str) -> MemberRow | None:
        row = (
            await self.c.execute(
                _MEMBER_SELECT.where(
                    Member.platform == platform,
                    Member.chat_id == chat_id,
                    Member.user_id == user_id,
                )
            )
        ).first()
        return MemberRow(*row) if row else None

    async def members_of(self, platform: str, chat_id: str) -> list[MemberRow]:
        rows = await self.c.execute(
            _MEMBER_SELECT.where(Member.platform == platform, Member.chat_id == chat_id)
        )
        return [MemberRow(*r) for r in rows.all()]

    async def member_by_username(
        self, platform: str, chat_id: str, username: str
    ) -> MemberRow | None:
        row = (
            await self.c.execute(
                _MEMBER_SELECT.where(
                    Member.platform == platform,
                    Member.chat_id == chat_id,
                    func.lower(Member.username) == username.lower().lstrip("@"),
                )
            )
        ).first()
        return MemberRow(*row) if row else None

    async def save_member(
        self,
        previous: MemberRow | None,
        *,
        platform: str,
        chat_id: str,
        user_id: str,
        nickname: str,
        username: str | None,
        at: datetime,
        status: str | None = None,
    ) -> None:
        """Insert or update the member, writing nickname history when the name changed."""
        if previous is None:
            await self.c.execute(
                self._insert_ignore(Member)
                .values(
                    platform=platform,
                    chat_id=chat_id,
                    user_id=user_id,
                    nickname=nickname,
                    username=username,
                    status=status or "active",
                    first_seen=at,
                    last_seen=at,
                )
                .on_conflict_do_nothing()
            )
            await self._nickname_history(platform, chat_id, user_id, None, nickname, at)
            return
        values: dict[str, Any] = {"last_seen": at}
        if nickname != previous.nickname:
            values["nickname"] = nickname
            await self._nickname_history(
                platform, chat_id, user_id, previous.nickname, nickname, at
            )
        if username != previous.username:
            values["username"] = username
        if status and status != previous.status:
            values["status"] = status
        await self.c.execute(
            update(Member)
            .where(
                Member.platform == platform, Member.chat_id == chat_id, Member.user_id == user_id
            )
            .values(**values)
        )

    async def _nickname_history(
        self, platform: str, chat_id: str, user_id: str, old: str | None, new: str, at: datetime
    ) -> None:
        await self.c.execute(
            _NICKNAME_INSERT,
            {
                "platform": platform,
                "chat_id": chat_id,
                "user_id": user_id,
                "old_nickname": old,
                "new_nickname": new,
                "at": at,
            },
        )

    async def ensure_member(
        self, platform: str, chat_id: str, user_id: str, nickname: str, at: datetime
    ) -> None:
        """Create a bare member row when acting on someone never seen here (``/mute 12345``),
        so the restriction or deadline written next has a row to live on."""
        await self.c.execute(
            self._insert_ignore(Member.__table__).on_conflict_do_nothing(),
            {
                "platform": platform,
                "chat_id": chat_id,
                "user_id": user_id,
                "nickname": nickname,
                "username": None,
                "status": "active",
                "restricted_until": None,
                "nickname_deadline": None,
                "first_seen": at,
                "last_seen": at,
            },
        )

    async def set_member_fields(
        self, platform: str, chat_id: str, user_id: str, **values: Any
    ) -> None:
        await self.c.execute(
            update(Member)
            .where(
                Member.platform == platform, Member.chat_id == chat_id, Member.user_id == user_id
            )
            .values(**values)
        )

    async def nickname_history(self, platform: str, chat_id: str, user_id: str) -> list[tuple]:
        rows = await self.c.execute(
            select(NicknameChange.old_nickname, NicknameChange.new_nickname, NicknameChange.at)
            .where(
                NicknameChange.platform == platform,
                NicknameChange.chat_id == chat_id,
                NicknameChange.user_id == user_id,
            )
            .order_by(NicknameChange.id)
        )
        return [tuple(r) for r in rows.all()]

    async def record_membership(
        self, platform: str, chat_id: str, user_id: str, kind: str, by: str | None, at: datetime
    ) -> None:
        result = await self.c.execute(
            insert(MembershipEvent)
            .values(
                platform=platform, chat_id=chat_id, user_id=user_id, kind=kind, by_user_id=by, at=at
            )
            .returning(MembershipEvent.id)
        )
        await self._journal("membership", MembershipEvent, result.scalar_one(), at)

    # --- offences ------------------------------------------------------------------------
    async def offence_counts(
        self, platform: str, chat_id: str, user_id: str, since: datetime
    ) -> dict[str, int]:
        rows = await self.c.execute(
            select(Offence.category, func.count())
            .where(
                Offence.platform == platform,
                Offence.chat_id == chat_id,
                Offence.user_id == user_id,
                Offence.at >= since,
                Offence.revoked_at.is_(None),
            )
            .group_by(Offence.category)
        )
        return {category: count for category, count in rows.all()}

    async def add_offence(self, **values: Any) -> None:
        result = await self.c.execute(_OFFENCE_INSERT, {"revoked_at": None, **values})
        await self._journal("offence", Offence, result.scalar_one(), values["at"])

    async def revoke_last_offence(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        at: datetime,
        decision_id: str | None = None,
    ) -> bool:
        conditions = [
            Offence.platform == platform,
            Offence.chat_id == chat_id,
            Offence.user_id == user_id,
            Offence.revoked_at.is_(None),
        ]
        if decision_id:
            conditions.append(Offence.decision_id == decision_id)
        last = (
            await self.c.execute(select(func.max(Offence.id)).where(and_(*conditions)))
        ).scalar()
        if last is None:
            return False
        await self.c.execute(update(Offence).where(Offence.id == last).values(revoked_at=at))
        await self._journal("offence.revoked", Offence, last, at)
        return True

    async def active_offences(
        self, platform: str, chat_id: str, user_id: str, since: datetime
    ) -> list[tuple]:
        rows = await self.c.execute(
            select(Offence.category, Offence.article, Offence.at)
            .where(
                Offence.platform == platform,
                Offence.chat_id == chat_id,
                Offence.user_id == user_id,
                Offence.at >= since,
                Offence.revoked_at.is_(None),
            )
            .order_by(Offence.at)
        )
        return [tuple(r) for r in rows.all()]

    # --- blacklist -----------------------------------------------------------------------
    async def is_blacklisted(self, platform: str, user_id: str) -> bool:
        found = await self.c.execute(
            select(BlacklistEntry.id)
            .where(
                BlacklistEntry.platform == platform,
                BlacklistEntry.user_id == user_id,
                BlacklistEntry.lifted_at.is_(None),
            )
            .limit(1)
        )
        return found.first() is not None

    async def add_blacklist(
        self, platform: str, user_id: str, reason: str, by: str, at: datetime
    ) -> bool:
        if await self.is_blacklisted(platform, user_id):
            return False
        result = await self.c.execute(
            insert(BlacklistEntry)
            .values(platform=platform, user_id=user_id, reason=reason, added_by=by, added_at=at)
            .returning(BlacklistEntry.id)
        )
        await self._journal("blacklist.added", BlacklistEntry, result.scalar_one(), at)
        return True

    async def lift_blacklist(self, platform: str, user_id: str, by: str, at: datetime) -> bool:
        lifted = (
            (
                await self.c.execute(
                    select(BlacklistEntry.id).where(
                        BlacklistEntry.platform == platform,
                        BlacklistEntry.user_id == user_id,
                        BlacklistEntry.lifted_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        for entry_id in lifted:
            await self.c.execute(
                update(BlacklistEntry)
                .where(BlacklistEntry.id == entry_id)
                .values(lifted_at=at, lifted_by=by)
            )
            await self._journal("blacklist.lifted", BlacklistEntry, entry_id, at)
        return bool(lifted)

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

    async def actions_without_outcome(self) -> list[dict[str, Any]]:
        done = select(ActionOutcome.action_id)
        rows = await self.c.execute(
            select(ActionRecord).where(ActionRecord.id.not_in(done)).order_by(ActionRecord.id)
        )
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

    async def armed_timers(self, due_before: datetime | None = None) -> list[TimerRow]:
        stmt = _TIMER_SELECT.where(Timer.status == "armed")
        if due_before is not None:
            stmt = stmt.where(Timer.due_at <= due_before)
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
        """Claim an armed timer; False if another instance or a cancel got there first."""
        result = await self.c.execute(
            update(Timer).where(Timer.id == timer_id, Timer.status == "armed").values(status=status)
        )
        return result.rowcount == 1


class BulkRepository(Repository):
    """Batch writes for the per-message hot path (group commit)."""

    async def claim_updates_bulk(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            stmt = self._insert_ignore(ProcessedUpdate).on_conflict_do_nothing()
            await self.c.execute(stmt, list(rows))

    async def insert_members_bulk(self, rows: Sequence[dict[str, Any]]) -> None:
        """New members and their first nickname-history rows, one executemany each."""
        if not rows:
            return
        members = [
            {
                "platform": r["platform"],
                "chat_id": r["chat_id"],
                "user_id": r["user_id"],
                "nickname": r["nickname"],
                "username": r["username"],
                "status": "active",
                "restricted_until": None,
                "nickname_deadline": None,
                "first_seen": r["at"],
                "last_seen": r["at"],
            }
            for r in rows
        ]
        await self.c.execute(
            self._insert_ignore(Member.__table__).on_conflict_do_nothing(), members
        )
        await self.c.execute(
            _NICKNAME_INSERT,
            [
                {
                    "platform": r["platform"],
                    "chat_id": r["chat_id"],
                    "user_id": r["user_id"],
                    "old_nickname": None,
                    "new_nickname": r["nickname"],
                    "at": r["at"],
                }
                for r in rows
            ],
        )

    async def recent_update_ids(self, limit: int) -> list[tuple[str, str]]:
        rows = await self.c.execute(
            select(ProcessedUpdate.platform, ProcessedUpdate.update_id)
            .order_by(ProcessedUpdate.at.desc())
            .limit(limit)
        )
        return [tuple(r) for r in rows.all()]

    async def active_blacklist(self) -> set[tuple[str, str]]:
        rows = await self.c.execute(
            select(BlacklistEntry.platform, BlacklistEntry.user_id).where(
                BlacklistEntry.lifted_at.is_(None)
            )
        )
        return {(p, u) for p, u in rows.all()}
