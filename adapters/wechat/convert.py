"""Pure mapping from puppet-service payload values to neutral event fields.

No I/O and no wechaty import here, so every rule of the mapping has a plain unit test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.command_text import split_command

# A 1.x puppet service sends wechaty-puppet's own MessageType numbers (not the gRPC enum the
# 0.x client maps them through, which has no entry past 15 and raises IndexError on newer
# kinds), so we read the raw number ourselves.
TEXT = 7
CHAT_HISTORY = 4
RECALLED = 13
URL = 14
MEDIA_KINDS: dict[int, str | None] = {
    0: "unknown",
    1: "document",  # Attachment
    2: "voice",  # Audio
    3: "contact_card",  # Contact
    4: "chat_history",  # ChatHistory: a merged forward (合并转发)
    5: "sticker",  # Emoticon
    6: "photo",  # Image
    7: None,  # Text
    8: "location",
    9: "mini_program",
    10: "group_note",
    11: "transfer",
    12: "red_envelope",
    13: "recalled",
    14: "link",  # Url: shared article / link card
    15: "video",
    16: "post",
}

# WeChat puts a four-per-em space after an @mention; input methods add ideographic spaces.
_MENTION_END = "\u2005"
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


@dataclass(frozen=True, slots=True)
class RoomInfo:
    room_id: str
    topic: str
    owner_id: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContactInfo:
    contact_id: str
    name: str
    handle: str | None
    friend: bool
    official: bool


def media_kind(raw_type: int) -> str | None:
    return MEDIA_KINDS.get(int(raw_type), "unknown")


def nickname(room_alias: str | None, contact_name: str | None, contact_id: str) -> str:
    """The name the real-name rule checks: the room alias (群昵称), else the WeChat name."""
    for candidate in (room_alias, contact_name):
        if candidate and candidate.strip():
            return candidate.strip()
    return contact_id


def timestamp(value: int | None) -> datetime | None:
    """Services send seconds or milliseconds (python-wechaty#1290); tell them apart by size."""
    if not value:
        return None
    seconds = value / 1000 if value > 10**11 else float(value)
    return datetime.fromtimestamp(seconds, UTC)


def chat_history_title(text: str) -> str | None:
    """The title of a merged forward (e.g. "群聊的聊天记录") when the payload carries its XML."""
    match = _TITLE.search(text or "")
    return (match.group(1).strip() or None) if match else None


def url_link_text(url_link_json: str) -> str:
    """A link card as text the content rules can read: title, description and address."""
    try:
        data = json.loads(url_link_json or "{}")
    except json.JSONDecodeError:
        return ""
    parts = [str(data.get(k) or "").strip() for k in ("title", "description", "url")]
    return "\n".join(p for p in parts if p)


def strip_mentions(text: str, mentioned_names: list[str]) -> str:
    """Remove ``@name`` segments of the mentioned members (longest first) from command text.

    WeChat writes a mention as ``@`` + the member's room alias or name + U+2005. The text is
    not otherwise changed, so a name that is not a mention stays an argument.
    """
    out = text
    for name in sorted({n for n in mentioned_names if n}, key=len, reverse=True):
        out = out.replace(f"@{name}{_MENTION_END}", " ").replace(f"@{name} ", " ")
        if out.endswith(f"@{name}"):
            out = out[: -len(name) - 1]
    return out


def parse_command(text: str, mentioned_names: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """Room text → (command, args) through the shared parser, mentions taken out first."""
    stripped = text.strip().replace(_MENTION_END, " ")
    if not stripped or stripped[0] not in "/／":
        return None
    cleaned = strip_mentions(text.strip(), mentioned_names).replace(_MENTION_END, " ")
    # WeChat has no "/cmd@botname" convention, so no bot name is passed.
    return split_command(cleaned, None)
