"""What an action spec is, and what it is given when it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.ports import Adapter, Capabilities
from rules.actions import Action, ActionKind
from rules.decisions import Decision

if TYPE_CHECKING:
    from bot.actions.messenger import Messenger
    from bot.actions.texts import NoticeTexts
    from bot.clock import Clock
    from bot.config import Settings
    from storage.store import Store

# Cached state an action can change; the hot path re-reads exactly these after it.
MEMBER_STATE = "member"
GROUP_STATE = "group"
LISTING = "blacklist"

NOTHING = Capabilities()


@dataclass(frozen=True, slots=True)
class Target:
    """Where and on whom decisions act."""

    platform: str
    chat_id: str
    chat_title: str | None
    user_id: str | None
    nickname: str
    actor: str = "bot"  # "bot", the admin's user id, or "supervisor:<id>"
    message_text: str = ""  # the offending text, for escalation evidence (masked there)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What running one action did: ``done``, ``fallback`` (a documented substitute where the
    platform lacks the capability), ``skipped`` or ``failed``."""

    status: str
    detail: str = ""
    notified: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.status in ("done", "fallback")


@dataclass(frozen=True, slots=True)
class Services:
    """What specs may use: passed in, so a spec never reaches for a global."""

    settings: Settings
    store: Store
    clock: Clock
    texts: NoticeTexts
    messenger: Messenger
    # The adapter serving a platform (wrapped for dry-run), or None.
    adapter_for: Callable[[str], Adapter | None]
    retry: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
    # Run work after the action's outcome is recorded, without holding up the chat (a ban in
    # every other group); the executor owns the task and awaits it on stop.
    background: Callable[[Coroutine[Any, Any, None]], None]
    # Tell the caches that state changed outside an action's own run (platform, chat, member,
    # scopes), as the executor does after each action.
    changed: Callable[[str, str, str | None, frozenset[str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ActionContext:
    target: Target
    decision: Decision
    decision_id: str
    action: Action
    params: dict[str, Any]
    # The platform adapter (wrapped for dry-run), or None when no adapter serves the platform.
    adapter: Adapter | None
    services: Services
    # Outcomes of this decision's earlier phase (the kinds shown to people): notices describe
    # what really happened.
    earlier: Sequence[tuple[Action, Outcome]] = ()
    reapply: bool = False  # re-run by reconcile() after a crash

    @property
    def caps(self) -> Capabilities:
        return self.adapter.capabilities if self.adapter is not None else NOTHING

    @property
    def user(self) -> str | None:
        return self.target.user_id

    @property
    def mention_ids(self) -> list[str]:
        return [self.target.user_id] if self.target.user_id else []


@dataclass(frozen=True, slots=True)
class ActionSpec:
    kind: ActionKind
    run: Callable[[ActionContext], Awaitable[Outcome]]
    # The platform right it needs (told to the group's admins once when it is missing).
    right: str | None = None
    # Safe to run again after a crash between intent and outcome.
    reapply: bool = False
    invalidates: frozenset[str] = field(default_factory=frozenset)
    # Phase 1 acts; phase 2 informs (warnings, escalations) and sees phase 1's outcomes.
    phase: int = 1
    # Shown in texts that list what was done (an escalation's 已采取措施).
    shown: bool = True
