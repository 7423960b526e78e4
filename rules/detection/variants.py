"""Curated pinyin forms of short high-risk terms (``赌博 @py`` → ``du博``, ``赌bo``, ``dubo``).

Only terms a curator marks with ``@py`` get them: blanket same-sound matching of every two-syllable
word flags half of all ordinary messages.

The toneless reading of every CJK unified ideograph (U+4E00–U+9FFF) is precomputed into
``data/pinyin.txt`` (``python -m rules.detection.variants`` rebuilds it with pypinyin), so loading
a detector does not import pypinyin (55 MB and ~160 ms). Only a character outside the table (a
deployment's term with a rarer ideograph) falls back to pypinyin.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path

MAX_SYLLABLES = 4
TABLE_PATH = Path(__file__).resolve().parent / "data" / "pinyin.txt"
_FIRST, _LAST = 0x4E00, 0x9FFF


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _pypinyin(char: str) -> str:
    from pypinyin import Style, lazy_pinyin  # only for characters the table lacks

    return lazy_pinyin(char, style=Style.NORMAL)[0]


class PinyinTable:
    """Character → toneless pinyin, read from the precomputed table."""

    __slots__ = ("_table",)

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> PinyinTable:
        table: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                char, _, syllable = line.partition(" ")
                if char and syllable:
                    table[char] = syllable
        return cls(table)

    def syllable(self, char: str) -> str:
        if not _is_cjk(char):
            return char
        found = self._table.get(char)
        return found if found is not None else _pypinyin(char)

    def variants(self, term: str) -> list[str]:
        """Every mix of characters and toneless pinyin syllables except the term itself."""
        chars = list(term)
        if not 2 <= len(chars) <= MAX_SYLLABLES:
            return []
        syllables = [self.syllable(c) for c in chars]
        variants: list[str] = []
        for choice in product((False, True), repeat=len(chars)):
            if not any(choice):
                continue
            picked = zip(chars, syllables, choice, strict=True)
            variant = "".join(s if pick else c for c, s, pick in picked)
            if variant != term:
                variants.append(variant)
        return variants


def pinyin_variants(term: str) -> list[str]:
    """``PinyinTable.load().variants(term)`` (kept for callers of the old function)."""
    return PinyinTable.load().variants(term)


def build_table(path: Path = TABLE_PATH) -> int:
    """Write the table with pypinyin's reading of each ideograph; returns the line count."""
    lines = [f"{chr(cp)} {_pypinyin(chr(cp))}" for cp in range(_FIRST, _LAST + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


if __name__ == "__main__":
    print(f"wrote {build_table()} characters to {TABLE_PATH}")
