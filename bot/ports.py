"""The ports the core owns: the contract every platform adapter fulfils.

Adapters import this module (and ``bot.events``); the core never imports an adapter. Each
platform registers a :class:`Platform` (its settings model and a factory) under the
``groupguard.adapters`` entry point, so adding a platform is its package plus one line.

An adapter declares what it can do (``Capabilities``); the executor reads that declaration and
applies a documented fallback where a capability is missing, so WeChat's lack of mute or
delete degrades visibly instead of failing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from bot.events import AnyEvent
from rules.policy import Duration

EventSink = Callable[[AnyEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Capabilities:
    delete_message: bool = False
    mute: bool = False
    remove: bool = False
    ban: bool = False  # a ban the platform itself keeps (rejoin refused)
    private_message: bool = False
    quiet_group: bool = False  # whole-group mute (全员禁言)
    delete_own_messages: bool = False  # lets reminders delete themselves later
    admin_roles: bool = False  # the platform can tell who the admins are, with rights
    buttons: bool = False  # inline buttons on messages
    join_requests: bool = False  # join requests arrive as events and can be answered
    set_nickname: bool = False  # the bot may set a member's in-group name (QQ's 群名片)


@runtime_checkable
class AnswersJoinRequests(Protocol):
    """What an adapter declaring ``join_requests`` also offers (kept out of ``Adapter`` so the
    platforms without join requests need not stub it)."""

    async def answer_join_request(
        self, chat_id: str, request_id: str, approve: bool, reason: str = ""
    ) -> None: ...


@runtime_checkable
class SetsNicknames(Protocol):
    """What an adapter declaring ``set_nickname`` also offers."""

    async def set_nickname(self, chat_id: str, user_id: str, nickname: str) -> None: ...


# Rights named after Telegram's, which is the richest model; other adapters map onto them.
RIGHT_DELETE = "can_delete_messages"
RIGHT_RESTRICT = "can_restrict_members"
RIGHT_CHANGE_INFO = "can_change_info"
RIGHT_PIN = "can_pin_messages"
RIGHT_INVITE = "can_invite_users"
RIGHT_PROMOTE = "can_promote_members"


@dataclass(frozen=True, slots=True)
class AdminInfo:
    user_id: str
    is_owner: bool = False
    rights: frozenset[str] = field(default_factory=frozenset)

    def can(self, right: str) -> bool:
        return self.is_owner or right in self.rights


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


class PlatformError(Exception):
    """A platform refused or failed a call.

    ``kind`` lets the executor decide: ``rate_limited`` (retry after ``retry_after`` seconds),
    ``transient`` (5xx/network: retry with back-off), ``forbidden`` (missing rights: record and
    tell the admins once), ``not_found`` (message/user gone: record, do not retry),
    ``bad_request`` (record, do not retry).
    """

    def __init__(self, kind: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        # (platform, adapter method) of the call that raised it: filled in by the core's
        # metering (bot.metrics), so a retry is counted against the method it repeats.
        self.source: tuple[str, str] | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limited", "transient")


@runtime_checkable
class Adapter(Protocol):
    platform: str
    capabilities: Capabilities

    async def start(self, sink: EventSink) -> None:
        """Begin delivering events to ``sink``; returns once started (runs in the background)."""

    async def stop(self) -> None: ...

    async def send_message(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        mention: Sequence[str] = (),  # user ids to @-mention
        buttons: Sequence[Button] = (),
        delete_after: float | None = None,  # seconds; only if delete_own_messages
    ) -> str | None:
        """Send a message; returns its id when the platform gives one."""

    async def send_private(
        self, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        """Private message; False when the platform cannot reach the user. ``buttons`` are
        shown only where ``capabilities.buttons`` is set (a review asks the admin to choose)."""

    async def delete_message(self, chat_id: str, message_id: str) -> None: ...

    async def mute(self, chat_id: str, user_id: str, until: datetime | None) -> None: ...

    async def unmute(self, chat_id: str, user_id: str) -> None: ...

    async def remove(self, chat_id: str, user_id: str) -> None:
        """Remove from the chat; the member may rejoin."""

    async def ban(self, chat_id: str, user_id: str) -> None:
        """Remove and keep out."""

    async def unban(self, chat_id: str, user_id: str) -> None: ...

    async def set_quiet(self, chat_id: str, quiet: bool) -> None: ...

    async def get_admins(self, chat_id: str) -> list[AdminInfo]: ...

    async def answer_button(self, callback_id: str, text: str) -> None: ...

    # Optional, where ``capabilities.buttons``: replace a sent message's text and remove its
    # buttons (an answered escalation says who answered). Adapters without it are skipped.
    # async def edit_message(self, chat_id: str, message_id: str, text: str) -> None


class UpdateInbox(Protocol):
    """Where an adapter records raw updates before acknowledging them (``bot.inbox``)."""

    async def put(
        self, platform: str, updates: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[str]:
        """Commit the batch; returns the update ids not recorded before (to be handled)."""

    async def adopt(self, platform: str) -> list[tuple[int, str, dict[str, Any]]]:
        """Recorded but not yet handled — by this instance before a restart, or by an
        instance whose lease lapsed — now this instance's to handle, oldest first: (row id,
        update id, payload)."""

    def follow(self, platform: str, replay: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Hand rows adopted later (from an instance that lapsed meanwhile) to ``replay``."""

    def handled(self, platform: str, update_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Platform:
    """A platform as the core sees it before start: the model of its config section (the
    top-level key ``name`` in the YAML) and how to build its adapter from that section.

    ``build`` returns None when the section does not ask for the platform (no token set), and
    raises :class:`PlatformConfigError` when it asks but cannot be used.
    """

    name: str
    settings_model: type[BaseModel]
    build: Callable[[Any], Adapter | None]


class PlatformConfigError(ValueError):
    """A platform is configured but cannot be used (its token variable is unset, ...)."""


class PlatformStartError(RuntimeError):
    """A platform could not be started (its service unreachable, its token refused): one
    line for the person starting the bot, never a traceback."""

    def __init__(self, platform: str, reason: str) -> None:
        super().__init__(f"{platform}: {reason}")
        self.platform = platform
        self.reason = reason


class SectionModel(BaseModel):
    """Base of every platform's config section: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = [
    "RIGHT_CHANGE_INFO",
    "RIGHT_DELETE",
    "RIGHT_INVITE",
    "RIGHT_PIN",
    "RIGHT_PROMOTE",
    "RIGHT_RESTRICT",
    "Adapter",
    "AdminInfo",
    "AnswersJoinRequests",
    "Button",
    "Capabilities",
    "Duration",
    "EventSink",
    "Platform",
    "PlatformConfigError",
    "PlatformError",
    "PlatformStartError",
    "SectionModel",
    "SetsNicknames",
    "UpdateInbox",
]
