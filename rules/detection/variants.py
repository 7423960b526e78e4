"""Curated pinyin forms of short high-risk terms (``赌博 @py`` → ``du博``, ``赌bo``, ``dubo``).

Only terms a curator marks with ``@py`` get them: blanket same-sound matching of every two-syllable
word flags half of all ordinary messages.
"""

from __future__ import annotations

from itertools import product

from pypinyin import Style, lazy_pinyin

MAX_SYLLABLES = 4


def pinyin_variants(term: str) -> list[str]:
    """Every mix of characters and toneless pinyin syllables except the term itself."""
    chars = list(term)
    if not 2 <= len(chars) <= MAX_SYLLABLES:
        return []
    syllables = [
        lazy_pinyin(c, style=Style.NORMAL)[0] if "\u4e00" <= c <= "\u9fff" else c for c in chars
    ]
    variants: list[str] = []
    for choice in product((False, True), repeat=len(chars)):
        if not any(choice):
            continue
        picked = zip(chars, syllables, choice, strict=True)
        variant = "".join(s if pick else c for c, s, pick in picked)
        if variant != term:
            variants.append(variant)
    return variants
