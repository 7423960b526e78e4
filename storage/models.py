"""Tables. The ``actions`` and ``action_outcomes`` tables are append-only: the migration installs
triggers that refuse UPDATE and DELETE, so a record cannot be silently altered (REQUIREMENTS L1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER keys


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime()}


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    quiet: Mapped[bool] = mapped_column(default=False)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    __table_args__ = (Index("ux_groups_chat", "platform", "chat_id", unique=True),)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active/left/removed
    restricted_until: Mapped[datetime | None]
    # Denormalised from the armed real-name timer so the hot path needs no timers query.
    nickname_deadline: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    __table_args__ = (
        Index("ux_members_chat_user", "platform", "chat_id", "user_id", unique=True),
        Index("ix_members_username", "platform", "chat_id", "username"),
    )


class NicknameChange(Base):
    __tablename__ = "nickname_history"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    old_nickname: Mapped[str | None] = mapped_column(Text)
    new_nickname: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    __table_args__ = (Index("ix_nickhist_member", "platform", "chat_id", "user_id"),)


class MembershipEvent(Base):
    """Joins and departures (REQUIREMENTS M6: departures are recorded and the owner told)."""

    __tablename__ = "membership_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # joined / left / removed
    by_user_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]


class Offence(Base):
    __tablename__ = "offences"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(32))
    article: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    decision_id: Mapped[str] = mapped_column(String(36))
    # Revoked by /unwarn or a supervisor's "false positive"; recorded, never deleted.
    revoked_at: Mapped[datetime | None]
    at: Mapped[datetime]
    __table_args__ = (
        Index("ix_offences_member", "platform", "chat_id", "user_id", "category", "at"),
    )


class ActionRecord(Base):
    """Append-only audit journal: the intent, written before the platform is called."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))  # "bot" or the admin's user id
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    rule: Mapped[str] = mapped_column(String(32))
    article: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # personal data masked
    reason: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_actions_member", "platform", "chat_id", "user_id"),)


class ActionOutcome(Base):
    """Append-only: what happened when the platform was called (done, failed, fallback, ...)."""

    __tablename__ = "action_outcomes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    notified: Mapped[list] = mapped_column(JSON, default=list)  # who was told


class Escalation(Base):
    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    decision_id: Mapped[str] = mapped_column(String(36), index=True)
    # 1, 2, …: a supervisor tier (上报). 0: the group's own admins reviewing an unsure
    # classifier hit (确认违规 / 误报), one row per admin told; target_chat_id is then the
    # admin's private chat, or the group when no admin could be reached privately.
    tier: Mapped[int]
    target_platform: Mapped[str] = mapped_column(String(16))
    target_chat_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    article: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sent/failed
    at: Mapped[datetime]


class EscalationResponse(Base):
    """A supervisor's button press (acknowledge / lift / false positive), append-only."""

    __tablename__ = "escalation_responses"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    responder: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class Timer(Base):
    """Every timer is a row, re-armed on start: mute expiries, grace deadlines, quiet ends."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(index=True)
    # armed / firing (claimed by ``owner`` until ``lease_until``) / fired / cancelled
    status: Mapped[str] = mapped_column(String(16), default="armed")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_timers_member", "platform", "chat_id", "user_id", "kind", "status"),
    )


class BlacklistEntry(Base):
    __tablename__ = "blacklist"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_blacklist_user", "platform", "user_id"),)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)  # pruned by age


class QuietWindowApplied(Base):
    """A scheduled quiet window already applied to a group: a restart inside the window must
    not switch quiet mode on again after an admin lifted it."""

    __tablename__ = "quiet_windows_applied"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[str] = mapped_column(String(64), primary_key=True)
    applied_at: Mapped[datetime]


class JournalEntry(Base):
    """The hash chain over every kept record (storage/journal.py). Append-only: triggers
    refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE; ``audit verify`` finds what they miss."""

    __tablename__ = "journal"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(48))
    ref_table: Mapped[str | None] = mapped_column(String(48))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_journal_ref", "ref_table", "ref_id"),)


class JournalHead(Base):
    """One row: the newest entry. Appending locks it (one writer hands out seq numbers); a
    trigger lets it move forward by exactly one entry at a time."""

    __tablename__ = "journal_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Incident(Base):
    """A public-opinion incident (舆情, A5; R2 Art.18-20). Its stages are ``incident_steps``;
    this row holds where it stands. Journaled on every change."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))  # whose message raised it
    message_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # admin / auto / cli
    opened_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)  # personal data masked
    signals: Mapped[list] = mapped_column(JSON, default=list)  # the lexicon hits, explained
    major: Mapped[bool] = mapped_column(default=False)  # 重大舆情风险 (R1 Art.10)
    stage: Mapped[str] = mapped_column(String(16))
    proposal: Mapped[str | None] = mapped_column(Text)  # 处置意见 (R2 Art.19)
    opened_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_incidents_chat", "platform", "chat_id"),)


