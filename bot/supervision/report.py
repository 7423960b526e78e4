"""The figures of a supervision report (L3; R1 Art.15 督查考核, R2 Art.18 绩效考核).

``gather`` reads one period of the record and counts, per unit, per group, per category and
per week. Definitions (the README repeats them for readers of the report):

- a *detection* is one decision of the bot (``actor = bot``; one decision may carry several
  actions), counted once, in the category of its rule;
- an *action* is one intended measure (delete, warn, mute, remove, blacklist, escalate, …),
  the bot's or an admin's; "record" rows (a detection with nothing to do) are not actions;
- an *escalation* is one message to one supervisor; *answered* when a supervisor responded,
  the response time running from the escalation to the first answer;
- a *refusal* is a recorded refusal of a command or a button press (outcome or category
  "refused");
- a *false positive* is a "false positive" answer given in the period: a supervisor's to an
  escalation, or an admin's dismissing a review of the classifier's;
- an escalation's tier 0 rows (reviews sent to a group's admins) are not escalations;
- *member-audit findings* are detections about members themselves (nickname not real-name,
  a blacklisted person joining);
- *incidents* are public-opinion incidents opened in the period.

Reports carry no member names or ids; free text (summaries) is masked (rules/masking.py).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import Settings
from bot.names import Names, load_names
from rules.masking import mask_pii
from storage import journal
from storage.models import Escalation, EscalationResponse, Incident
from storage.repository import Repository

MEMBER_FINDINGS = frozenset({"nickname", "blacklist"})
# Rows that journal someone's answer under the decision it answers (an admin's review
# verdict): records, not measures taken.
ANSWER_KINDS = frozenset({"review_answer"})
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in the configured zone; ``label`` as typed (2026-11, 2026-Q4, a range)."""

    label: str
    start: datetime
    end: datetime


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(
        f"{year:04d}-{month:02d}",
        datetime.combine(first, time(), zone),
        datetime.combine(following, time(), zone),
    )


def parse_period(
    text: str | None, start: str | None, end: str | None, zone: ZoneInfo, today: date
) -> Period:
    """``2026-11`` (a month), ``2026-Q4`` (a quarter), or ``--from``/``--to`` dates (``to``
    inclusive); nothing at all means last month. Raises ValueError with the reason."""
    if text and (start or end):
        raise ValueError("give --period or --from/--to, not both")
    if start or end:
        if not (start and end):
            raise ValueError("--from and --to go together")
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        if last < first:
            raise ValueError(f"--to {end} is before --from {start}")
        return Period(
            f"{first.isoformat()}..{last.isoformat()}",
            datetime.combine(first, time(), zone),
            datetime.combine(last + timedelta(days=1), time(), zone),
        )
    if not text:
        last_month = today.replace(day=1) - timedelta(days=1)
        return month_period(last_month.year, last_month.month, zone)
    if match := _MONTH.fullmatch(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{text}: no month {month}")
        return month_period(year, month, zone)
    if match := _QUARTER.fullmatch(text):
        year, quarter = int(match[1]), int(match[2])
        begin = month_period(year, quarter * 3 - 2, zone)
        finish = month_period(year, quarter * 3, zone)
        return Period(text, begin.start, finish.end)
    raise ValueError(f"{text!r} is not a period (e.g. 2026-11 or 2026-Q4)")


@dataclass(slots=True)
class Counts:
    detections: int = 0
    actions: int = 0
    escalations: int = 0
    answered: int = 0
    refusals: int = 0
    false_positives: int = 0
    member_findings: int = 0
    incidents: int = 0
    major: int = 0

    FIELDS = (
        "detections",
        "actions",
        "escalations",
        "answered",
        "refusals",
        "false_positives",
        "member_findings",
        "incidents",
        "major",
    )

    def as_row(self) -> list[int]:
        return [getattr(self, f) for f in self.FIELDS]


@dataclass(frozen=True, slots=True)
class GroupLine:
    unit: str
    group: str
    platform: str
    chat_id: str
    registered: bool
    counts: Counts


@dataclass(frozen=True, slots=True)
class EscalationLine:
    id: int
    at: datetime
    group: str
    tier: int
    category: str
    article: str
    response: str | None
    minutes: float | None
    summary: str


@dataclass(frozen=True, slots=True)
class IncidentLine:
    id: int
    at: datetime
    group: str
    unit: str
    stage: str
    major: bool
    summary: str


@dataclass(slots=True)
class ReportData:
    period: Period
    scope: str | None  # the unit, or None for every unit
    generated_at: datetime
    head: journal.Head
    totals: Counts = field(default_factory=Counts)
    units: dict[str, Counts] = field(default_factory=dict)
    groups: list[GroupLine] = field(default_factory=list)
    categories: dict[str, list[int]] = field(default_factory=dict)  # [detections, actions]
    weeks: dict[str, list[int]] = field(default_factory=dict)  # [detections, actions]
    kinds: Counter[str] = field(default_factory=Counter)
    articles: Counter[str] = field(default_factory=Counter)
    escalations: list[EscalationLine] = field(default_factory=list)
    incidents: list[IncidentLine] = field(default_factory=list)

    @property
    def median_response_minutes(self) -> float | None:
        minutes = [e.minutes for e in self.escalations if e.minutes is not None]
        return round(statistics.median(minutes), 1) if minutes else None


def week_label(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone).date()
    monday = local - timedelta(days=local.weekday())
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d} ({monday:%m-%d})"


