"""OneBot v11 message formats: CQ-code strings and segment arrays, one shape out of both.

Implementations send either format (NapCat defaults to arrays; ``message_post_format: string``
and older implementations send CQ strings), so everything downstream reads segments only.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_CQ = re.compile(r"\[CQ:([A-Za-z0-9_.\-]+)((?:,[^\]]*)?)\]")


@dataclass(frozen=True, slots=True)
class Segment:
    type: str
    data: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.data.get(key, default)


def unescape(text: str, *, in_param: bool = False) -> str:
    # ``&amp;`` last, so "&amp;#91;" stays the literal text "&#91;".
    text = text.replace("&#91;", "[").replace("&#93;", "]")
    if in_param:
        text = text.replace("&#44;", ",")
    return text.replace("&amp;", "&")


def escape(text: str, *, in_param: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("[", "&#91;").replace("]", "&#93;")
    return text.replace(",", "&#44;") if in_param else text


def parse_string(message: str) -> list[Segment]:
    """A CQ string → segments; text between codes becomes ``text`` segments (unescaped)."""
    out: list[Segment] = []
    pos = 0
    for match in _CQ.finditer(message):
        if match.start() > pos:
            out.append(Segment("text", {"text": unescape(message[pos : match.start()])}))
        data: dict[str, str] = {}
        for part in match.group(2)[1:].split(",") if match.group(2) else ():
            key, sep, value = part.partition("=")
            if key:
                data[key] = unescape(value, in_param=True) if sep else ""
        out.append(Segment(match.group(1), data))
        pos = match.end()
    if pos < len(message):
        out.append(Segment("text", {"text": unescape(message[pos:])}))
    return out


def _text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_array(message: Sequence[Any]) -> list[Segment]:
    """A segment array (or a single segment object) → segments; odd items are skipped."""
    out: list[Segment] = []
    for item in message:
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            continue
        raw = item.get("data")
        data = raw if isinstance(raw, Mapping) else {}
        out.append(Segment(item["type"], {str(k): _text_value(v) for k, v in data.items()}))
    return out


def parse(message: Any) -> list[Segment]:
    """Whatever the implementation put in ``message``: string, array or one segment object."""
    if isinstance(message, str):
        return parse_string(message)
    if isinstance(message, Mapping):
        return parse_array([message])
    if isinstance(message, Sequence):
        return parse_array(message)
    return []


def to_string(segments: Sequence[Segment]) -> str:
    """Segments → a CQ string (for implementations configured to receive strings)."""
    parts = []
    for seg in segments:
        if seg.type == "text":
            parts.append(escape(seg.get("text")))
        else:
            params = "".join(f",{k}={escape(v, in_param=True)}" for k, v in seg.data.items())
            parts.append(f"[CQ:{seg.type}{params}]")
    return "".join(parts)


def to_array(segments: Sequence[Segment]) -> list[dict[str, Any]]:
    return [{"type": s.type, "data": dict(s.data)} for s in segments]
