"""Actions a decision can ask for, and their textual form in the policy (``mute:1h``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from rules.durations import DurationError, format_duration, parse_duration


class ActionKind(StrEnum):
    DELETE = "delete"  # delete the offending message
    WARN = "warn"  # in-group warning, @-mention
    REMIND = "remind"  # private reminder where the platform allows, else in-group
    MUTE = "mute"  # timed restriction (限制发言)
    UNMUTE = "unmute"
    REMOVE = "remove"  # 清移出群, may rejoin
    BLACKLIST = "blacklist"  # 纳入黑名单: removed from and kept out of every managed group
    UNBLACKLIST = "unblacklist"
    ESCALATE = "escalate"  # 上报 to a supervisor tier
    QUIET = "quiet"  # 全员禁言
    UNQUIET = "unquiet"
    NOTIFY_ADMINS = "notify_admins"  # tell the group's admins
    REVIEW = "review"  # the group's admins confirm or dismiss an unsure hit (确认违规 / 误报)
    ARM_DEADLINE = "arm_deadline"  # real-name grace period starts
    CANCEL_DEADLINE = "cancel_deadline"


# Actions that change a member's standing; the rest only inform.
PUNITIVE = frozenset(
    {ActionKind.MUTE, ActionKind.REMOVE, ActionKind.BLACKLIST, ActionKind.DELETE, ActionKind.WARN}
)


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    duration: timedelta | None = None  # mute, arm_deadline, quiet
    tier: int | None = None  # escalate

    def __str__(self) -> str:
        if self.duration is not None:
            return f"{self.kind}:{format_duration(self.duration)}"
        if self.tier is not None:
            return f"{self.kind}:{self.tier}"
        return str(self.kind)


def parse_action(spec: str) -> Action:
    """``"mute:1h"`` → Action(MUTE, 1h); ``"escalate:2"`` → Action(ESCALATE, tier=2)."""
    name, _, arg = spec.strip().partition(":")
    try:
        kind = ActionKind(name.strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in ActionKind)
        raise ValueError(f"unknown action {name!r}; known: {known}") from None
    if kind in (ActionKind.MUTE, ActionKind.QUIET, ActionKind.ARM_DEADLINE):
        if not arg:
            raise ValueError(f"action {kind} needs a duration, e.g. {kind}:1h")
        try:
            return Action(kind, duration=parse_duration(arg))
        except DurationError as exc:
            raise ValueError(str(exc)) from None
    if kind is ActionKind.ESCALATE:
        if not arg.strip().isdigit():
            raise ValueError("escalate needs a tier number, e.g. escalate:1")
        return Action(kind, tier=int(arg))
    if arg:
        raise ValueError(f"action {kind} takes no argument")
    return Action(kind)
