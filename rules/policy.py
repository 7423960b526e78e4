"""A group's policy: the real-name rule's settings and the action ladder per category.

These pydantic models are the config boundary for everything the engine decides on; the
engine itself only reads them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rules.actions import Action, ActionKind, parse_action
from rules.durations import parse_duration


def _duration(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return value


def _actions(value: object) -> object:
    if isinstance(value, str):
        value = value.split(",") if value.strip() else []
    if isinstance(value, list):
        return tuple(parse_action(v) if isinstance(v, str) else v for v in value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ActionList = Annotated[tuple[Action, ...], BeforeValidator(_actions)]

# 2–4 Chinese characters (a middle dot allowed for minority names), a separator, then the
# unit or department; full-width parentheses count as a separator: 张三（党群工作部）.
DEFAULT_NICKNAME_PATTERN = (
    r"^[\u4e00-\u9fff][\u4e00-\u9fff·]{1,3}\s*[-－—–·・_（(|｜/／ ]\s*[\u4e00-\u9fffA-Za-z0-9].*$"
)


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
        except re.error as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return value


class LadderStep(_Strict):
    actions: ActionList


class CategoryPolicy(_Strict):
    """The ladder for one category: step N applies to the member's Nth offence in the window;
    offences beyond the last step repeat the last step."""

    enabled: bool = True
    severity: str = "medium"
    article: str | None = None  # overrides the article the detector reports
    steps: tuple[ActionList, ...] = Field(min_length=1)


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
    }


class EscalationTarget(_Strict):
    platform: str
    chat_id: str
    name: str | None = None  # e.g. 分管负责人, 派出所, 网信办
    # Who may answer an escalation sent to a group chat of supervisors (in a private chat,
    # chat_id is the supervisor). Nobody else's press counts.
    user_ids: tuple[str, ...] = ()

    def may_answer(self, user_id: str) -> bool:
        return user_id == self.chat_id or user_id in self.user_ids


class GroupPolicy(_Strict):
    nickname: NicknamePolicy = NicknamePolicy()
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
    "GroupPolicy",
    "NicknamePolicy",
]