class IncidentStep(Base):
    """One stage reached (记录 → 分析研判 → 确认事实 → 妥善处理 → 报告): who, when, a note.
    Append-only."""

    __tablename__ = "incident_steps"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    told: Mapped[list] = mapped_column(JSON, default=list)  # tiers/chats informed at this step
    at: Mapped[datetime]


class ReportRun(Base):
    """A report sent to a supervisor: its period and scope, and the journal head it carried
    (so the head printed in the report can be checked later with ``audit verify --anchor``).
    One per (period, scope, recipient): a schedule firing twice sends once."""

    __tablename__ = "report_runs"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(96))
    scope: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(96))
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # sent / failed / recorded
    at: Mapped[datetime]
    __table_args__ = (Index("ux_report_runs_once", "period", "scope", "recipient", unique=True),)


# --- directory and governance (issue 9 item 4, issue 11) ------------------------------------


class Unit(Base):
    """A unit (单位/部门) and its parent; ``roles`` names who holds each role for it."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    parent: Mapped[str | None] = mapped_column(String(128))
    roles: Mapped[dict] = mapped_column(JSON, default=dict)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # real name
    unit: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(64))


class PersonAccount(Base):
    __tablename__ = "person_accounts"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ux_person_accounts", "platform", "user_id", unique=True),)


class RegisteredGroup(Base):
    """The group registry (G1, G5): who owns a group, who answers for it, and where it is in
    its life: unfiled / pending / filed / approved (temporary) / cancelled / dissolved."""

    __tablename__ = "group_registry"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(128))
    responsible: Mapped[str | None] = mapped_column(String(64))
    admins: Mapped[list] = mapped_column(JSON, default=list)
    group_class: Mapped[str] = mapped_column(String(16), default="internal")
    term: Mapped[str] = mapped_column(String(16), default="standing")  # standing/temporary
    ends_on: Mapped[date | None] = mapped_column(Date)
    member_cap: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="unfiled")
    source: Mapped[str] = mapped_column(String(16), default="seen")  # config/seen/filing
    created_at: Mapped[datetime]
    last_activity_at: Mapped[datetime | None]
    unfiled_notice_at: Mapped[datetime | None]
    service_stopped_at: Mapped[datetime | None]
    __table_args__ = (Index("ux_group_registry_chat", "platform", "chat_id", unique=True),)


class Filing(Base):
    """A 备案表 (R2 Annex 1): exactly the form's fields, who submitted it, and its place in
    the approval chain."""

    __tablename__ = "filings"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(16))  # create/change/cancel
    unit: Mapped[str] = mapped_column(String(128))  # 使用部门
    filed_on: Mapped[date] = mapped_column(Date)  # 备案日期
    platform_label: Mapped[str] = mapped_column(String(32))  # 平台类别
    group_name: Mapped[str] = mapped_column(Text)  # 群组名称
    responsible: Mapped[str] = mapped_column(String(64))  # 群组负责人
    member_scope: Mapped[str] = mapped_column(Text, default="")  # 成员范围
    purpose: Mapped[str] = mapped_column(Text, default="")  # 建群目的
    notes: Mapped[str] = mapped_column(Text, default="")  # 备案事项说明
    group_class: Mapped[str] = mapped_column(String(16))  # internal/external
    ends_on: Mapped[date | None] = mapped_column(Date)  # temporary groups only
    chain: Mapped[str] = mapped_column(String(16))  # internal/external/temporary
    steps: Mapped[list] = mapped_column(JSON, default=list)  # the roles, in order
    step: Mapped[int] = mapped_column(default=0)  # index of the step waiting
    status: Mapped[str] = mapped_column(String(16), default="pending")
    submitted_by: Mapped[str] = mapped_column(String(64))  # user id, or "cli"
    submitter_name: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime]
    step_requested_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]


class FilingStep(Base):
    """One decision on a filing: who, when, which step, approved or returned, and why."""

    __tablename__ = "filing_steps"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    step: Mapped[int]
    role: Mapped[str] = mapped_column(String(32))
    approver: Mapped[str] = mapped_column(String(64))  # real name
    by_platform: Mapped[str] = mapped_column(String(16))
    by_user_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # approved/rejected
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
    __table_args__ = (Index("ux_filing_steps_once", "filing_id", "step", unique=True),)


class Handover(Base):
    """A hand-over of a group's responsible person or an admin (G6, R1 Art.5)."""

    __tablename__ = "handovers"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))  # responsible/admin
    old: Mapped[str | None] = mapped_column(String(64))
    new: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(32))  # command / filing:<id>
    at: Mapped[datetime]


