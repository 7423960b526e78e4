"""One Aho-Corasick automaton over every pattern: lexicon terms, allow phrases, context cues and
heuristic triggers. Each pattern carries the roles it plays, so one pass over the normalised text
yields everything the detector needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import ahocorasick_rs

TERM, ALLOW, CUE, TRIGGER = range(4)


@dataclass(frozen=True, slots=True)
class Role:
    role: int  # TERM / ALLOW / CUE / TRIGGER
    ref: int  # index into the detector's term files, allow files or heuristics


class Matcher:
    def __init__(self, patterns: Sequence[str]) -> None:
        self._size = len(patterns)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(
                list(patterns),
                matchkind=ahocorasick_rs.MatchKind.Standard,
                store_patterns=False,
            )
            if patterns
            else None
        )

    def __len__(self) -> int:
        return self._size

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) of every occurrence, overlaps included."""
        if self._automaton is None or not text:
            return []
        return self._automaton.find_matches_as_indexes(text, overlapping=True)

    def finder(self) -> Callable[[str], list[tuple[int, int, int]]]:
        """``find`` without the Python call around the automaton (the per-message hot path)."""
        if self._automaton is None:
            return self.find
        return partial(self._automaton.find_matches_as_indexes, overlapping=True)