def _weeks(period: Period, zone: ZoneInfo) -> list[str]:
    labels, day = [], period.start
    while day < period.end:
        label = week_label(day, zone)
        if label not in labels:
            labels.append(label)
        day += timedelta(days=1)
    return labels


async def gather(
    repo: Repository,
    settings: Settings,
    period: Period,
    *,
    unit: str | None = None,
    chats: Iterable[str] = (),
    now: datetime,
    unknown_unit: str = "-",
) -> ReportData:
    """The figures of ``period``; groups no config entry names count under ``unknown_unit``."""
    zone = settings.zone
    names = await load_names(repo, settings)
    wanted_chats = set(chats)

    def in_scope(platform: str, chat_id: str) -> bool:
        if wanted_chats and chat_id not in wanted_chats:
            return False
        return unit is None or names.unit(platform, chat_id, "") == unit

    data = ReportData(period, unit, now, await journal.head(repo.c))
    data.weeks = {label: [0, 0] for label in _weeks(period, zone)}
    groups: dict[tuple[str, str], Counts] = {}

    def counts_for(platform: str, chat_id: str) -> list[Counts]:
        key = (platform, chat_id)
        group = groups.setdefault(key, Counts())
        unit_name = names.unit(platform, chat_id, unknown_unit)
        return [data.totals, data.units.setdefault(unit_name, Counts()), group]

    for g in settings.groups:  # registered groups appear even in a quiet month
        if in_scope(g.platform, g.chat_id):
            counts_for(g.platform, g.chat_id)

    actions = await repo.audit(since=period.start, until=period.end, limit=10**9)
    decided: set[str] = set()
    for row in actions:
        platform, chat_id = row["platform"], row["chat_id"]
        if not in_scope(platform, chat_id):
            continue
        targets = counts_for(platform, chat_id)
        category, week = row["category"], week_label(row["at"], zone)
        # Refused commands are journaled as commands with outcome "refused"; refused button
        # presses and verbs under the category "refused".
        if category == "refused" or row["outcome"] == "refused":
            for c in targets:
                c.refusals += 1
            continue
        if row["decision_id"] == "-" or row["kind"] in ANSWER_KINDS:
            continue  # a journaled note (a member's /report) or an answer, not a measure
        if row["kind"] != "record":
            data.kinds[row["kind"]] += 1
            data.categories.setdefault(category, [0, 0])[1] += 1
            data.weeks.setdefault(week, [0, 0])[1] += 1
            for c in targets:
                c.actions += 1
        if row["actor"] == "bot" and row["decision_id"] not in decided:
            decided.add(row["decision_id"])
            data.categories.setdefault(category, [0, 0])[0] += 1
            data.weeks.setdefault(week, [0, 0])[0] += 1
            data.articles[row["article"]] += 1
            for c in targets:
                c.detections += 1
                if category in MEMBER_FINDINGS:
                    c.member_findings += 1

    scope = _Scope(names, period, in_scope, counts_for, unknown_unit)
    await _escalations(repo, data, scope)
    await _incidents(repo, data, scope)
    registered = {(g.platform, g.chat_id) for g in settings.groups}
    data.groups = sorted(
        (
            GroupLine(
                names.unit(p, c, unknown_unit),
                names.group(p, c),
                p,
                c,
                (p, c) in registered,
                counts,
            )
            for (p, c), counts in groups.items()
        ),
        key=lambda line: (line.unit, line.group),
    )
    data.units = dict(sorted(data.units.items()))
    return data


