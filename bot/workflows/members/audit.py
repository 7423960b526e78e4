"""The member audit (定期检查群成员, REQUIREMENTS M5, R1 Art.4, 14): members not on the
roster, not real-named, inactive, or 调离/离职 but still in the group — on request (``/members``)
and on a persisted schedule (one ``mem_audit`` timer per group, re-armed after it fires)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.events import Member
from bot.members_settings import GroupMembersPolicy
from bot.ports import PlatformError
from bot.workflows.kernel import TimerDue
from rules.nickname import nickname_complies
from storage.directory import DirectoryRepository, RegistryRow
from storage.repository import Repository
from storage.roster import ACTIVE, RosterRepository

if TYPE_CHECKING:
    from bot.workflows.members.service import Members

log = logging.getLogger(__name__)

AUDIT = "mem_audit"  # one armed timer per group
ARTICLE = "R1 Art.14"


@dataclass(frozen=True, slots=True)
class AuditLine:
    user_id: str
    nickname: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AuditReport:
    platform: str
    chat_id: str
    group: str
    at: datetime
    members: int
    strangers: tuple[AuditLine, ...]
    unnamed: tuple[AuditLine, ...]
    inactive: tuple[AuditLine, ...]
    left_post: tuple[AuditLine, ...]
    # Matched to an active roster entry or directory person (detail: roster / directory);
    # the web console's member table shows everyone's match, not only the findings.
    on_roster: tuple[AuditLine, ...] = ()
    admins_unlisted: tuple[AuditLine, ...] = ()  # admins the roster does not know (not flagged)


class MemberAudit:
    def __init__(self, members: Members) -> None:
        self.m = members
        # Per process: the groups whose audit timer is known to be armed.
        self._scheduled: set[tuple[str, str]] = set()

    async def audit(self, platform: str, chat_id: str, title: str | None = None) -> AuditReport:
        await self.m.flush_activity()
        now = self.m.clock.now()
        group = await self.m.group(platform, chat_id)
        policy = self.m.policy(platform, chat_id, group)
        nickname_policy = self.m.settings.policy_for(platform, chat_id).nickname
        own = getattr(self.m.adapter_for(platform), "self_user_id", None)
        rows = await self.m.store.read(lambda r: r.members_of(platform, chat_id))
        activity = await self.m.store.read(
            lambda r: RosterRepository(r.c).activity(platform, chat_id)
        )
        present = [m for m in rows if m.status == "active" and m.user_id != own]
        strangers, unnamed, inactive, left_post, on_roster, unlisted = [], [], [], [], [], []
        for m in present:
            who = await self.m.identify(platform, m.user_id, m.nickname)
            admin = await self.m.admins.is_admin(platform, chat_id, Member(m.user_id, m.nickname))
            if who is None and not admin:
                strangers.append(AuditLine(m.user_id, m.nickname))
            elif who is None:
                unlisted.append(AuditLine(m.user_id, m.nickname))
            elif who is not None and who.status != ACTIVE:
                left_post.append(
                    AuditLine(m.user_id, m.nickname, self.m.t(f"members.word_{who.status}"))
                )
            elif who is not None:
                on_roster.append(AuditLine(m.user_id, m.nickname, who.source))
            if nickname_policy.enabled and not nickname_complies(
                m.nickname, nickname_policy.pattern
            ):
                unnamed.append(AuditLine(m.user_id, m.nickname))
            last = activity.get(m.user_id)
            if last is None or now - last >= policy.inactive_after:
                seen = self.m.local(last) if last else self.m.t("members.never_spoke")
                inactive.append(AuditLine(m.user_id, m.nickname, seen))
        return AuditReport(
            platform,
            chat_id,
            self.m.label(group, chat_id, title),
            now,
            len(present),
            tuple(strangers),
            tuple(unnamed),
            tuple(inactive),
            tuple(left_post),
            tuple(on_roster),
            tuple(unlisted),
        )

    def report_text(self, report: AuditReport) -> str:
        days = self.m.policy(report.platform, report.chat_id, None).inactive_after.days
        lines = [
            self.m.t(
                "members.audit_head",
                group=report.group,
                at=self.m.local(report.at),
                members=report.members,
            )
        ]
        sections = (
            ("strangers", report.strangers),
            ("unnamed", report.unnamed),
            ("inactive", report.inactive),
            ("left_post", report.left_post),
        )
        for key, items in sections:
            lines.append(self.m.t(f"members.audit_{key}", count=len(items), days=days))
            for item in items[:30]:  # the attachment has every line; a chat message stays short
                lines.append(f"  · {item.nickname}" + (f"（{item.detail}）" if item.detail else ""))
            if len(items) > 30:
                lines.append(self.m.t("members.audit_more", count=len(items) - 30))
        lines.append(self.m.t("members.audit_actions"))
        return "\n".join(lines)

    async def send_report(self, report: AuditReport, group: RegistryRow | None) -> list[str]:
        """To the admins and the responsible person, privately; the xlsx where the platform
        can send files."""
        from bot.workflows.members.export import audit_workbook

        text = self.report_text(report)
        told = await self.m.messenger.notify_admins(report.platform, report.chat_id, text)
        reached = [(report.platform, t) for t in told if not t.startswith("group:")]
        if group is not None and group.responsible:
            person = await self.m.directory.person(group.responsible)
            for account in person.accounts if person else ():
                # The responsible person is often an admin too: one report, not two.
                if account not in reached and await self.m.messenger.private(*account, text):
                    reached.append(account)
                    told.append(":".join(account))
        data = audit_workbook(report, self.m.t)
        name = f"members-{report.at.astimezone(self.m.settings.zone):%Y%m%d}.xlsx"
        for platform, where in reached or [(report.platform, report.chat_id)]:
            send_file = getattr(self.m.adapter_for(platform), "send_file", None)
            if send_file is None:
                continue  # a platform that cannot send files gets the message alone
            try:
                await send_file(where, name, data, self.m.t("members.audit_file"))
            except PlatformError as exc:
                log.info("could not send the audit file to %s: %s", where, exc)
        return told

    # ------------------------------------------------------------------ schedule
    def next_audit(self, policy: GroupMembersPolicy, after: datetime) -> datetime | None:
        if policy.audit == "off":
            return None
        zone = self.m.settings.zone
        local = after.astimezone(zone)
        at = policy.audit_time
        if policy.audit == "weekly":
            ahead = (policy.audit_day - 1 - local.weekday()) % 7
            candidate = (local + timedelta(days=ahead)).replace(
                hour=at.hour, minute=at.minute, second=0, microsecond=0
            )
            if candidate <= local:
                candidate += timedelta(days=7)
            return candidate
        candidate = local.replace(
            day=policy.audit_day, hour=at.hour, minute=at.minute, second=0, microsecond=0
        )
        if candidate <= local:
            year, month = (
                (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            )
            candidate = candidate.replace(year=year, month=month)
        return candidate

    async def start(self) -> None:
        """Arm the audit of every known group that has none armed (a restart re-arms nothing
        that is already waiting)."""
        if not self.m.cfg.enabled:
            return
        groups = await self.m.store.read(lambda r: DirectoryRepository(r.c).groups())
        armed = await self.m.store.read(lambda r: r.armed_timers())
        self._scheduled.update((t.platform, t.chat_id) for t in armed if t.kind == AUDIT)
        now = self.m.clock.now()
        planned: list[tuple[str, str, datetime]] = []
        for group in groups:
            key = (group.platform, group.chat_id)
            if key in self._scheduled or group.chat_id.startswith("private:"):
                continue
            self._scheduled.add(key)
            if group.service_stopped_at is not None:
                continue
            due = self.next_audit(self.m.policy(group.platform, group.chat_id, group), now)
            if due is not None:
                planned.append((group.platform, group.chat_id, due))

        async def arm(repo: Repository) -> None:
            # One transaction for every group (2,000 groups: one commit at the first start).
            for platform, chat_id, due in planned:
                await repo.arm_timer(AUDIT, platform, chat_id, None, due, now, replace=False)

        await self.m.store.write(arm)

    async def ensure_schedule(
        self, platform: str, chat_id: str, group: RegistryRow | None = None
    ) -> None:
        key = (platform, chat_id)
        if key in self._scheduled or chat_id.startswith("private:"):
            return
        self._scheduled.add(key)
        armed = await self.m.store.read(lambda r: r.armed_timers(kind=AUDIT, chat=key))
        if armed:
            return
        group = group or await self.m.group(platform, chat_id)
        if group is None or group.service_stopped_at is not None:
            return
        due = self.next_audit(self.m.policy(platform, chat_id, group), self.m.clock.now())
        if due is not None:
            now = self.m.clock.now()
            await self.m.store.write(
                lambda r: r.arm_timer(AUDIT, platform, chat_id, None, due, now)
            )

    async def audit_due(self, due: TimerDue) -> None:
        group = await self.m.group(due.platform, due.chat_id)
        if group is not None and group.service_stopped_at is None:
            report = await self.audit(due.platform, due.chat_id)
            told = await self.send_report(report, group)
            await self.m.journal(
                "audit_sent",
                due.platform,
                due.chat_id,
                "bot",
                params=counts(report) | {"told": told, "scheduled": True},
                article=ARTICLE,
            )
            policy = self.m.policy(due.platform, due.chat_id, group)
            following = self.next_audit(policy, self.m.clock.now())
            if following is not None:
                now = self.m.clock.now()
                await self.m.store.write(
                    lambda r: r.arm_timer(AUDIT, due.platform, due.chat_id, None, following, now)
                )


def counts(report: AuditReport) -> dict[str, int]:
    return {
        "members": report.members,
        "strangers": len(report.strangers),
        "unnamed": len(report.unnamed),
        "inactive": len(report.inactive),
        "left_post": len(report.left_post),
    }
