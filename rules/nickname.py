"""Checking a nickname against the real-name pattern (实名制: 真实姓名加单位（部门）名称)."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and direction marks are invisible in a name list but defeat a pattern match.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    )
)


def clean_nickname(name: str) -> str:
    # NFKC folds full-width Latin/digits but keeps the full-width parentheses the pattern allows.
    return unicodedata.normalize("NFKC", name.translate(_INVISIBLE)).strip()


def nickname_complies(name: str, pattern: str) -> bool:
    cleaned = clean_nickname(name)
    if cleaned != name.strip() and name.translate(_INVISIBLE) != name:
        # A name padded with invisible characters is a dodge, not a real name.
        return False
    # re keeps its own compiled-pattern cache; the policy holds one pattern per group.
    return re.match(pattern, cleaned) is not None
