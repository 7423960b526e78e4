"""Both models' first look at a message, in one pass over its clauses.

Nearly every work message is clean, and scoring it in full with either model costs more than the
rest of detection. Both models decompose over clauses (the text cut at ``，``/``。``): the
work-chat gate exactly (no n-gram of it spans two clauses), the COLD classifier as an upper bound
(``TextModel.clause_bound``). So one split and one remembered entry per clause give both the
gate's probability and whether the COLD score can reach its review threshold at all; a message
made of clauses seen before ("收到", "请查收会议纪要", "辛苦了") costs a split and a few look-ups.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import or_

from rules.detection.model import CLAUSE_SEPARATORS, TextModel, logit_of, split_clauses
from rules.detection.workchat import ClauseGate

# Bound of the memo of recent clauses. Each entry is a short string, a few numbers and a clause's
# characters; the memo is emptied when it reaches its size. Whole messages are remembered by the
# detector, and only those it found clean: what reaches the screen is nearly always new.
CLAUSE_MEMO_SIZE = 65536

# Per clause: the COLD bound's positive weights plus both edges and the gate's weight sum packed
# as one complex number (real and imaginary parts add apart, so a message's two sums are one
# addition per clause), the gate's n-gram count, the COLD n-gram count, then the rest of the COLD
# bound (leading edge, trailing edge, negative weights inside, n-gram bit mask), needed only when
# the quick bound cannot clear the message.
_Detail = tuple[float, float, float, int]
_Entry = tuple[complex, int, int, _Detail]
_NO_DETAIL: _Detail = (0.0, 0.0, 0.0, 0)
# The n-grams of a message are counted from below by hashing each into one bit of this many: a
# collision only undercounts, which keeps the bound an upper bound. About 90 n-grams in a
# 30-character message lose ~4 to collisions in 1,024 bits.
_MASK_BITS = 1024


class ModelScreen:
    """``screen(prepared)`` → (may the COLD score reach ``cold_review``, the gate's probability).
    Either model may be absent: then it never "may reach" / its probability is 0. Never says
    "cannot reach" of a text whose COLD probability reaches ``cold_review``."""

    __slots__ = (
        "_clause_memo",
        "_cold",
        "_gate",
        "_limit",
        "_loose_limit",
        "_sep",
    )

    def __init__(self, cold: TextModel | None, cold_review: float, gate: ClauseGate | None) -> None:
        self._cold = cold
        self._gate = gate
        # What the bound on ``logit - bias`` must reach; None: no bound applies, always score.
        self._limit: float | None = None
        if cold is not None and cold.bounded and 0.0 < cold_review < 1.0:
            self._limit = logit_of(cold_review) - cold.bias - 1e-9
        self._sep = cold.separator_bound if cold is not None and cold.bounded else 0.0
        # The loose bound compares squares (no square root per message); it clears nothing when
        # the limit is not positive or there is none.
        limit = self._limit
        self._loose_limit = limit * limit if limit is not None and limit > 0.0 else -1.0
        self._clause_memo: dict[str, _Entry] = {}

    def __call__(self, prepared: str) -> tuple[bool, float]:
        parts = split_clauses(prepared)  # the same cut the gate was trained on
        get = self._clause_memo.get
        # A plain loop: a message has a handful of clauses, and for so few a builtin's call
        # (map, zip, sum, max) costs more than the additions it saves.
        total = 0j
        gate_count = widest = 0
        for clause in parts:
            entry = get(clause)
            if entry is None:
                entry = self._remember(clause)
            total += entry[0]
            gate_count += entry[1]
            if entry[2] > widest:
                widest = entry[2]
        reach = False
        if self._cold is not None:
            # The loose bound first: the edges and negative sums left in the numerator (each at
            # least zero), every separator kind counted, and the largest clause's n-grams as the
            # count (the text holds all of them). It clears most messages.
            loose = total.real + len(CLAUSE_SEPARATORS) * self._sep
            reach = not (
                loose > 0.0 and loose * loose < self._loose_limit * widest
            ) and self._cold_may_reach(total.real, [self._remember(c)[3] for c in parts])
        gate = self._gate
        return reach, gate.probability_of(total.imag, gate_count) if gate is not None else 0.0

    def _remember(self, clause: str) -> _Entry:
        # Looked up again: a clause new to the memo may occur many times in one message (a
        # million empty clauses between a million commas must cost one entry, not a million).
        entry = self._clause_memo.get(clause)
        if entry is None:
            entry = self._entry(clause)
            if len(self._clause_memo) >= CLAUSE_MEMO_SIZE:
                self._clause_memo.clear()
            self._clause_memo[clause] = entry
        return entry

    def _entry(self, clause: str) -> _Entry:
        cold, gate = self._cold, self._gate
        full, cold_count, detail = 0.0, 0, _NO_DETAIL
        if cold is not None and cold.bounded:
            b = cold.clause_bound(clause)
            mask = 0
            for gram in b.grams:  # within one process ``hash`` is stable, which is all this needs
                mask |= 1 << (hash(gram) % _MASK_BITS)
            full, cold_count = b.positive + b.lead + b.trail, len(b.grams)
            detail = (b.lead, b.trail, b.negative, mask)
        weight, gate_count = gate.clause_terms(clause) if gate is not None else (0.0, 0)
        return complex(full, weight), gate_count, cold_count, detail

    def _cold_may_reach(self, full: float, details: list[_Detail]) -> bool:
        """The numerator: each clause's positive weights and both its edges (``full``, summed),
        less the text's own two ends, plus each separator kind's own weight once (an n-gram
        counts once however often it occurs), less the largest negative sum of one clause (the
        text holds all of its n-grams). The denominator: the distinct n-grams, counted from
        below by the bit masks. A positive numerator over a lower bound of the count bounds the
        score above; a numerator of zero or less bounds ``logit - bias`` by zero."""
        limit = self._limit
        if limit is None:
            return True
        leads, trails, negatives, masks = zip(*details)  # noqa: B905 (all four fields)
        separators = min(len(details) - 1, len(CLAUSE_SEPARATORS))
        upper = full + separators * self._sep - leads[0] - trails[-1] - max(negatives)
        if upper <= 0.0:
            return limit <= 0.0
        distinct = reduce(or_, masks).bit_count()
        return upper / math.sqrt(max(1, distinct)) >= limit
