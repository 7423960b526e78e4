"""Normaliser: fold evasions away while keeping a map back to the original text.

Full/half width, case, traditional → simplified, circled and styled letters, homoglyphs, separators
inserted between characters (``赌*博``, ``机 密``) and repeated CJK characters (``赌赌博``) all fold
to one canonical form. Lexicon terms go through the same function, so both sides agree.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping

from rules.detection.chartable import BOUNDARIES

SENTENCE_ENDS = frozenset("\n。!?;！？；")
_SENTENCE_END_RE = re.compile("[\n。!?;！？；]")


class SentenceIndex:
    """Sentence bounds of one text in O(log n) per query (a scan per hit was quadratic on long
    messages with many hits in one sentence)."""

    __slots__ = ("_ends", "_n")

    def __init__(self, text: str) -> None:
        self._ends = [m.start() for m in _SENTENCE_END_RE.finditer(text)]
        self._n = len(text)

    def bounds(self, pos: int) -> tuple[int, int]:
        ends = self._ends
        k = bisect_left(ends, pos)
        return (ends[k - 1] + 1 if k else 0), (ends[k] if k < len(ends) else self._n)

    def index(self, pos: int) -> int:
        """Which sentence ``pos`` is in (0, 1, …)."""
        return bisect_left(self._ends, pos)


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SENTINEL = "\x00"


class Normalised:
    """``text`` is what the matcher sees; ``folded`` is the original with only one-to-one folds
    applied (same length, same offsets) for heuristics that need punctuation and digits.

    The offset map back to the original is built only when a span is asked for: most messages
    have no match at all, and building it costs more than the rest of the detector.
    """

    __slots__ = ("_ends", "_normaliser", "_sentences", "_starts", "folded", "original", "text")

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
        self._sentences: SentenceIndex | None = None

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
        if self._sentences is None:
            self._sentences = SentenceIndex(self.text)
        return self._sentences.bounds(pos)


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
        boundary_class = "".join(re.escape(c) for c in sorted(BOUNDARIES))
        self._drop_re = re.compile(rf"[^\w{boundary_class}]+|_+")
        # The second and later characters of a run; removing them leaves the first.
        self._repeat_re = re.compile(rf"(?<=([{_CJK}]))\1+")
        # What ``prepare`` replaces, per character: the fold, or "" for a separator. Characters
        # outside the Basic Multilingual Plane are looked up (or judged) one by one.
        self._replacement: dict[str, str] = dict(char_map)
        non_word = re.compile(rf"[^\w{boundary_class}]|_")
        bmp = "".join(map(chr, range(0x10000)))
        for char in non_word.findall(bmp):
            self._replacement.setdefault(char, "")
        changed = [c for c in self._replacement if ord(c) < 0x10000]
        resized = [c for c in changed if len(self._replacement[c]) != 1]
        # One character class each: the regex engine tests a class with a bitmap, so one search
        # over a plain message costs about as much as a set-membership test. Every character
        # beyond the BMP (emoji, styled letters, rare ideographs) takes the careful path.
        self._changed_re = re.compile(f"[{_char_class(changed)}\U00010000-\U0010ffff]")
        self._resized_re = re.compile(f"[{_char_class(resized)}\U00010000-\U0010ffff]")

    def fold(self, text: str) -> str:
        """One-to-one folding only: same length as ``text``."""
        folded = text.translate(self._fold_table)
        if _SENTINEL in folded:
            folded = "".join(o if f == _SENTINEL else f for o, f in zip(text, folded, strict=True))
        return folded

    def _replace(self, match: re.Match[str]) -> str:
        char = match.group()
        out = self._replacement.get(char)
        if out is None:  # beyond the BMP and not folded: kept if it is a word character
            out = char if char.isalnum() else ""
        return out

    def prepare(self, text: str) -> tuple[str, bool]:
        """Folded text with separators dropped but repeated characters NOT collapsed, and whether
        it is the same length as ``text`` with every offset unchanged.

        The detector's fast path: a plain message costs one regex search. The result equals
        ``normalise(text).text`` whenever it has no repeated CJK character.
        """
        if self._changed_re.search(text) is None:
            return text, True
        return self._changed_re.sub(self._replace, text), self._resized_re.search(text) is None

    def collapse(self, text: str) -> str:
        """Runs of one CJK character collapsed to one (``赌赌博`` → ``赌博``)."""
        return self._repeat_re.sub("", text)

    def normalise(self, text: str) -> Normalised:
        out, same_offsets = self.prepare(text)
        collapsed = self.collapse(out)
        if same_offsets and len(collapsed) == len(out):
            return Normalised(text, out, out, None)  # one-to-one folds at most
        return Normalised(text, self.fold(text), collapsed, self)

    def offsets(self, text: str, folded: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
        """The normalised text and, per character of it, its original start and end.

        Must agree exactly with ``normalise``: separators dropped, then runs of one CJK
        character collapsed to one.
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


def _char_class(chars: list[str]) -> str:
    """A regex character class body for ``chars``, as ranges of consecutive code points."""
    codes = sorted(set(map(ord, chars)))
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = chr(codes[i]), chr(codes[j])
        parts.append(re.escape(first) if i == j else f"{re.escape(first)}-{re.escape(last)}")
        i = j + 1
    return "".join(parts)
