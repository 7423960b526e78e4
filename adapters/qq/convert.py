"""Pure readings of OneBot v11 values: ids, names, roles, times and message content.

No I/O here, so every rule of the mapping has a plain unit test. Implementations differ in
small ways this module absorbs: ids arrive as numbers or strings (Lagrange sent negative
message ids), messages as segment arrays or CQ strings, cards as JSON strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.qq.cqcode import Segment
from bot.command_text import split_command
from bot.events import Member

PLATFORM = "qq"
_NUMBER = re.compile(r"-?\d+")
# OneBot reports anonymous senders under this user id; they are keyed by their flag instead.
ANONYMOUS_USER_ID = "80000000"

# Segment type → the neutral media kind the content rules read; text-like segments map to None.
_MEDIA = {
    "image": "photo",
    "record": "voice",
    "video": "video",
    "file": "document",
    "mface": "sticker",
    "marketface": "sticker",
    "location": "location",
    "contact": "contact_card",
    "share": "link",
    "music": "music",
    "dice": "dice",
    "rps": "dice",
    "forward": "chat_history",
    "node": "chat_history",
    "xml": "card",
    "json": "card",
}
_IGNORED_FOR_TEXT = frozenset({"at", "reply", "face", "poke", "shake"})


def ident(value: Any) -> str | None:
    """An id as the core keys it: ``123``, ``"123"`` and ``"0123"`` are all ``"123"``."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return str(int(text))
    return text or None


def wire_id(value: str) -> int | str:
    """An id as the OneBot spec types it (int64); a non-numeric id is passed through."""
    return int(value) if _NUMBER.fullmatch(value) else value


def display_name(card: Any, nickname: Any, user_id: str) -> str:
    """The name the real-name rule checks: the group card (群名片), else the QQ nickname."""
    for candidate in (card, nickname):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return user_id


def is_admin_role(role: Any) -> bool:
    return role in ("owner", "admin")


def member_from_info(info: Mapping[str, Any], self_id: str | None) -> Member:
    """A member from a message's ``sender`` or from ``get_group_member_info``."""
    user_id = ident(info.get("user_id")) or ""
    return Member(
        user_id=user_id,
        nickname=display_name(info.get("card"), info.get("nickname"), user_id),
        username=None,  # QQ has no @handle: members are mentioned by number
        is_bot=bool(self_id) and user_id == self_id,
        is_platform_admin=is_admin_role(info.get("role")),
    )


def anonymous_member(anonymous: Mapping[str, Any]) -> Member:
    # An anonymous post cannot be traced to a member; its flag keys it so it is never merged
    # with the shared placeholder id, and it is never given admin powers.
    flag = str(anonymous.get("flag") or anonymous.get("id") or "unknown")
    return Member(user_id=f"anonymous:{flag}", nickname=str(anonymous.get("name") or "匿名"))


def timestamp(value: Any) -> datetime | None:
    """OneBot times are seconds; a value too large for seconds is read as milliseconds."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    seconds = number / 1000 if number > 10**11 else number
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Content:
    """What the rules and commands read from a message's segments."""

    text: str
    mentions: tuple[str, ...] = ()  # user ids @-mentioned, in order ("all" left out)
    mentions_all: bool = False
    reply_to: str | None = None
    media_kind: str | None = None
    forwarded: bool = False
    forward_origin: str | None = None


def _card_text(raw: str) -> tuple[str, str, str | None]:
    """A ``json`` card → (readable text, media kind, forward origin when it is 合并转发)."""
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return "", "card", None
    if not isinstance(data, Mapping):
        return "", "card", None
    app = str(data.get("app") or "")
    meta = data.get("meta") if isinstance(data.get("meta"), Mapping) else {}
    if app == "com.tencent.multimsg":
        detail = meta.get("detail") if isinstance(meta.get("detail"), Mapping) else {}
        source = detail.get("source") if isinstance(detail, Mapping) else None
        lines = [
            str(n.get("text"))
            for n in (detail.get("news") or [] if isinstance(detail, Mapping) else [])
            if isinstance(n, Mapping) and n.get("text")
        ]
        return "\n".join(lines), "chat_history", str(source) if source else None
    parts: list[str] = []
    kind = "mini_program" if app.startswith("com.tencent.miniapp") else "card"
    for value in meta.values():
        if not isinstance(value, Mapping):
            continue
        for key in ("title", "desc", "tag", "jumpUrl", "qqdocurl", "url"):
            item = value.get(key)
            if isinstance(item, str) and item.strip() and item.strip() not in parts:
                parts.append(item.strip())
        if "jumpUrl" in value and kind == "card":
            kind = "link"
    prompt = data.get("prompt")
    if not parts and isinstance(prompt, str):
        parts.append(prompt)
    return "\n".join(parts), kind, None


def read_content(segments: Sequence[Segment]) -> Content:
    """Segments → text (card and share text included, so the content rules read them too),
    mentions, the replied message and the first media kind."""
    texts: list[str] = []
    mentions: list[str] = []
    mentions_all = False
    reply_to: str | None = None
    media: str | None = None
    forwarded = False
    origin: str | None = None
    for seg in segments:
        kind = seg.type
        if kind == "text":
            texts.append(seg.get("text"))
        elif kind == "at":
            qq = seg.get("qq")
            if qq == "all":
                mentions_all = True
            elif (who := ident(qq)) is not None and who not in mentions:
                mentions.append(who)
            texts.append(" ")  # keep "/mute @x 10m" split into words once the mention is gone
        elif kind == "reply":
            reply_to = ident(seg.get("id"))
        elif kind == "json":
            text, card_kind, card_origin = _card_text(seg.get("data"))
            if card_kind == "chat_history":
                forwarded, origin = True, card_origin
            media = media or card_kind
            if text:
                texts.append("\n" + text)
        elif kind == "share":
            media = media or "link"
            share = [seg.get(k) for k in ("title", "content", "url") if seg.get(k)]
            texts.append("\n" + "\n".join(share))
        elif kind in ("forward", "node"):
            forwarded = True
            media = media or "chat_history"
        elif kind == "markdown":
            texts.append(seg.get("content"))
        elif kind == "image":
            # NapCat marks stickers (表情包) with sub_type 1; they are not forwarded photos.
            media = media or ("sticker" if seg.get("sub_type") == "1" else "photo")
        elif kind not in _IGNORED_FOR_TEXT:
            media = media or _MEDIA.get(kind, kind)
    text = "".join(texts).strip()
    return Content(
        text=text,
        mentions=tuple(mentions),
        mentions_all=mentions_all,
        reply_to=reply_to,
        media_kind=media,
        forwarded=forwarded,
        forward_origin=origin,
    )


def parse_command(content: Content) -> tuple[str, tuple[str, ...]] | None:
    """Group text → (command, args) through the shared parser; @-mentions are segments, not
    text, so "@bot /mute @x 10m" and "/mute @x 10m" read the same. QQ has no /cmd@bot."""
    return split_command(content.text, None)


def command_target(content: Content, self_id: str | None) -> str | None:
    """The member a command is about: the first @-mention that is not the bot."""
    for who in content.mentions:
        if who != self_id:
            return who
    return None
