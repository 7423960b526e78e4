"""Configuration: YAML validated by pydantic, with errors that name the key and the line.

Secrets never live in the file: each secret setting names an environment variable
(``token_env``, ``url_env``) and is read from the environment at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.governance_settings import DirectorySettings, GovernanceSettings
from bot.instance_settings import InstanceSettings
from bot.members_settings import MembersSettings
from bot.web_settings import WebSettings
from rules.policy import Duration, EscalationTarget, GroupPolicy, _identifier, _identifiers

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///groupguard.db"
# Tiers 1 and 2 are the regulation's (分管负责人; 党工委/派出所/网信办): the shipped ladders
# escalate to them, and a tier left empty is reported at start-up. Any other tier a ladder
# names must be configured under escalation.tiers.
STANDARD_TIERS = frozenset({1, 2})
MAX_TIER = 99
# The scheduler wakes this often; 0 would spin, hours would leave timers late.
TIMER_POLL_RANGE = (timedelta(milliseconds=50), timedelta(minutes=5))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL
    # When this variable is set it wins over ``url`` (PostgreSQL passwords stay out of files).
    url_env: str = "GROUPGUARD_DATABASE_URL"
    retry_for: Duration = timedelta(seconds=60)

    def resolved_url(self) -> str:
        return os.environ.get(self.url_env) or self.url

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def database_url_problem(url: str) -> str | None:
    """Why the bot could not open ``url``, or None: it must parse, name an asyncio driver
    (sqlite+aiosqlite, postgresql+asyncpg, …) and that driver must be installed. Nothing is
    connected to; the message never repeats a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return "not a database URL (e.g. sqlite+aiosqlite:///groupguard.db)"
    try:
        dialect = parsed.get_dialect().get_async_dialect_cls(parsed)
    except NoSuchModuleError:
        return (
            f"unknown database driver {parsed.drivername!r} "
            "(e.g. sqlite+aiosqlite, postgresql+asyncpg)"
        )
    except (ArgumentError, ValueError, TypeError):
        return "not a database URL (e.g. sqlite+aiosqlite:///groupguard.db)"
    except ImportError as exc:
        return f"the database driver for {parsed.drivername!r} is not installed ({exc.name})"
    if not getattr(dialect, "is_async", False):
        return (
            f"{parsed.drivername!r} is not an asyncio driver; use e.g. sqlite+aiosqlite:// "
            "or postgresql+asyncpg://"
        )
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        return f"the database driver for {parsed.drivername!r} is not installed ({exc.name})"
    return None


