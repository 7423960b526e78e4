"""The member audit as the group page shows it: the same ``MemberAudit.audit`` the ``/members``
command and the schedule send (M5, R1 Art.4, 14), laid out per member — roster match,
real name, last message — with nicknames masked (李*-财务科) and no account ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.supervision.incidents_view import mask_name
from bot.workflows.members.audit import AuditReport

if TYPE_CHECKING:
    from collections.abc import Callable

SHOWN = 200  # members listed on the page; the counts cover everyone


@dataclass(frozen=True, slots=True)
class MemberLine:
    name: str  # masked
    match: str  # on_roster / directory / stranger / left_post / admin
    detail: str  # 调离 / 离职 for left_post
    named: bool  # the nickname follows the real-name pattern
    silent: str  # when last seen speaking, for the inactive; "" otherwise


@dataclass(frozen=True, slots=True)
class MemberAuditView:
    members: int
    findings: list[str]  # one line per finding, from the audit's own catalogue texts
    lines: list[MemberLine]


def member_view(report: AuditReport, t: Callable[..., str], inactive_days: int) -> MemberAuditView:
    strangers = {line.user_id for line in report.strangers}
    left = {line.user_id: line.detail for line in report.left_post}
    matched = {line.user_id: line.detail for line in report.on_roster}
    unnamed = {line.user_id for line in report.unnamed}
    silent = {line.user_id: line.detail for line in report.inactive}
    seen: dict[str, str] = {}
    everyone = (
        report.on_roster,
        report.strangers,
        report.left_post,
        report.admins_unlisted,
        report.unnamed,
        report.inactive,
    )
    for group in everyone:
        for line in group:
            seen.setdefault(line.user_id, line.nickname)

    def match(user_id: str) -> str:
        if user_id in strangers:
            return "stranger"
        if user_id in left:
            return "left_post"
        if user_id in matched:
            return "directory" if matched[user_id] == "directory" else "on_roster"
        return "admin"  # admins_unlisted: an admin the roster does not know, not flagged

    order = {"stranger": 0, "left_post": 1, "admin": 2, "directory": 3, "on_roster": 4}
    lines = sorted(
        (
            MemberLine(
                mask_name(nickname),
                match(user_id),
                left.get(user_id, ""),
                user_id not in unnamed,
                silent.get(user_id, ""),
            )
            for user_id, nickname in seen.items()
        ),
        key=lambda line: (order[line.match], line.name),
    )
    findings = [
        t(f"members.audit_{key}", count=len(items), days=inactive_days)
        for key, items in (
            ("strangers", report.strangers),
            ("unnamed", report.unnamed),
            ("inactive", report.inactive),
            ("left_post", report.left_post),
        )
    ]
    return MemberAuditView(report.members, findings, lines[:SHOWN])