@dataclass(frozen=True, slots=True)
class _Scope:
    """What the per-table passes share: the names, the filter, and where counts go."""

    names: Names
    period: Period
    includes: Callable[[str, str], bool]
    counts_for: Callable[[str, str], list[Counts]]
    unknown_unit: str


async def _escalations(repo: Repository, data: ReportData, scope: _Scope) -> None:
    names, in_scope, counts_for, period = (
        scope.names,
        scope.includes,
        scope.counts_for,
        scope.period,
    )
    rows = (
        await repo.c.execute(
            select(Escalation)
            .where(
                Escalation.at >= period.start,
                Escalation.at < period.end,
                # Tier 0 rows are the classifier's reviews, sent to a group's admins.
                Escalation.tier >= 1,
            )
            .order_by(Escalation.id)
        )
    ).all()
    responses: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    answers = await repo.c.execute(
        select(
            EscalationResponse.escalation_id, EscalationResponse.response, EscalationResponse.at
        ).order_by(EscalationResponse.id)
    )
    for escalation_id, response, at in answers.all():
        responses[escalation_id].append((response, at))
    scoped: dict[int, tuple[str, str]] = {}
    for r in rows:
        e = r._mapping
        if not in_scope(e["platform"], e["chat_id"]):
            continue
        scoped[e["id"]] = (e["platform"], e["chat_id"])
        first = responses[e["id"]][0] if responses[e["id"]] else None
        minutes = None
        if first is not None:
            minutes = round((first[1] - e["at"]).total_seconds() / 60, 1)
        for c in counts_for(e["platform"], e["chat_id"]):
            c.escalations += 1
            c.answered += first is not None
        data.escalations.append(
            EscalationLine(
                e["id"],
                e["at"],
                names.group(e["platform"], e["chat_id"]),
                e["tier"],
                e["category"],
                e["article"],
                first[0] if first else None,
                minutes,
                mask_pii(e["summary"]),
            )
        )
    # A false positive counts in the period it was marked, wherever its escalation fell.
    marked = await repo.c.execute(
        select(Escalation.platform, Escalation.chat_id)
        .join(EscalationResponse, EscalationResponse.escalation_id == Escalation.id)
        .where(
            EscalationResponse.response == "false_positive",
            EscalationResponse.at >= period.start,
            EscalationResponse.at < period.end,
        )
    )
    for platform, chat_id in marked.all():
        if in_scope(platform, chat_id):
            for c in counts_for(platform, chat_id):
                c.false_positives += 1


async def _incidents(repo: Repository, data: ReportData, scope: _Scope) -> None:
    names, in_scope, counts_for, period = (
        scope.names,
        scope.includes,
        scope.counts_for,
        scope.period,
    )
    rows = await repo.c.execute(
        select(Incident)
        .where(Incident.opened_at >= period.start, Incident.opened_at < period.end)
        .order_by(Incident.id)
    )
    for r in rows.all():
        i = r._mapping
        if not in_scope(i["platform"], i["chat_id"]):
            continue
        for c in counts_for(i["platform"], i["chat_id"]):
            c.incidents += 1
            c.major += bool(i["major"])
        data.incidents.append(
            IncidentLine(
                i["id"],
                i["opened_at"],
                names.group(i["platform"], i["chat_id"]),
                names.unit(i["platform"], i["chat_id"], scope.unknown_unit),
                i["stage"],
                bool(i["major"]),
                mask_pii(i["summary"]),
            )
        )
