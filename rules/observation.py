"""What the engine sees of an event.

``rules`` imports nothing from ``bot``/``adapters``; the application turns each neutral event
into an Observation, so the engine stays a pure library with its own small input type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    MESSAGE = "message"
    EDIT = "edit"
    JOIN = "join"
    LEAVE = "leave"
    NICKNAME = "nickname"
    DEADLINE = "deadline"  # a real-name grace period ended


@dataclass(frozen=True, slots=True)
class Observation:
    kind: Kind
    user_id: str
    nickname: str
    at: datetime
    message_id: str | None = None
    text: str = ""
    media_kind: str | None = None
    forwarded: bool = False
    forward_origin: str | None = None
    is_service_account: bool = False


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """The member's history as storage knows it before this event."""

    known_nickname: str | None = None
    is_admin: bool = False
    blacklisted: bool = False
    restricted_until: datetime | None = None
    deadline_armed: bool = False
    # Offences per category inside the policy window, not counting this event.
    offences: Mapping[str, int] = field(default_factory=dict)
    # This member's messages in the flood window, and messages with this very text in the
    # repeat window, both counting this one (0 when nobody counted).
    recent_messages: int = 0
    recent_repeats: int = 0


@dataclass(frozen=True, slots=True)
class GroupState:
    quiet: bool = False
