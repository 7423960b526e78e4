"""Turns typed lines and transcript records (JSON Lines) into neutral events.

Typed lines (``groupguard run`` on the console)::

    张三-党群工作部: 大家好           a message from that member (joins them silently first)
    张三-党群工作部: [fwd] [video] 看  a forwarded video with a caption
    管理员-办公室: /mute @小明 10m     a command; @NAME targets a member, #N replies to message N
    /join 小明 [by 张三-党群工作部]    a member joins (optionally invited by someone)
    /leave 小明                       a member leaves
    /rename 小明 李明-财务科           a nickname change
    /admin 管理员-办公室               make someone a group admin (on the simulated platform)
    /tick 25h                         move time forward (fires due timers)
    /press wf:esc:1:ack               a simulated supervisor presses a button the bot sent

Each message is shown with its number (#3); a command replies to it by naming it:
``管理员-办公室: /warn #3 刷屏``.

Transcript records (``groupguard replay FILE``), one JSON object per line, ``type`` one of
message, edit, join, leave, rename, command, admin, tick, button — see README.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from itertools import count
from typing import BinaryIO

from adapters.console.adapter import ConsoleAdapter
from bot.command_text import split_command
from bot.events import (
    AnyEvent,
    ButtonPressed,
    CommandIssued,
    Member,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessagePosted,
    NicknameChanged,
)
from rules.durations import parse_duration

DEFAULT_CHAT = "console-group"
# A transcript line longer than this is refused before it is parsed (a real message is at
# most a few thousand characters; Telegram's limit is 4,096).
MAX_RECORD_CHARS = 65_536
RECORD_TYPES = ("message", "edit", "join", "leave", "rename", "command", "admin", "tick", "button")
# Every field a record may have, and what it must be. Ids may be written as numbers.
_TEXT_FIELDS = (
    "type",
    "at",
    "user",
    "name",
    "text",
    "media",
    "forward_origin",
    "invited_by",
    "old",
    "new",
    "data",
    "duration",
)
_ID_FIELDS = ("id", "reply_to", "chat")
_BOOL_FIELDS = ("forwarded",)
_REQUIRED = {
    "message": ("user",),
    "edit": ("user",),
    "join": ("user",),
    "leave": ("user",),
    "admin": ("user",),
    "command": ("user", "text"),
    "button": ("user", "data"),
    "rename": ("old", "new"),
    "tick": ("duration",),
}
_NAMED = ("user", "name", "invited_by", "old", "new")
_PREFIX = re.compile(r"^\[(fwd|转发|photo|video|voice|audio|document|link|图片|视频|语音)\]\s*")
_MEDIA = {"图片": "photo", "视频": "video", "语音": "voice"}


@dataclass(frozen=True, slots=True)
class Tick:
    """Move simulated time forward; the scheduler then fires what fell due."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Note:
    """Something to print rather than to handle; ``key`` names a catalogue text."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


Step = AnyEvent | Tick | Note


class ScriptError(ValueError):
    """A line the script cannot use. ``key`` and ``params`` name the catalogue text the
    console shows (in the configured language); the message is the English fallback."""

    def __init__(self, message: str, key: str = "", **params: str) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


@dataclass
class ConsoleScript:
    adapter: ConsoleAdapter
    chat_id: str = DEFAULT_CHAT
    chat_title: str = "GroupGuard 控制台群"
    platform: str = "console"
    zone: tzinfo = UTC  # a transcript's "at" without an offset is read in this zone
    names: dict[str, str] = field(default_factory=dict)  # nickname → user id
    nicknames: dict[str, str] = field(default_factory=dict)  # user id → nickname
    messages: dict[str, MessagePosted] = field(default_factory=dict)
    # Update ids are remembered by the bot to drop repeats; a console run names its own
    # (e.g. c20261205080102-1) so a second run in the same folder is not taken for the first.
    update_prefix: str = "c"
    _ids: count = field(default_factory=lambda: count(1))
    _user_ids: count = field(default_factory=lambda: count(1))
    _msg_ids: count = field(default_factory=lambda: count(1))

    # ------------------------------------------------------------------ members
    def member(self, name_or_id: str, *, create: bool = True) -> Member:
        user_id = self.names.get(name_or_id) or (
            name_or_id if name_or_id in self.nicknames else None
        )
        if user_id is None:
            if not create:
                raise ScriptError(
                    f"unknown member {name_or_id!r}", "console_more.unknown_member", name=name_or_id
                )
            user_id = f"u{next(self._user_ids)}"
            self._remember(user_id, name_or_id)
        nickname = self.nicknames[user_id]
        chat = self.adapter.chat(self.chat_id)
        return Member(
            user_id=user_id,
            nickname=nickname,
            username=nickname,
            is_platform_admin=user_id in chat.admins,
        )

    def skip_user_ids(self, taken: Iterable[str]) -> None:
        """New members get ids after the highest ``uN`` already taken (by an earlier run)."""
        numbers = [int(u[1:]) for u in taken if u[:1] == "u" and u[1:].isdigit()]
        if numbers:
            self._user_ids = count(max(numbers) + 1)

    def _remember(self, user_id: str, nickname: str) -> None:
        old = self.nicknames.get(user_id)
        if old is not None:
            self.names.pop(old, None)
        self.nicknames[user_id] = nickname
        self.names[nickname] = user_id

    def _base(self, at: datetime | None, chat: str | None = None) -> dict:
        base = {
            "platform": self.platform,
            "chat_id": chat or self.chat_id,
            "update_id": f"{self.update_prefix}{next(self._ids)}",
            "chat_title": self.chat_title,
        }
        if at is not None:
            base["at"] = at
        return base

    # ------------------------------------------------------------------ typed lines
    def parse_line(self, line: str) -> list[Step]:
        line = line.strip()
        if not line:
            return []
        if line.startswith("/"):
            return self._directive(line)
        name, sep, text = line.partition(":")
        if not sep:
            name, sep, text = line.partition("：")
        if not sep or not name.strip():
            raise ScriptError(
                "type 'nickname: message' or a /directive (see the banner)", "console_more.bad_line"
            )
        return self._speak(name.strip(), text.strip())

    def _directive(self, line: str) -> list[Step]:
        head, *rest = line.split()
        if head == "/join" and rest:
            inviter = None
            if len(rest) >= 3 and rest[1] == "by":
                inviter = self.member(rest[2])
            return [self._join(rest[0], inviter)]
        if head == "/leave" and rest:
            return [self._leave(rest[0])]
        if head == "/rename" and len(rest) == 2:
            return [self._rename(rest[0], rest[1])]
        if head == "/admin" and rest:
            who = self.member(rest[0])
            self.adapter.chat(self.chat_id).admins.add(who.user_id)
            return [Note("console.admin_added", {"name": who.nickname})]
        if head == "/tick" and rest:
            try:
                return [Tick(parse_duration(rest[0]).total_seconds())]
            except ValueError:
                raise ScriptError(
                    f"not a duration: {rest[0]}", "console_more.bad_tick", value=rest[0]
                ) from None
        if head == "/press" and len(rest) == 1:
            return [self._press(rest[0])]
        raise ScriptError(
            f"unknown or incomplete directive: {line}", "console_more.bad_directive", line=line
        )

    def _press(self, data: str) -> ButtonPressed:
        """A press on a button the bot sent, by the one it was sent to (a supervisor's
        private chat: the chat id is the supervisor's user id)."""
        sent = self.adapter.buttons.get(data)
        if sent is None:
            raise ScriptError(f"no button {data!r} was sent", "console_more.no_button", data=data)
        chat, message_id, text = sent
        name = self.nicknames.get(chat, chat)
        presser = Member(user_id=chat, nickname=name, username=name)
        base = self._base(None, chat)
        # A callback id, so the bot's answer to the press is shown (as a platform would).
        return ButtonPressed(
            **base,
            presser=presser,
            data=data,
            callback_id=base["update_id"],
            message_id=message_id,
            message_text=text,
        )

    def _speak(
        self,
        name: str,
        text: str,
        *,
        at: datetime | None = None,
        message_id: str | None = None,
        edited: bool = False,
    ) -> list[Step]:
        steps: list[Step] = []
        if name not in self.names:
            steps.append(self._join(name, None, at=at))
        sender = self.member(name)
        if text.startswith(("/", "／")) and split_command(text):
            return [*steps, self._command(sender, text, at=at, message_id=message_id)]
        forwarded, media = False, None
        while match := _PREFIX.match(text):
            tag = match.group(1)
            if tag in ("fwd", "转发"):
                forwarded = True
            else:
                media = _MEDIA.get(tag, tag)
            text = text[match.end() :]
        return [
            *steps,
            self._message(
                sender,
                text,
                media=media,
                forwarded=forwarded,
                at=at,
                message_id=message_id,
                edited=edited,
            ),
        ]

    def _message(
        self,
        sender: Member,
        text: str,
        *,
        media: str | None = None,
        forwarded: bool = False,
        origin: str | None = None,
        at: datetime | None = None,
        message_id: str | None = None,
        edited: bool = False,
        chat: str | None = None,
    ) -> MessagePosted:
        mid = message_id or str(next(self._msg_ids))
        cls = MessageEdited if edited else MessagePosted
        event = cls(
            **self._base(at, chat),
            message_id=mid,
            sender=sender,
            text=text,
            media_kind=media,
            forwarded=forwarded,
            forward_origin=origin,
        )
        self.messages[mid] = event
        return event

    def _command(
        self,
        sender: Member,
        text: str,
        *,
        at: datetime | None = None,
        message_id: str | None = None,
        reply_to: str | None = None,
        chat: str | None = None,
    ) -> CommandIssued:
        parsed = split_command(text)
        if parsed is None:
            raise ScriptError(f"not a command: {text}")
        name, args = parsed
        target: Member | None = None
        replied = self.messages.get(reply_to) if reply_to else None
        kept: list[str] = []
        for arg in args:
            if arg.startswith("#") and arg[1:] in self.messages and replied is None:
                replied = self.messages[arg[1:]]
            elif arg.startswith("@") and target is None and arg[1:] in self.names:
                target = self.member(arg[1:])
            else:
                kept.append(arg)
        if target is None and replied is not None:
            target = replied.sender
        return CommandIssued(
            **self._base(at, chat),
            message_id=message_id or str(next(self._msg_ids)),
            sender=sender,
            name=name,
            args=tuple(kept),
            target=target,
            replied=replied,
            raw_text=text,
        )

    def _join(
        self,
        name: str,
        inviter: Member | None,
        *,
        at: datetime | None = None,
        chat: str | None = None,
    ) -> MemberJoined:
        member = self.member(name)
        self.adapter.chat(chat or self.chat_id).present.add(member.user_id)
        return MemberJoined(**self._base(at, chat), member=member, invited_by=inviter)

    def _leave(
        self, name: str, *, at: datetime | None = None, chat: str | None = None
    ) -> MemberLeft:
        member = self.member(name, create=False)
        self.adapter.chat(chat or self.chat_id).present.discard(member.user_id)
        return MemberLeft(**self._base(at, chat), member=member)

    def _rename(
        self, old: str, new: str, *, at: datetime | None = None, chat: str | None = None
    ) -> NicknameChanged:
        before = self.member(old, create=False)
        self._remember(before.user_id, new)
        return NicknameChanged(
            **self._base(at, chat), member=self.member(new), old_nickname=before.nickname
        )

    # ------------------------------------------------------------------ transcripts
    def parse_record(self, line: str, number: int = 0) -> list[Step]:
        """One transcript line → steps; any problem is a ScriptError naming the line."""
        if len(line) > MAX_RECORD_CHARS:
            raise ScriptError(f"line {number}: longer than {MAX_RECORD_CHARS} characters")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"line {number}: not JSON: {exc.msg} (column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[…]]]]
            raise ScriptError(f"line {number}: not JSON this reader accepts: {exc}") from None
        if not isinstance(record, dict) or "type" not in record:
            raise ScriptError(f"line {number}: each line is an object with a 'type'")
        try:
            record = self._checked(record)
            return self._record(record)
        except ScriptError as exc:
            raise ScriptError(f"line {number}: {exc}") from None
        except (KeyError, ValueError, TypeError) as exc:
            raise ScriptError(f"line {number}: {type(exc).__name__}: {exc}") from None

    def _checked(self, r: dict) -> dict:
        """The record with ids as text and ``name`` folded into ``user``, or a ScriptError
        naming the first field that is not what the format says."""
        out: dict = {}
        for key, value in r.items():
            if value is None and key != "type":
                continue  # an explicit null is an absent field
            if key in _TEXT_FIELDS:
                if not isinstance(value, str):
                    raise ScriptError(f"{key!r} must be text, not {_kind(value)}")
            elif key in _ID_FIELDS:
                if isinstance(value, int) and not isinstance(value, bool):
                    value = str(value)
                elif not isinstance(value, str) or not value:
                    raise ScriptError(f"{key!r} must be a non-empty id, not {_kind(value)}")
            elif key in _BOOL_FIELDS:
                if not isinstance(value, bool):
                    raise ScriptError(f"{key!r} must be true or false, not {_kind(value)}")
            else:
                raise ScriptError(f"unknown field {key!r}")
            out[key] = value
        kind = out.get("type")
        if kind not in RECORD_TYPES:
            raise ScriptError(f"unknown type {kind!r}; known: {', '.join(RECORD_TYPES)}")
        if "name" in out:
            out.setdefault("user", out.pop("name"))
        for key in _NAMED:
            if key in out and not out[key].strip():
                raise ScriptError(f"{key!r} must not be empty")
        missing = [k for k in _REQUIRED[kind] if k not in out]
        if missing:
            raise ScriptError(f"a {kind!r} record needs {', '.join(repr(k) for k in missing)}")
        if "at" in out:
            try:
                at = datetime.fromisoformat(out["at"])
            except ValueError:
                raise ScriptError(f"'at' is not an ISO date-time: {out['at'][:40]!r}") from None
            out["at"] = at if at.tzinfo else at.replace(tzinfo=self.zone)
        return out

    def _record(self, r: dict) -> list[Step]:
        kind = r["type"]
        at = r.get("at")
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        chat = r.get("chat")
        name = r.get("name") or r.get("user")
        if kind == "tick":
            return [Tick(parse_duration(r["duration"]).total_seconds())]
        if kind == "admin":
            who = self.member(name)
            self.adapter.chat(chat or self.chat_id).admins.add(who.user_id)
            return [Note("console.admin_added", {"name": who.nickname})]
        if kind == "join":
            if r.get("id") and name not in self.names:
                # A fixed user id, so a transcript's people match the directory's accounts.
                self._remember(str(r["id"]), name)
            inviter = self.member(r["invited_by"]) if r.get("invited_by") else None
            return [self._join(name, inviter, at=at, chat=chat)]
        if kind == "leave":
            return [self._leave(name, at=at, chat=chat)]
        if kind == "rename":
            return [self._rename(r["old"], r["new"], at=at, chat=chat)]
        if kind in ("message", "edit"):
            steps: list[Step] = []
            if name not in self.names:
                steps.append(self._join(name, None, at=at, chat=chat))
            return [
                *steps,
                self._message(
                    self.member(name),
                    r.get("text", ""),
                    media=r.get("media"),
                    forwarded=bool(r.get("forwarded")),
                    origin=r.get("forward_origin"),
                    at=at,
                    message_id=r.get("id"),
                    edited=kind == "edit",
                    chat=chat,
                ),
            ]
        if kind == "command":
            return [
                self._command(
                    self.member(name),
                    r["text"],
                    at=at,
                    message_id=r.get("id"),
                    reply_to=r.get("reply_to"),
                    chat=chat,
                )
            ]
        if kind == "button":
            return [
                ButtonPressed(
                    **self._base(at, chat),
                    presser=self.member(name),
                    data=r["data"],
                    callback_id=r.get("id"),
                )
            ]
        raise ValueError(f"unknown type {kind!r}")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number" if not isinstance(value, float) or math.isfinite(value) else "NaN"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def transcript_lines(handle: BinaryIO) -> Iterator[tuple[int, str | ScriptError]]:
    """The lines of a transcript opened in binary mode, numbered from 1: each is its text,
    or a ScriptError for a line that is not UTF-8 or is too long (skipped whole, without
    reading it into memory), so one bad line never ends the replay."""
    limit = MAX_RECORD_CHARS * 4  # UTF-8 takes at most 4 bytes a character
    number = 0
    while chunk := handle.readline(limit + 1):
        number += 1
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):
                chunk = handle.readline(limit)
            yield (
                number,
                ScriptError(f"line {number}: longer than {MAX_RECORD_CHARS} characters; skipped"),
            )
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield (
                number,
                ScriptError(
                    f"line {number}: not UTF-8 text (byte {chunk[exc.start]:#04x} at byte "
                    f"{exc.start + 1}); save the transcript as UTF-8"
                ),
            )
            continue
        yield number, text.removeprefix("\ufeff") if number == 1 else text
