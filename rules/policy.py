"""A group's policy: the real-name rule's settings and the action ladder per category.

These pydantic models are the config boundary for everything the engine decides on; the
engine itself only reads them.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import timedelta
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rules.actions import Action, ActionKind, parse_action
from rules.detection.hits import CATEGORIES
from rules.durations import LIMIT, MAX_DURATION, MIN_DURATION, format_duration, parse_duration

SEVERITIES = ("info", "low", "medium", "high", "critical")
# The ladders a policy may define: the detector's categories, speaking while restricted, and
# flooding the group.
POLICY_CATEGORIES = (*CATEGORIES, "restricted", "flood")


def _duration(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a duration is text such as 30s, 10m, 2h, 3d, or a number of seconds")
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a duration (use e.g. 10m, 2h, 3d)")
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value})")
        if value > LIMIT.total_seconds():
            raise ValueError(f"duration {value}s is too long (at most {LIMIT.days}d)")
        return timedelta(seconds=value)
    if isinstance(value, timedelta) and not timedelta(0) <= value <= LIMIT:
        raise ValueError(f"duration {value} is outside 0s..{LIMIT.days}d")
    return value


def _actions(value: object) -> object:
    if isinstance(value, str):
        value = value.split(",") if value.strip() else []
    if isinstance(value, list):
        value = tuple(parse_action(v) if isinstance(v, str) else v for v in value)
        for action in value:
            # A restriction outside 30s..366d is permanent on Telegram: never by configuration.
            if (
                isinstance(action, Action)
                and action.kind is ActionKind.MUTE
                and action.duration is not None
                and not MIN_DURATION <= action.duration <= MAX_DURATION
            ):
                raise ValueError(f"mute:{format_duration(action.duration)} is outside 30s..366d")
    return value


def _identifier(value: object) -> object:
    """Chat and user ids are text; an unquoted ``chat_id: 111`` means the id "111" (as
    written in the file, when the loader kept the spelling: ``-100123``, ``0123``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return getattr(value, "source", None) or str(value)
    return value


def _identifiers(value: object) -> object:
    if isinstance(value, list | tuple):
        return type(value)(_identifier(v) for v in value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ActionList = Annotated[tuple[Action, ...], BeforeValidator(_actions)]

# 2–4 Chinese characters (a middle dot allowed for minority names), a separator, then the
# unit or department; full-width parentheses count as a separator: 张三（党群工作部）.
DEFAULT_NICKNAME_PATTERN = (
    r"^[\u4e00-\u9fff][\u4e00-\u9fff·]{1,3}\s*[-－—–·・_（(|｜/／ ]\s*[\u4e00-\u9fffA-Za-z0-9].*$"
)


# How long a nickname pattern may take on the adversarial names below, all together: a
# pattern that backtracks catastrophically takes minutes on 30 characters; a sound one
# finishes in microseconds, so the margin is wide on any machine.
PATTERN_TRIAL_SECONDS = 3.0
_TRIAL_LENGTH = 30
_TRIAL_TAILS = ("\n", "!", "\u2603")
_TRIAL_CHARS = ("a", "Z", "0", " ", "-", "_", "·", "张", "（")
_TRIAL = """
import json, re, sys
pattern, names = json.load(sys.stdin)
compiled = re.compile(pattern)
for name in names:
    compiled.match(name)
"""


def _repeat_nested(items: list, inside_repeat: bool = False) -> bool:
    """True when a repetition of more than one allows another variable repetition inside
    it (``(a+)+``, ``(\\w*\\s?)*``): the shape that backtracks exponentially."""
    from re import _constants as c

    for op, arg in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, body = arg
            variable = high != low
            if inside_repeat and variable and op is not c.POSSESSIVE_REPEAT:
                return True
            if _repeat_nested(
                list(body), inside_repeat or (high > 1 and op is not c.POSSESSIVE_REPEAT)
            ):
                return True
        elif op is c.SUBPATTERN:
            if _repeat_nested(list(arg[-1]), inside_repeat):
                return True
        elif op is c.BRANCH:
            if any(_repeat_nested(list(b), inside_repeat) for b in arg[1]):
                return True
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if _repeat_nested(list(arg[1]), inside_repeat):
                return True
        elif op is c.ATOMIC_GROUP:
            continue  # an atomic group never backtracks into itself
    return False


def _trial_chars(items: list, out: list[str]) -> None:
    """A character each literal, class and wildcard of the pattern matches."""
    from re import _constants as c

    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.IN:
            for kind, value in arg:
                if kind is c.LITERAL:
                    out.append(chr(value))
                elif kind is c.RANGE:
                    out.append(chr(value[0]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            _trial_chars(list(arg[2]), out)
        elif op in (c.SUBPATTERN, c.ATOMIC_GROUP):
            _trial_chars(list(arg[-1]), out)
        elif op is c.BRANCH:
            for branch in arg[1]:
                _trial_chars(list(branch), out)


@lru_cache(maxsize=64)
def _backtracking_problem(pattern: str) -> str | None:
    """Why ``pattern`` may take exponential time on a nickname, or None.

    Two checks: no nested variable repetition (static), and a trial against adversarial
    names in a child process that is stopped after PATTERN_TRIAL_SECONDS (``re`` cannot be
    interrupted in-process)."""
    from re import _parser

    try:
        parsed = list(_parser.parse(pattern))
    except (re.error, RecursionError, OverflowError) as exc:
        return f"pattern is not a valid regular expression: {exc}"
    if _repeat_nested(parsed):
        return (
            "pattern nests one repetition inside another (like (a+)+), which can take "
            "minutes on a long name; write it without the nesting"
        )
    chars: list[str] = []
    _trial_chars(parsed, chars)
    pool = list(dict.fromkeys([*chars, *_TRIAL_CHARS]))[:16]
    names = [c * _TRIAL_LENGTH + tail for c in pool for tail in _TRIAL_TAILS]
    names += [
        (first + c) * (_TRIAL_LENGTH // 2) + tail
        for first in pool[:4]
        for c in pool
        for tail in _TRIAL_TAILS
    ]
    prefix = "".join(chars[:1])
    names += [prefix + n for n in names]
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _TRIAL],
            input=json.dumps([pattern, names]),
            capture_output=True,
            text=True,
            timeout=PATTERN_TRIAL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return (
            "pattern backtracks catastrophically (it did not finish on names of "
            f"{_TRIAL_LENGTH} characters); simplify overlapping alternatives like (a|a)*"
        )
    except OSError:
        return None  # no interpreter to try it in; the static check stands
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"pattern cannot be matched: {last}"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NicknamePolicy(_Strict):
    """Real-name rule (实名制), REQUIREMENTS M1–M2."""

    enabled: bool = True
    pattern: str = DEFAULT_NICKNAME_PATTERN
    example: str = "张三-党群工作部"
    grace_period: Duration = timedelta(hours=24)
    # Applied when the grace period ends with the name still wrong.
    action: ActionList = (parse_action("remove"), parse_action("notify_admins"))
    exempt_admins: bool = False
    exempt_user_ids: tuple[str, ...] = ()

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        if value != DEFAULT_NICKNAME_PATTERN:
            problem = _backtracking_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("exempt_user_ids", mode="before")
    @classmethod
    def _exempt_ids(cls, value: object) -> object:
        return _identifiers(value)


class LadderStep(_Strict):
    actions: ActionList


class CategoryPolicy(_Strict):
    """The ladder for one category: step N applies to the member's Nth offence in the window;
    offences beyond the last step repeat the last step."""

    enabled: bool = True
    severity: str = "medium"
    article: str | None = None  # overrides the article the detector reports
    steps: tuple[ActionList, ...] = Field(min_length=1)

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        if value not in SEVERITIES:
            raise ValueError(f"unknown severity {value!r}; known: {', '.join(SEVERITIES)}")
        return value

    def tiers(self) -> set[int]:
        """The escalation tiers this ladder sends to."""
        return {
            a.tier
            for step in self.steps
            for a in step
            if a.kind is ActionKind.ESCALATE and a.tier is not None
        }


def _ladder(*steps: str) -> tuple[tuple[Action, ...], ...]:
    return tuple(tuple(parse_action(a) for a in step.split(",")) for step in steps)


def default_categories() -> dict[str, CategoryPolicy]:
    """The ladder the regulations imply: R1 Art.8 (illegal: act and report at once) and
    Art.10 (harmful: warn first, then restrict/remove, report)."""
    c = CategoryPolicy
    return {
        "illegal": c(
            severity="critical",
            steps=_ladder("delete,blacklist,escalate:1,escalate:2"),
        ),
        "harmful": c(
            severity="high",
            steps=_ladder(
                "delete,warn,escalate:1",
                "delete,mute:1h,escalate:1",
                "delete,remove,escalate:1,escalate:2",
            ),
        ),
        "secret": c(severity="high", steps=_ladder("delete,warn,escalate:1")),
        "internal": c(severity="medium", steps=_ladder("delete,warn", "delete,mute:1h")),
        "privacy": c(severity="medium", steps=_ladder("delete,warn", "delete,mute:1h")),
        "abuse": c(
            severity="medium",
            steps=_ladder("delete,warn", "delete,mute:1h", "delete,remove,escalate:1"),
        ),
        "unverified": c(severity="low", steps=_ladder("remind", "warn", "delete,warn")),
        "offtopic": c(severity="low", steps=_ladder("remind", "delete,warn", "delete,mute:1h")),
        # Speaking while restricted: only happens where the platform cannot mute (WeChat) or a
        # mute failed; the ladder ends in removal (issue 6's documented fallback).
        "restricted": c(
            severity="medium", article="R1 Art.10", steps=_ladder("warn", "remove,notify_admins")
        ),
        # Flooding drowns the group's work (R2 Art.13: 文明互动、理性表达; (六) 与工作无关的信息
        # 不发送): a short mute first, then a longer one with the admins told, then removal.
        "flood": c(
            severity="low",
            article="R2 Art.13",
            steps=_ladder(
                "delete,mute:10m",
                "delete,mute:1h,notify_admins",
                "delete,remove,notify_admins",
            ),
        ),
    }


class EscalationTarget(_Strict):
    platform: str
    chat_id: str
    name: str | None = None  # e.g. 分管负责人, 派出所, 网信办

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return _identifier(value)

    # Who may answer an escalation sent to a group chat of supervisors (in a private chat,
    # chat_id is the supervisor). Nobody else's press counts.
    user_ids: tuple[str, ...] = ()

    def may_answer(self, user_id: str) -> bool:
        return user_id == self.chat_id or user_id in self.user_ids


class FloodPolicy(_Strict):
    """Flooding (刷屏): more than ``max_messages`` in ``window``, or the same text more than
    ``max_repeats`` times in ``repeat_window``, from one member. The first message over a
    limit climbs the ``flood`` ladder; the rest of the same burst is only deleted, so one wave
    is one offence."""

    enabled: bool = True
    max_messages: int = Field(default=10, ge=2, le=10_000)
    window: Duration = timedelta(seconds=10)
    max_repeats: int = Field(default=4, ge=1, le=10_000)
    repeat_window: Duration = timedelta(seconds=60)

    @field_validator("window", "repeat_window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(hours=24):
            raise ValueError("a flood window is between 1s and 24h")
        return value


class GroupPolicy(_Strict):
    nickname: NicknamePolicy = NicknamePolicy()
    flood: FloodPolicy = FloodPolicy()
    window: Duration = timedelta(days=30)
    categories: dict[str, CategoryPolicy] = Field(default_factory=default_categories)
    # Delete messages from non-admins while quiet mode is on (the fallback where the platform
    # cannot set group permissions).
    quiet_deletes_messages: bool = True
    # "Repeated or high-risk → tier 2": once a member's offences in the window reach this
    # number, an escalation to tier 1 also goes to tier 2. 0 turns it off.
    repeat_to_tier2: int = Field(default=3, ge=0)

    @field_validator("categories", mode="before")
    @classmethod
    def _merge_with_defaults(cls, value: object) -> object:
        # A deployment overrides one category without restating the other eight.
        if isinstance(value, dict):
            unknown = [k for k in value if k not in POLICY_CATEGORIES]
            if unknown:
                raise ValueError(
                    f"unknown category {unknown[0]!r}; known: {', '.join(POLICY_CATEGORIES)}"
                )
            return {**default_categories(), **value}
        return value

    def category(self, name: str) -> CategoryPolicy | None:
        policy = self.categories.get(name)
        return policy if policy is not None and policy.enabled else None

    def step_for(self, name: str, offence_number: int) -> tuple[Action, ...]:
        policy = self.categories[name]
        index = min(max(offence_number, 1), len(policy.steps)) - 1
        return policy.steps[index]


__all__ = [
    "ActionKind",
    "CategoryPolicy",
    "EscalationTarget",
    "FloodPolicy",
    "GroupPolicy",
    "NicknamePolicy",
]