class InboxUpdate(Base):
    """A platform update exactly as received, written before the platform is told it arrived
    (Telegram forgets an update once the next getUpdates acknowledges it). Rows are handled
    from here, so a crash loses nothing: on start the rows not yet handled are handled first."""

    __tablename__ = "inbox"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(64))
    # JSON with every non-ASCII character escaped: any text the platform sends can be stored.
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    # The instance that recorded the row handles it; a lapsed owner's rows are adopted.
    owner: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ux_inbox_update", "platform", "update_id", unique=True),
        Index("ix_inbox_pending", "platform", "handled_at"),
    )


# --- members (issue 12: roster, strangers, audits, tasks, lost accounts) ----------------------


class RosterEntry(Base):
    """One person of the imported roster (名册). Kept minimal: no ID-card number, and the phone
    only in masked form — the bot never calls anyone, it only has to show who the entry is."""

    __tablename__ = "roster_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(128), default="")  # "" when none
    title: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # active / transferred / departed
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (
        Index("ux_roster_person", "name", "unit", "department", unique=True),
        Index("ix_roster_name", "name"),
    )


class RosterAccount(Base):
    __tablename__ = "roster_accounts"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ux_roster_accounts", "platform", "user_id", unique=True),)


class MemberFlag(Base):
    """A member flagged to the admins (无关人员, an invitation by someone not entitled, a join
    beyond the cap) and what an admin decided about it. The decision is also journaled."""

    __tablename__ = "member_flags"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # stranger / invite
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/kept/removed/matched
    flagged_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_member_flags_member", "platform", "chat_id", "user_id"),)


class MemberActivity(Base):
    """When a member last spoke in a group, written at most hourly (the audit's 'inactive')."""

    __tablename__ = "member_activity"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    last_message_at: Mapped[datetime]
    __table_args__ = (Index("ux_member_activity", "platform", "chat_id", "user_id", unique=True),)


class Task(Base):
    """A 交办事项 (R2 Art.11(2)): assigned in a group by its owner or an admin."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    creator_name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/done/overdue
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class TaskAssignee(Base):
    __tablename__ = "task_assignees"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime | None]
    __table_args__ = (Index("ux_task_assignee", "task_id", "user_id", unique=True),)


class LostAccount(Base):
    """An account reported lost, stolen or lent (R2 Art.15): restricted in every managed group
    until an admin confirms its recovery."""

    __tablename__ = "lost_accounts"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # lost / lent
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_in: Mapped[str] = mapped_column(String(64))  # the chat it was reported in
    reported_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / found
    found_by: Mapped[str | None] = mapped_column(String(64))
    found_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_lost_accounts_user", "platform", "user_id"),)


class WebLogin(Base):
    """A person's web-console password (argon2 hash, never the password) and the failed
    attempts that lock it (``groupguard web``). Keyed by the directory's real name."""

    __tablename__ = "web_logins"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


# --- several instances on one database (issue 16) ---------------------------------------------


class Instance(Base):
    """A running bot process and its lease: while ``heartbeat_at`` is recent it owns its inbox
    rows and its decisions' intents; once it lapses, another instance adopts them."""

    __tablename__ = "instances"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class DecisionOwner(Base):
    """Which instance is carrying out a decision's intents (written with them): reconcile
    touches only decisions whose owner's lease has lapsed."""

    __tablename__ = "decision_owners"
    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]


class StateChange(Base):
    """A change to state every instance caches (quiet flag, blacklist, a member's standing),
    read by the others to drop their copy: one row per change, read by id."""

    __tablename__ = "state_changes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # group / member / listing
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
