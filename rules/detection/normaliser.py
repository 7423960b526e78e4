"""Normaliser: fold evasions away while keeping a map back to the original text.

Full/half width, case, traditional → simplified, circled and styled letters, homoglyphs, separators
inserted between characters (``赌*博``, ``机 密``) and repeated CJK characters (``赌赌博``) all fold
to one canonical form. Lexicon terms go through the same function, so both sides agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rules.detection.chartable import BOUNDARIES

SENTENCE_ENDS = frozenset("\n。!?;！？；")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SENTINEL = "\x00"


class Normalised:
    """``text`` is what the matcher sees; ``folded`` is the original with only one-to-one folds
    applied (same length, same offsets) for heuristics that need punctuation and digits.

    The offset map back to the original is built only when a span is asked for: most messages
    have no match at all, and building it costs more than the rest of the detector.
    """

    __slots__ = ("_ends", "_normaliser", "_starts", "folded", "original", "text")

    def __init__(
        self,
        original: str,
        folded: str,
        text: str,
        normaliser: Normaliser | None,
        starts: tuple[int, ...] | None = None,
        ends: tuple[int, ...] | None = None,
    ) -> None:
        self.original = original
        self.folded = folded
        self.text = text
        self._normaliser = normaliser  # None: the identity map (the common fast path)
        self._starts = starts
        self._ends = ends

    @property
    def identity(self) -> bool:
        return self._normaliser is None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original-text span of ``text[start:end]``."""
        if self._normaliser is None:
            return start, end
        if self._starts is None or self._ends is None:
            _, self._starts, self._ends = self._normaliser.offsets(self.original, self.folded)
        return self._starts[start], self._ends[end - 1]

    def sentence(self, pos: int) -> tuple[int, int]:
        """Bounds (in ``text``) of the sentence holding ``pos``; context words act within it."""
        text = self.text
        lo = pos
        while lo > 0 and text[lo - 1] not in SENTENCE_ENDS:
            lo -= 1
        hi = pos
        while hi < len(text) and text[hi] not in SENTENCE_ENDS:
            hi += 1
        return lo, hi


class Normaliser:
    def __init__(self, char_map: Mapping[str, str]) -> None:
        # Characters that delete or expand: only the slow path may touch them. Word characters
        # among them fold to NUL so that the one fast-path regex notices them.
        self._special: dict[str, str] = {c: v for c, v in char_map.items() if len(v) != 1}
        table: dict[int, str] = {ord(c): v for c, v in char_map.items() if len(v) == 1}
        for c in self._special:
            if re.match(r"\w", c):
                table[ord(c)] = _SENTINEL
        self._fold_table = table
        self._fold_keys = frozenset(char_map)
        boundary_class = "".join(re.escape(c) for c in sorted(BOUNDARIES))
        self._slow_re = re.compile(rf"[^\w{boundary_class}]|_|([{_CJK}])\1")
        self._drop_re = re.compile(rf"[^\w{boundary_class}]+|_+")
        self._repeat_re = re.compile(rf"([{_CJK}])\1+")

    def fold(self, text: str) -> str:
        """One-to-one folding only: same length as ``text``."""
        folded = text.translate(self._fold_table)
        if _SENTINEL in folded:
            folded = "".join(o if f == _SENTINEL else f for o, f in zip(text, folded, strict=True))
        return folded

    def normalise(self, text: str) -> Normalised:
        # The membership test is three times cheaper than translate, and most messages need none.
        folded = text if self._fold_keys.isdisjoint(text) else text.translate(self._fold_table)
        if self._slow_re.search(folded) is None:
            return Normalised(text, folded, folded, None)
        if _SENTINEL in folded:  # expanding characters: build the map now, it gives the text
            out, starts, ends = self.offsets(text, folded)
            return Normalised(text, self.fold(text), out, self, starts, ends)
        out = self._repeat_re.sub(r"\1", self._drop_re.sub("", folded))
        return Normalised(text, folded, out, self)

    def offsets(self, text: str, folded: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
        """The normalised text and, per character of it, its original start and end.

        Must agree exactly with the regex path of ``normalise``: separators dropped, then runs of
        one CJK character collapsed to one.
        """
        special = self._special
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = ""
        for i, char in enumerate(folded):
            if char == _SENTINEL:
                char = text[i]
            for c in special.get(char, char):
                if not (c.isalnum() or c in BOUNDARIES):
                    continue
                if c == last and "\u3400" <= c <= "\u9fff":
                    ends[-1] = i + 1
                    continue
                out.append(c)
                starts.append(i)
                ends.append(i + 1)
                last = c
        return "".join(out), tuple(starts), tuple(ends)

    def term(self, term: str) -> str:
        """A lexicon term in matcher form."""
        return self.normalise(term).text
