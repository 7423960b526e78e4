"""Configuration: YAML validated by pydantic, with errors that name the key and the line.

Secrets never live in the file: each secret setting names an environment variable
(``token_env``, ``url_env``) and is read from the environment at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
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

from rules.policy import Duration, EscalationTarget, GroupPolicy

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///groupguard.db"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL
    # When this variable is set it wins over ``url`` (PostgreSQL passwords stay out of files).
    url_env: str = "GROUPGUARD_DATABASE_URL"
    retry_for: Duration = timedelta(seconds=60)

    def resolved_url(self) -> str:
        return os.environ.get(self.url_env) or self.url


class AdminEntry(_Section):
    platform: str
    user_id: str
    name: str | None = None


class GroupSettings(_Section):
    """A managed group (G1): owning unit, responsible person, its admins and policy overrides."""

    platform: str
    chat_id: str
    name: str | None = None
    unit: str | None = None
    responsible: str | None = None
    admins: tuple[str, ...] = ()  # user ids entitled to admin commands in this group
    rules_text: str | None = None
    policy: dict[str, Any] = Field(default_factory=dict)  # same keys as the top-level policy


class QuietWindow(_Section):
    """A scheduled whole-group mute (全员禁言) for holidays and special periods (A6)."""

    start: str  # ISO date-time, e.g. 2026-10-01T00:00+08:00
    end: str
    chats: tuple[str, ...] = ()  # chat ids; empty = every managed group
    platform: str | None = None


class EscalationSettings(_Section):
    """Supervisors by tier (L2): e.g. tier 1 分管负责人; tier 2 党工委 / 派出所 / 网信办."""

    tiers: dict[int, tuple[EscalationTarget, ...]] = Field(default_factory=dict)


class Settings(_Section):
    _group_policies: dict[tuple[str, str], GroupPolicy] = PrivateAttr(default_factory=dict)
    language: Literal["zh-CN", "en"] = "zh-CN"
    # Times shown to people (deadlines, mute ends) and typed by admins (/quiet 22:00).
    timezone: str = "Asia/Shanghai"
    database: DatabaseSettings = DatabaseSettings()
    admins: tuple[AdminEntry, ...] = ()  # entitled in every managed group
    groups: tuple[GroupSettings, ...] = ()
    policy: GroupPolicy = GroupPolicy()
    escalation: EscalationSettings = EscalationSettings()
    quiet_schedule: tuple[QuietWindow, ...] = ()
    lexicon_dirs: tuple[Path, ...] = ()  # extend or replace the shipped lexicons
    builtin_lexicons: bool = True
    # Each registered platform's own section (``telegram:``, ``wechat:`` at the top level of
    # the file), validated by that platform's model: the core never names a platform.
    platforms: dict[str, Any] = Field(default_factory=dict)
    # Reminders delete themselves after this long, where the platform lets the bot do so.
    reminder_delete_after: Duration = timedelta(minutes=10)
    # How long a group's admin list read from the platform is trusted.
    admin_cache_ttl: Duration = timedelta(minutes=10)
    dry_run: bool = False  # decide and record, but never call the platform
    timer_poll: Duration = timedelta(seconds=1)

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
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai, UTC)") from None
        return value

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
        for index, group in enumerate(self.groups):
            if not group.policy:
                continue
            merged = _deep_merge(self.policy.model_dump(mode="python"), group.policy)
            try:
                resolved[(group.platform, group.chat_id)] = GroupPolicy.model_validate(merged)
            except ValidationError as exc:
                first = exc.errors()[0]
                path = ".".join(str(p) for p in ("groups", index, "policy", *first["loc"]))
                raise ValueError(f"{path}: {first['msg'].removeprefix('Value error, ')}") from None
        self._group_policies = resolved
        return self

    def policy_for(self, platform: str, chat_id: str) -> GroupPolicy:
        """The group's policy: the top-level policy with the group's overrides applied."""
        return self._group_policies.get((platform, chat_id), self.policy)

    def group(self, platform: str, chat_id: str) -> GroupSettings | None:
        for group in self.groups:
            if group.platform == platform and group.chat_id == chat_id:
                return group
        return None


_KEYED_MESSAGE = re.compile(r"^(?P<key>[\w]+(?:\.[\w]+)+): (?P<rest>.*)$", re.S)


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


def parse_settings(text: str, source: str = "<config>") -> Settings:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "unknown line"
        raise ConfigError(
            source, [f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, ["line 1: the top level must be a mapping of settings"])
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    try:
        return Settings.model_validate(data)
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
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    return parse_settings(text, str(path))


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
