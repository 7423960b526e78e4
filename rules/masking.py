"""The one masking function for personal data (M7, R2 Art.17).

Everything that shows a message to supervisors or writes evidence for them passes it through
``mask_pii`` first, so a leaked report does not leak the member's ID card or phone number.
"""

from __future__ import annotations

import re

_DIGIT_RE = re.compile(r"[0-9０-９]")
# What may stand between a number's digits (pii.py's separators, both widths): dropped before
# masking, so that ``1101.0519.…`` and ``1 3 8 …`` are masked like the plain number.
_SEPARATORS_RE = re.compile("[\\s\\-－—–‐.．·•・\u200b\u200c\u200d\u2060\ufeff]")


def _digits(value: str) -> str:
    folded = value.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})
    return _SEPARATORS_RE.sub("", folded).lstrip("+").upper()


def mask_value(kind: str, value: str) -> str:
    """Mask one value of a PII kind: ``110105********123X``, ``138****5678``,
    ``6222********1234``, ``z***@example.com``; unknown kinds keep only the first and last
    character."""
    if kind in ("id_card", "id_like"):
        d = _digits(value)
        return d[:6] + "*" * (len(d) - 10) + d[-4:] if len(d) > 10 else "*" * len(d)
    if kind == "mobile":
        d = _digits(value)
        prefix = ""
        if len(d) == 13 and d.startswith("86"):
            prefix, d = "+86 ", d[2:]
        return prefix + d[:3] + "****" + d[-4:] if len(d) >= 8 else "*" * len(d)
    if kind == "bank_card":
        d = _digits(value)
        return d[:4] + "*" * (len(d) - 8) + d[-4:] if len(d) > 8 else "*" * len(d)
    if kind == "email":
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if kind == "address":
        return _DIGIT_RE.sub("*", value)
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_pii(text: str) -> str:
    """``text`` with every validated piece of personal data masked."""
    pieces: list[str] = []
    pos = 0
    # Imported here: rules.detection's report imports this module (a cycle at import time).
    from rules.detection.pii import find_pii

    for match in find_pii(text):
        if match.start < pos:  # overlaps a piece already masked (a number inside an address)
            continue
        pieces.append(text[pos : match.start])
        pieces.append(mask_value(match.kind, text[match.start : match.end]))
        pos = match.end
    pieces.append(text[pos:])
    return "".join(pieces)
