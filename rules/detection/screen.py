"""Both models' first look at a message, in one pass over its clauses.

Nearly every work message is clean, and scoring it in full with either model costs more than the
rest of detection. Both models decompose over clauses (the text cut at ``，``/``。``): the
work-chat gate exactly (no n-gram of it spans two clauses), the COLD classifier as an upper bound
(``TextModel.clause_bound``). So one split and one remembered entry per clause give both the
gate's probability and whether the COLD score can reach its review threshold at all; a message
made of clauses seen before ("收到", "请查收会议纪要", "辛苦了") costs a split and a few look-ups,
and a message seen before costs one.
"""

from __future__ import annotations

import math

from rules.detection.model import TextModel, logit_of, split_clauses
from rules.detection.workchat import ClauseGate

# Bounds of the memos of recent clauses and messages. Each entry is a short string, a few numbers
# and a clause's characters; each memo is emptied when it reaches its size.
CLAUSE_MEMO_SIZE = 65536
TEXT_MEMO_SIZE = 65536

# Per clause: the COLD bound's (inside and both edges, leading edge, trailing edge, characters),
# then the gate's (weight sum, n-gram count).
_Entry = tuple[float, float, float, frozenset[str], float, int]
_NO_BOUND: tuple[float, float, float, frozenset[str]] = (0.0, 0.0, 0.0, frozenset())


class ModelScreen:
    """``screen(prepared)`` → (may the COLD score reach ``cold_review``, the gate's probability).
    Either model may be absent: then it never "may reach" / its probability is 0. Never says
    "cannot reach" of a text whose COLD probability reaches ``cold_review``."""

    __slots__ = ("_clause_memo", "_cold", "_gate", "_limit", "_sep", "_text_memo")

    def __init__(self, cold: TextModel | None, cold_review: float, gate: ClauseGate | None) -> None:
        self._cold = cold
        self._gate = gate
        # What the bound on ``logit - bias`` must reach; None: no bound applies, always score.
        self._limit: float | None = None
        if cold is not None and cold.bounded and 0.0 < cold_review < 1.0:
            self._limit = logit_of(cold_review) - cold.bias - 1e-9
        self._sep = cold.separator_bound if cold is not None and cold.bounded else 0.0
        self._clause_memo: dict[str, _Entry] = {}
        self._text_memo: dict[str, tuple[bool, float]] = {}

    def __call__(self, prepared: str) -> tuple[bool, float]:
        memo = self._text_memo
        known = memo.get(prepared)  # the same message again ("收到，谢谢", a reminder reposted)
        if known is not None:
            return known
        parts = split_clauses(prepared)
        clause_memo = self._clause_memo
        entries = list(map(clause_memo.get, parts))
        if None in entries:
            entries = [
                e if e is not None else self._remember(c)
                for c, e in zip(parts, entries, strict=True)
            ]
        # Transposed, each field is summed in C: this is the hot path of nearly every message.
        fulls, leads, trails, char_sets, weights, counts = zip(*entries, strict=True)
        # Every clause's bound with both its edges, less the text's own two ends.
        upper = sum(fulls) - leads[0] - trails[-1] + (len(parts) - 1) * self._sep
        gate = self._gate
        known = (
            self._cold_may_reach(prepared, upper, char_sets),
            gate.probability_of(sum(weights), sum(counts)) if gate is not None else 0.0,
        )
        if len(memo) >= TEXT_MEMO_SIZE:
            memo.clear()
        memo[prepared] = known
        return known

    def _remember(self, clause: str) -> _Entry:
        entry = self._entry(clause)
        if len(self._clause_memo) >= CLAUSE_MEMO_SIZE:
            self._clause_memo.clear()
        self._clause_memo[clause] = entry
        return entry

    def _entry(self, clause: str) -> _Entry:
        cold, gate = self._cold, self._gate
        inner, lead, trail, chars = (
            cold.clause_bound(clause) if cold is not None and cold.bounded else _NO_BOUND
        )
        terms = gate.clause_terms(clause) if gate is not None else (0.0, 0)
        return (inner + lead + trail, lead, trail, chars, *terms)

    def _cold_may_reach(
        self, prepared: str, upper: float, char_sets: tuple[frozenset[str], ...]
    ) -> bool:
        """From the cheapest bound to the dearest, stopping at the first below the limit. The
        numerator counts a character in two clauses twice, which only loosens it; the
        denominator needs a lower bound on the distinct characters: first the widest clause's,
        then the union of the clauses' (a set union per clause), then the whole text's bound."""
        if self._cold is None:
            return False
        limit = self._limit
        if limit is None:
            return True
        if upper <= 0.0:
            return limit <= 0.0  # nothing positive: the logit is at most the bias
        if upper / math.sqrt(max(1, 3 * max(map(len, char_sets)) - 3)) < limit:
            return False
        distinct = len(frozenset().union(*char_sets))
        if upper / math.sqrt(max(1, 3 * distinct - 3)) < limit:
            return False
        return self._cold.whole_text_bound(prepared) >= limit
