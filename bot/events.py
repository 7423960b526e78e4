"""Platform-neutral events.

Adapters build these from platform updates; nothing downstream knows which platform an event
came from beyond the ``platform`` string, which only keys storage rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Member:
    """A person (or bot) as seen in one chat.

    ``nickname`` is the in-group name the real-name rule checks (Telegram: first + last name;
    WeChat: the room alias 群昵称, falling back to the WeChat name).
    """

    user_id: str
    nickname: str
    username: str | None = None
    is_bot: bool = False
    # Platform-specific senders that must never be punished as members (Telegram's linked
    # channel 777000, GroupAnonymousBot): the adapter decides, the engine only reads the flag.
    is_service_account: bool = False
    # Set by the adapter when the platform says so (anonymous admin, room owner, ...).
    is_platform_admin: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    platform: str
    chat_id: str
    update_id: str  # unique per platform; a repeated update id is not handled twice
    chat_title: str | None = None
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagePosted(Event):
    message_id: str
    sender: Member
    text: str = ""  # text or caption
    media_kind: str | None = None  # photo, video, voice, audio, document, sticker, link, ...
    forwarded: bool = False
    forward_origin: str | None = None  # where it was forwarded from, when the platform says
    reply_to_message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdited(MessagePosted):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(Event):
    member: Member
    invited_by: Member | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(Event):
    member: Member
    removed_by: Member | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NicknameChanged(Event):
    member: Member
    old_nickname: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandIssued(Event):
    """A slash command. ``target`` is resolved by the adapter from a reply, @mention or id."""

    message_id: str
    sender: Member
    name: str  # lower-case, without the slash and @botname
    args: tuple[str, ...] = ()
    target: Member | None = None
    # The message replied to (for /check and /report), when the platform gives it.
    replied: MessagePosted | None = None
    raw_text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinRequested(Event):
    """Someone asks to join a group that needs approval (QQ's 加群申请/邀请). The core refuses
    a blacklisted requester; ``request_id`` is what the adapter needs to answer."""

    member: Member
    request_id: str
    comment: str = ""  # the requester's answer to the join question
    invited_by: Member | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(Event):
    """An inline button press on a workflow's message (escalation: ack / lift / fp; review:
    确认违规 / 误报)."""

    presser: Member
    data: str
    callback_id: str | None = None
    # The message carrying the buttons, so it can be edited to say who answered, and when.
    message_id: str | None = None
    message_text: str = ""


AnyEvent = (
    MessagePosted
    | MessageEdited
    | MemberJoined
    | MemberLeft
    | NicknameChanged
    | CommandIssued
    | ButtonPressed
    | JoinRequested
)
