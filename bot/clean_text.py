"""Text every database accepts, made at the boundary where platform events come in.

A platform may hand over text no database will store: a lone UTF-16 surrogate (SQLite's
driver cannot encode it as UTF-8) or a NUL character (PostgreSQL refuses it in text). Such a
nickname used to fail the batched write it was in, and every batch after it. Each such
character becomes U+FFFD (the replacement character) before anything is decided or stored.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"

E = TypeVar("E")


def clean_text(text: str) -> str:
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value) if _UNSTORABLE.search(value) else value
    if isinstance(value, tuple):
        cleaned = tuple(_clean(v) for v in value)
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return clean_event(value)
    return value


def clean_event(event: E) -> E:
    """The event with every text field (members' too) cleaned; the same object when clean."""
    changes = {}
    for f in dataclasses.fields(event):  # type: ignore[arg-type]
        value = getattr(event, f.name)
        cleaned = _clean(value)
        if cleaned is not value:
            changes[f.name] = cleaned
    return dataclasses.replace(event, **changes) if changes else event  # type: ignore[type-var]