class AdminEntry(_Section):
    platform: str
    user_id: str
    name: str | None = None

    @field_validator("user_id", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return _identifier(value)


class GroupSettings(_Section):
    """A managed group (G1): owning unit, responsible person, its admins and policy overrides.
    It seeds the group registry; filings change the registry afterwards."""

    # ``class`` is the word the regulation's form uses; it is a keyword in Python.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    platform: str
    chat_id: str
    name: str | None = None
    unit: str | None = None
    responsible: str | None = None
    admins: tuple[str, ...] = ()  # user ids entitled to admin commands in this group
    rules_text: str | None = None
    group_class: Literal["internal", "external"] = Field("internal", alias="class")
    ends: date | None = None  # a temporary group's last day (R2 Art.10), e.g. 2026-12-20
    member_cap: int | None = None
    # A group listed here was filed on paper before the bot; say ``unfiled`` if it was not.
    filing: Literal["filed", "unfiled"] = "filed"
    policy: dict[str, Any] = Field(default_factory=dict)  # same keys as the top-level policy

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return _identifier(value)

    @field_validator("admins", mode="before")
    @classmethod
    def _text_ids(cls, value: object) -> object:
        return _identifiers(value)


class QuietWindow(_Section):
    """A scheduled whole-group mute (全员禁言) for holidays and special periods (A6)."""

    start: str  # ISO date-time, e.g. 2026-10-01T00:00+08:00
    end: str
    chats: tuple[str, ...] = ()  # chat ids; empty = every managed group
    platform: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso_datetime(cls, value: object) -> object:
        # YAML reads an unquoted 2026-10-01 as a date and 2026-10-01 08:00 as a datetime.
        if isinstance(value, datetime):
            return value.isoformat()
        if hasattr(value, "isoformat") and not isinstance(value, str):
            return value.isoformat()  # a date: midnight of that day
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a date-time (use e.g. 2026-10-01T00:00 or "
                    "2026-10-01T00:00+08:00)"
                ) from None
        return value

    @field_validator("chats", mode="before")
    @classmethod
    def _text_ids(cls, value: object) -> object:
        return _identifiers(value)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Start and end as aware times; a time without a zone is read in ``zone``."""
        start, end = datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)
        return (
            start if start.tzinfo else start.replace(tzinfo=zone),
            end if end.tzinfo else end.replace(tzinfo=zone),
        )


class EscalationSettings(_Section):
    """Supervisors by tier (L2): e.g. tier 1 分管负责人; tier 2 党工委 / 派出所 / 网信办."""

    tiers: dict[int, tuple[EscalationTarget, ...]] = Field(default_factory=dict)

    @field_validator("tiers")
    @classmethod
    def _positive_tiers(
        cls, tiers: dict[int, tuple[EscalationTarget, ...]]
    ) -> dict[int, tuple[EscalationTarget, ...]]:
        for tier in tiers:
            if not 1 <= tier <= MAX_TIER:
                raise ValueError(f"tier {tier} is not a tier number (1..{MAX_TIER})")
        return tiers


class IncidentSettings(_Section):
    """Public-opinion incidents (A5; R2 Art.18-20, R1 Art.10)."""

    # Open an incident when a message carries a public-opinion risk signal (rules/opinion).
    auto_open: bool = True
    # The proposed handling (处置意见) goes to 分管主任 at once (R2 Art.19) ...
    proposal_tier: int = Field(default=1, ge=1, le=MAX_TIER)
    # ... and a 重大舆情风险 to the cyberspace office (R1 Art.10).
    major_tier: int = Field(default=2, ge=1, le=MAX_TIER)
    # Further signals in the same group within this time join the open incident.
    merge_within: Duration = timedelta(hours=1)


class ReportSchedule(_Section):
    """One scheduled report: who gets it (a tier's supervisors), how often, for which unit."""

    tier: int = Field(ge=1, le=MAX_TIER)
    every: Literal["month", "quarter"] = "month"
    unit: str | None = None  # only this unit's groups; None = every unit
    format: Literal["xlsx", "html", "csv"] = "xlsx"


class SupervisionSettings(_Section):
    incidents: IncidentSettings = IncidentSettings()
    # Sent on the first day of each period at ``report_time`` (configured zone), for the
    # period just ended.
    reports: tuple[ReportSchedule, ...] = (ReportSchedule(tier=1), ReportSchedule(tier=2))
    report_time: str = Field(default="09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Where report files are kept when the platform cannot send documents.
    report_dir: Path = Path("reports")


class DetectionSettings(_Section):
    """The statistical classifier and the detector's switches (docs/detection.md, round 4)."""

    # true: the shipped COLD classifier; false: none; or the path of another model file.
    model: bool | Path = True
    # A model-only hit at or above ``model_high`` is acted on like a lexicon hit; between
    # ``model_review`` and ``model_high`` it goes to the group's admins for review and nothing
    # is done to the member. Empty: the thresholds chosen on COLD dev (0.90 and 0.96).
    model_review: float | None = Field(default=None, gt=0, lt=1)
    model_high: float | None = Field(default=None, gt=0, le=1)
    model_min_chars: int = Field(default=4, ge=1, le=1000)
    # The work-chat model (round 7): true: the shipped one; false: none; or a model file path.
    # Its thresholds work like the classifier's; empty: the ones chosen out of fold at training.
    workchat: bool | Path = True
    workchat_review: float | None = Field(default=None, gt=0, lt=1)
    workchat_high: float | None = Field(default=None, gt=0, le=1)
    # Links to these domains (and their subdomains) are never advertising.
    trusted_domains: tuple[str, ...] = ("gov.cn",)
    # A member's own work phone or e-mail (联系我 138…) is not a privacy offence.
    own_contact_ok: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> DetectionSettings:
        if (
            self.model_review is not None
            and self.model_high is not None
            and self.model_review > self.model_high
        ):
            raise ValueError("model_review must not be above model_high")
        if (
            self.workchat_review is not None
            and self.workchat_high is not None
            and self.workchat_review > self.workchat_high
        ):
            raise ValueError("workchat_review must not be above workchat_high")
        for key in ("model", "workchat"):
            value = getattr(self, key)
            if isinstance(value, Path) and not value.is_file():
                raise ValueError(f"{key}: no such file {value}")
        return self

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``Detector.load``."""
        from rules.detection.detector import MODEL_PATH
        from rules.detection.workchat import WORKCHAT_PATH

        def chosen(value: bool | Path, shipped: Path) -> Path | None:
            return shipped if value is True else (None if value is False else value)

        return {
            "model": chosen(self.model, MODEL_PATH),
            "model_review": self.model_review,
            "model_high": self.model_high,
            "model_min_chars": self.model_min_chars,
            "workchat": chosen(self.workchat, WORKCHAT_PATH),
            "workchat_review": self.workchat_review,
            "workchat_high": self.workchat_high,
            "trusted_domains": self.trusted_domains,
            "own_contact_ok": self.own_contact_ok,
        }


class ObservabilitySettings(_Section):
    """The operators' side (issue 16): Prometheus ``/metrics``, ``/healthz`` and ``/readyz`` on
    a small HTTP server of its own, and the log format. docs/metrics.md lists the series."""

    host: str = "127.0.0.1"  # loopback: metrics name platforms and rules, not for the internet
    # None: no server (the default; a console session needs none). 9464 is Prometheus's
    # registered port for exporters of this kind.
    port: int | None = Field(default=None, ge=0, le=65535)
    json_logs: bool = False  # one JSON object per log line, for a log shipper
    # /readyz fails when the database has not answered a trivial query within this long.
    ready_timeout: Duration = timedelta(seconds=2)


class Settings(_Section):
    _group_policies: dict[tuple[str, str], GroupPolicy] = PrivateAttr(default_factory=dict)
    # Built once at load: the per-message path looks a group up instead of scanning the list
    # (2,000 configured groups: 3 µs instead of 55 µs per look-up).
    _groups_by_key: dict[tuple[str, str], GroupSettings] = PrivateAttr(default_factory=dict)
    language: Literal["zh-CN", "en"] = "zh-CN"
    # Times shown to people (deadlines, mute ends) and typed by admins (/quiet 22:00).
    timezone: str = "Asia/Shanghai"
    database: DatabaseSettings = DatabaseSettings()
    admins: tuple[AdminEntry, ...] = ()  # entitled in every managed group
    groups: tuple[GroupSettings, ...] = ()
    directory: DirectorySettings = DirectorySettings()
    governance: GovernanceSettings = GovernanceSettings()
    members: MembersSettings = MembersSettings()
    instance: InstanceSettings = InstanceSettings()
    policy: GroupPolicy = GroupPolicy()
    escalation: EscalationSettings = EscalationSettings()
    quiet_schedule: tuple[QuietWindow, ...] = ()
    supervision: SupervisionSettings = SupervisionSettings()
    lexicon_dirs: tuple[Path, ...] = ()  # extend or replace the shipped lexicons
    builtin_lexicons: bool = True
    detection: DetectionSettings = DetectionSettings()
    # The supervisors' web console served by ``groupguard run`` beside the bot.
    web: WebSettings = WebSettings()
    # Each registered platform's own section (``telegram:``, ``wechat:`` at the top level of
    # the file), validated by that platform's model: the core never names a platform.
    platforms: dict[str, Any] = Field(default_factory=dict)
    # Reminders delete themselves after this long, where the platform lets the bot do so.
    reminder_delete_after: Duration = timedelta(minutes=10)
    # How long a group's admin list read from the platform is trusted.
    admin_cache_ttl: Duration = timedelta(minutes=10)
    dry_run: bool = False  # decide and record, but never call the platform
    timer_poll: Duration = timedelta(seconds=1)
    observability: ObservabilitySettings = ObservabilitySettings()

    @model_validator(mode="before")
    @classmethod
    def _collect_platform_sections(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        known = _platforms(info)
        data = dict(data)
        sections = dict(data.get("platforms") or {})
        for name in known:
            if name in data:
                sections[name] = data.pop(name)
        data["platforms"] = sections
        return data

    @model_validator(mode="after")
    def _validate_platforms(self, info: ValidationInfo) -> Settings:
        known = _platforms(info)
        sections: dict[str, Any] = {}
        for name in self.platforms:
            if name not in known:
                raise ValueError(
                    f"platforms.{name}: unknown platform; known: {', '.join(sorted(known))}"
                )
        for name, platform in known.items():
            raw = self.platforms.get(name)
            if isinstance(raw, platform.settings_model):
                sections[name] = raw
                continue
            try:
                sections[name] = platform.settings_model.model_validate(raw or {})
            except ValidationError as exc:
                first = exc.errors()[0]
                path = ".".join(str(p) for p in (name, *first["loc"]))
                raise ValueError(f"{path}: {first['msg'].removeprefix('Value error, ')}") from None
        object.__setattr__(self, "platforms", sections)
        self._check_platform_names(known)
        return self

    def _check_platform_names(self, known: Mapping[str, Any]) -> None:
        """Every ``platform:`` the file names must be an installed platform (``qq`` before its
        adapter exists is a typo-class error, not a silently ignored group)."""
        named: list[tuple[str, str]] = [
            (f"admins.{i}.platform", a.platform) for i, a in enumerate(self.admins)
        ]
        named += [(f"groups.{i}.platform", g.platform) for i, g in enumerate(self.groups)]
        named += [
            (f"escalation.tiers.{tier}.{i}.platform", t.platform)
            for tier, targets in self.escalation.tiers.items()
            for i, t in enumerate(targets)
        ]
        named += [
            (f"quiet_schedule.{i}.platform", w.platform)
            for i, w in enumerate(self.quiet_schedule)
            if w.platform is not None
        ]
        for key, name in named:
            if name not in known:
                raise ValueError(
                    f"{key}: unknown platform {name!r}; installed: {', '.join(sorted(known))}"
                )

    def section(self, platform: str) -> Any:
        """The validated config section of a registered platform."""
        return self.platforms[platform]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai, UTC)") from None
        return value

    @field_validator("timer_poll")
    @classmethod
    def _sensible_poll(cls, value: timedelta) -> timedelta:
        low, high = TIMER_POLL_RANGE
        if not low <= value <= high:
            raise ValueError(
                f"timer_poll must be between {low.total_seconds():g}s and "
                f"{high.total_seconds():g}s, not {value.total_seconds():g}s"
            )
        return value

    @model_validator(mode="after")
    def _lexicons_load(self) -> Settings:
        # Start-up builds the detector from these folders; a broken file there (checks.toml
        # that is not TOML, a term file that is not UTF-8) must fail here, not at start-up.
        present = tuple(str(d) for d in self.lexicon_dirs if d.is_dir())
        if present and (problem := _lexicon_problem(present, self.builtin_lexicons)):
            for index, directory in enumerate(self.lexicon_dirs):  # which folder it is in
                if str(directory) in present and (
                    alone := _lexicon_problem((str(directory),), self.builtin_lexicons)
                ):
                    raise ValueError(f"lexicon_dirs.{index}: {alone}")
            raise ValueError(f"lexicon_dirs: {problem}")
        return self

    @model_validator(mode="after")
    def _detects_something(self) -> Settings:
        if self.builtin_lexicons:
            return self
        if not self.lexicon_dirs:
            raise ValueError(
                "builtin_lexicons: builtin_lexicons is false and no lexicon_dirs are "
                "given, so nothing would be detected"
            )
        # With the built-in lexicons on, a folder may be created later (SIGHUP reloads it;
        # the detector warns meanwhile). Without them, each folder is all there is.
        for index, directory in enumerate(self.lexicon_dirs):
            if not directory.is_dir():
                raise ValueError(
                    f"lexicon_dirs.{index}: lexicon folder {str(directory)!r} does not exist "
                    "and builtin_lexicons is false"
                )
        if not any(any(Path(d).glob("*/*.txt")) for d in self.lexicon_dirs):
            raise ValueError(
                "lexicon_dirs.0: builtin_lexicons is false and no lexicon folder has a "
                "<category>/<kind>.txt term file, so nothing would be detected"
            )
        return self

    @model_validator(mode="after")
    def _quiet_windows_in_zone(self) -> Settings:
        # A date-time without a zone means the configured zone's wall clock, not UTC; the
        # windows are stored with their offset so every reader gets the same instant.
        zone, windows = self.zone, []
        for index, window in enumerate(self.quiet_schedule):
            start, end = window.bounds(zone)
            if end <= start:
                raise ValueError(
                    f"quiet_schedule.{index}.end: the window ends ({window.end}) before it "
                    f"starts ({window.start})"
                )
            windows.append(
                window.model_copy(update={"start": start.isoformat(), "end": end.isoformat()})
            )
        object.__setattr__(self, "quiet_schedule", tuple(windows))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, groups: tuple[GroupSettings, ...]) -> tuple[GroupSettings, ...]:
        seen: set[tuple[str, str]] = set()
        for group in groups:
            key = (group.platform, group.chat_id)
            if key in seen:
                raise ValueError(f"group {group.platform}:{group.chat_id} is listed twice")
            seen.add(key)
        return groups

    @model_validator(mode="after")
    def _resolve_group_policies(self) -> Settings:
        # Merged once here: a broken override stops start-up (not the first message in that
        # group), and the per-message path only looks the result up.
        resolved: dict[tuple[str, str], GroupPolicy] = {}
        base = self.policy.model_dump(mode="python")
        for index, group in enumerate(self.groups):
            by_class = self.governance.class_policy.get(group.group_class, {})
            if not group.policy and not by_class:
                continue
            merged = _deep_merge(_deep_merge(base, by_class), group.policy)
            try:
                resolved[(group.platform, group.chat_id)] = GroupPolicy.model_validate(merged)
            except ValidationError as exc:
                first = exc.errors()[0]
                path = ".".join(str(p) for p in ("groups", index, "policy", *first["loc"]))
                raise ValueError(f"{path}: {first['msg'].removeprefix('Value error, ')}") from None
        self._group_policies = resolved
        self._groups_by_key = {(g.platform, g.chat_id): g for g in self.groups}
        self._check_escalation_tiers()
        return self

    def unstaffed_tiers(self) -> list[int]:
        """Tiers some enabled ladder escalates to that have nobody to tell: start-up and
        /status warn about them, since such an escalation is recorded but reaches no one."""
        policies = [self.policy, *self._group_policies.values()]
        named = {
            tier
            for policy in policies
            for category in policy.categories.values()
            if category.enabled
            for tier in category.tiers()
        }
        return sorted(t for t in named if not self.escalation.tiers.get(t))

    def _check_escalation_tiers(self) -> None:
        allowed = STANDARD_TIERS | set(self.escalation.tiers)
        policies: list[tuple[str, GroupPolicy]] = [("policy", self.policy)]
        policies += [
            (f"groups.{i}.policy", self._group_policies[(g.platform, g.chat_id)])
            for i, g in enumerate(self.groups)
            if (g.platform, g.chat_id) in self._group_policies
        ]
        for prefix, policy in policies:
            for name, category in policy.categories.items():
                missing = sorted(category.tiers() - allowed)
                if missing:
                    raise ValueError(
                        f"{prefix}.categories.{name}.steps: escalate:{missing[0]} names tier "
                        f"{missing[0]}, but escalation.tiers configures only "
                        f"{', '.join(str(t) for t in sorted(allowed))}"
                    )

    def policy_for(self, platform: str, chat_id: str) -> GroupPolicy:
        """The group's policy: the top-level policy with the group's overrides applied."""
        return self._group_policies.get((platform, chat_id), self.policy)

    def group(self, platform: str, chat_id: str) -> GroupSettings | None:
        return self._groups_by_key.get((platform, chat_id))


_KEYED_MESSAGE = re.compile(r"^(?P<key>[\w]+(?:\.[\w]+)*): (?P<rest>.*)$", re.S)
# A config file is a few hundred values; these bounds stop hostile YAML (deep nesting,
# aliases that expand exponentially, "billion laughs") long before it costs anything.
MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_BYTES = 1_000_000


class _Int(int):
    """An int that remembers how the file spelled it (``-100123``, ``0123``), so an unquoted
    id keeps its text."""

    source: str


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(mark.line + 1, f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = _Int(self._scalar(super().construct_yaml_int, node, "number"))
        value.source = node.value
        return value

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        return self._scalar(super().construct_yaml_timestamp, node, "date")

    def _scalar(self, construct: Any, node: yaml.ScalarNode, what: str) -> Any:
        # PyYAML's resolver takes 2026-13-45 for a date and 10**5000 for an int, and then
        # its constructor raises a bare ValueError; give it the line.
        try:
            return construct(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value[:40]!r} is not a valid {what}: {exc}", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class _Refused(Exception):
    def __init__(self, line: int | None, reason: str) -> None:
        self.line, self.reason = line, reason


def _expanded_size(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand beyond MAX_NODES values, or refer to
    themselves; counted over distinct nodes, so the check itself stays linear."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _Refused(node.start_mark.line + 1, "an alias refers to the value it is in")
        open_.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
        open_.discard(key)
        if total > MAX_NODES:
            raise _Refused(
                node.start_mark.line + 1,
                f"more than {MAX_NODES} values once aliases are expanded",
            )
        sizes[key] = total
        return total

    size(root)


class ConfigError(Exception):
    """A config problem, with the key path and the line it is on."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: invalid configuration\n" + "\n".join(f"  {p}" for p in problems))


def _line_index(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            # pydantic reports integer keys (escalation tiers) as ints; index both spellings.
            keys: list[Any] = [key_node.value]
            if isinstance(key_node.value, str) and key_node.value.isdigit():
                keys.append(int(key_node.value))
            for key in keys:
                _line_index(value_node, (*path, key), out)
                out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_index(item, (*path, index), out)


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    # Walk back to the nearest ancestor present in the file (a missing key has no line).
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def parse_settings(text: str, source: str = "<config>") -> Settings:
    if len(text) > MAX_BYTES:
        raise ConfigError(source, [f"line 1: the file is larger than {MAX_BYTES} characters"])
    try:
        node, data = _read_yaml(text)
    except _Refused as exc:
        raise ConfigError(source, [f"line {exc.line or '?'}: not accepted: {exc.reason}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}"
        elif isinstance(exc, yaml.reader.ReaderError):
            where = f"line {text.count(chr(10), 0, exc.position) + 1}"
            char = (
                exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
            )
            exc.problem = f"the control character U+{char:04X} is not allowed in YAML"
        else:
            where = "line ?"
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(source, [f"{where}: not valid YAML: {problem}"]) from None
    except (RecursionError, ValueError, OverflowError) as exc:
        # The constructor rejects some scalars PyYAML's resolver accepted (a timestamp
        # 2026-13-45, a huge exponent); name the problem rather than crash.
        raise ConfigError(source, [f"line ?: not valid YAML: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, ["line 1: the top level must be a mapping of settings"])
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    try:
        return Settings.model_validate(data)
    except RecursionError:
        raise ConfigError(source, ["line ?: not accepted: values nested too deeply"]) from None
    except (TypeError, ArithmeticError) as exc:
        # A validator that met a shape it did not expect (a list where a mapping belongs):
        # still one line, never a traceback.
        raise ConfigError(source, [f"line ?: a setting has the wrong shape: {exc}"]) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(
                p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            message = error["msg"].removeprefix("Value error, ")
            if not loc and (inner := _KEYED_MESSAGE.match(message)):
                # A whole-model check (group policy overrides) names the key in its message.
                loc = tuple(int(p) if p.isdigit() else p for p in inner["key"].split("."))
                message = inner["rest"]
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_for(loc, lines)
            where = f"line {line}" if line else "line ?"
            problems.append(f"{where}: {key}: {message}")
        raise ConfigError(source, problems) from None


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            str(path),
            [f"line {line}: not UTF-8 text (byte {raw[exc.start]:#04x}); save the file as UTF-8"],
        ) from None
    return parse_settings(text, str(path))


@lru_cache(maxsize=16)
def _lexicon_problem(dirs: tuple[str, ...], builtin: bool) -> str | None:
    from rules.detection import Detector

    try:
        Detector.load([Path(d) for d in dirs], include_builtin=builtin)
    except Exception as exc:  # whatever a lexicon file makes the loader raise
        return f"cannot load the lexicons: {type(exc).__name__}: {exc}"
    return None


def _platforms(info: ValidationInfo) -> Mapping[str, Any]:
    """The registered platforms: from the validation context when the caller has them,
    otherwise discovered from the installed entry points."""
    if info.context and "platforms" in info.context:
        return info.context["platforms"]
    from bot.platforms import discover

    return discover()


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
