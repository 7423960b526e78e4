"""Build the per-character folding map used by the normaliser.

The map is computed from Unicode data (NFKC, case), OpenCC's traditional → simplified character
table and a curated homoglyph list, once per ``Detector.load`` — never cached at module level, so
a reload sees edited homoglyph files.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import opencc

# Only blocks where NFKC or case folding changes something an evader would use; scanning all of
# Unicode would cost a second per load for no gain.
_SCAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x052F),  # Latin, Greek, Cyrillic
    (0x1D00, 0x1DBF),  # phonetic small capitals
    (0x1E00, 0x1FFF),  # Latin/Greek extended
    (0x2000, 0x206F),  # general punctuation, zero-width characters
    (0x2070, 0x209F),  # super/subscripts
    (0x2100, 0x218F),  # letterlike symbols, number forms
    (0x2460, 0x24FF),  # circled and parenthesised alphanumerics
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols (ideographic space)
    (0x3200, 0x33FF),  # enclosed CJK, squared words
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE10, 0xFE6F),  # vertical and small forms
    (0xFF00, 0xFFEF),  # full-width forms
    (0x1D400, 0x1D7FF),  # mathematical styled letters and digits
    (0x1F100, 0x1F1FF),  # enclosed alphanumeric supplement
)

# Characters that survive normalisation without being letters or digits: they end a match.
# Full-width punctuation stays as it is (not folded to ASCII) so that ordinary Chinese text has
# nothing to fold and takes the fast path.
BOUNDARIES = frozenset("\n,。!?;:、，！？；：")


def read_t2s() -> dict[str, str]:
    """OpenCC's character table; the first candidate is the common simplified form."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[1]:
            target = parts[1].split(" ")[0]
            if target != parts[0]:
                table[parts[0]] = target
    return table


def read_homoglyphs(paths: Iterable[Path]) -> dict[str, str]:
    """``FROM TO`` per line; later files win. ``#`` starts a comment."""
    table: dict[str, str] = {}
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                continue
            for char in parts[0]:
                table[char] = parts[1]
    return table


def _keep(char: str) -> bool:
    return char.isalnum() or char in BOUNDARIES


def build_char_map(t2s: Mapping[str, str], homoglyphs: Mapping[str, str]) -> dict[str, str]:
    """Map a character to its folded form: one char, several, or '' when it is a separator."""

    def fold(char: str) -> str:
        if char in BOUNDARIES:
            return char
        out = []
        for c in unicodedata.normalize("NFKC", char).lower():
            c = t2s.get(c, c)
            c = homoglyphs.get(c, c)
            out.append(c)
        return "".join(c for c in "".join(out) if _keep(c))

    candidates: set[str] = set(t2s) | set(homoglyphs)
    for low, high in _SCAN_RANGES:
        candidates.update(chr(cp) for cp in range(low, high + 1))
    char_map: dict[str, str] = {}
    for char in candidates:
        folded = fold(char)
        if folded != char:
            char_map[char] = folded
    return char_map
