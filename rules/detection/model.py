"""A character n-gram linear classifier for offensive phrasing that no word list spells out.

Trained by ``scripts/train_classifier.py`` (scikit-learn, logistic regression) on COLD's train
split (Deng et al., EMNLP 2022, Apache-2.0); thresholds chosen on COLD's dev split. Inference is
plain Python over a ``{n-gram: weight}`` table, so the bot needs neither scikit-learn nor numpy.

Features: the distinct character 1–3-grams of the detector's prepared text (folded, separators
dropped, repeats kept), each worth ``1 / sqrt(number of distinct n-grams)``; the score is the
logistic of ``bias + sum of weights``.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "model" / "cold_char_ngram.json.gz"
FORMAT = "groupguard-char-ngram-lr/1"


# Slice objects of the 2- to max_n-grams of a text of a given length: built once per length, so
# cutting the n-grams of a message is one ``map`` in C instead of a comprehension per length.
# Bounded like any cache of a pure function; long texts are rare and cheap to re-slice.
@lru_cache(maxsize=512)
def _gram_slices(length: int, max_n: int) -> tuple[slice, ...]:
    return tuple(slice(i, i + k) for k in range(2, max_n + 1) for i in range(length - k + 1))


def ngrams(text: str, max_n: int = 3) -> set[str]:
    """The distinct character n-grams of ``text``, 1 to ``max_n`` characters long."""
    grams = set(text)
    grams.update(map(text.__getitem__, _gram_slices(len(text), max_n)))
    return grams


def read_payload(path: Path) -> dict:
    """A stored model: gzip-compressed JSON."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True, slots=True)
class ModelScore:
    probability: float
    top: tuple[tuple[str, float], ...]  # the n-grams that pushed the score up most


# Scores of recent texts: work chat repeats itself ("收到，谢谢", "好的，马上安排"). Bounded: the
# memo is emptied when it reaches this size.
MEMO_SIZE = 4096
# Bounds of recent clauses and messages (see ``TextModel.below``): whole messages repeat
# ("收到，谢谢"), their clauses far more ("请查收会议纪要", "辛苦了"). Each entry is a short string
# and a few floats (and a clause's characters); each memo is emptied when it reaches this size.
CLAUSE_MEMO_SIZE = 65536
# The clause separator for ``below``: the commonest sentence punctuation left in prepared text.
_CLAUSE_SEP = "，"
# A clause's share of that bound: inside it, across its leading and its trailing separator, and
# its characters.
_ClauseBound = tuple[float, float, float, frozenset[str]]


@lru_cache(maxsize=16)
def _logit_of(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


class TextModel:
    """Loaded once per ``Detector.load``; its weights are immutable afterwards."""

    __slots__ = (
        "_bigram_bound",
        "_clause_memo",
        "_get",
        "_keys",
        "_memo",
        "_sep_bound",
        "_text_memo",
        "_unigram_bound",
        "_weights",
        "bias",
        "max_n",
        "meta",
        "thresholds",
    )

    def __init__(
        self,
        weights: dict[str, float],
        bias: float,
        *,
        max_n: int = 3,
        thresholds: dict[str, float] | None = None,
        meta: dict | None = None,
    ) -> None:
        self._weights = weights
        self._keys = weights.keys()
        self._get = weights.get
        self._memo: dict[str, float] = {}
        # For ``below``: each character's positive weight, and for each bigram its positive weight
        # plus the largest positive weight of a trigram that starts with it.
        self._unigram_bound = {g: w for g, w in weights.items() if len(g) == 1 and w > 0}
        bigrams: dict[str, float] = {}
        if max_n >= 2:
            for g, w in weights.items():
                if w <= 0:
                    continue
                if len(g) == 2:
                    bigrams[g] = bigrams.get(g, 0.0) + w
            if max_n >= 3:
                longest: dict[str, float] = {}
                for g, w in weights.items():
                    if len(g) == 3 and w > longest.get(g[:2], 0.0):
                        longest[g[:2]] = w
                for b, w in longest.items():
                    bigrams[b] = bigrams.get(b, 0.0) + w
        self._bigram_bound = bigrams if max_n <= 3 else None  # the bound covers 1- to 3-grams
        # The separator's own weight, counted once per separator when clauses are bounded apart.
        self._sep_bound = self._unigram_bound.get(_CLAUSE_SEP, 0.0)
        self._clause_memo: dict[str, _ClauseBound] = {}
        # Per message: the bound, and whether the whole-text bound has tightened it already.
        self._text_memo: dict[str, tuple[float, bool]] = {}
        self.bias = bias
        self.max_n = max_n
        self.thresholds = dict(thresholds or {})
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TextModel:
        data = read_payload(path)
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} model")
        return cls.from_payload(data)

    @classmethod
    def from_payload(cls, data: dict) -> TextModel:
        """A model from its stored form (the JSON that ``load`` reads)."""
        scale = float(data["scale"])  # weights are stored as integers: w = stored * scale
        weights = {g: w * scale for g, w in data["weights"].items()}
        return cls(
            weights,
            float(data["bias"]),
            max_n=int(data["max_n"]),
            thresholds=data.get("thresholds"),
            meta={k: v for k, v in data.items() if k not in ("weights", "bias")},
        )

    def __len__(self) -> int:
        return len(self._weights)

    def _logit(self, grams: set[str]) -> float:
        if not grams:
            return self.bias
        total = sum(map(self._get, grams, repeat(0.0)))
        return self.bias + total / math.sqrt(len(grams))

    def below(self, text: str, probability: float) -> bool:
        """True when ``probability(text)`` is certainly below ``probability``, decided from an
        upper bound on the score that costs a fraction of scoring. The numerator bounds the sum
        of the positive weights present: per clause (the text split at ``，``), its distinct
        characters' positive weights plus, at every bigram position, the bigram's positive weight
        and the heaviest positive trigram that may follow it; per separator, ``_sep_bound`` (the
        bigrams across the clause edge). A character in two clauses counts twice, which only
        loosens the bound. The denominator is a lower bound on the number of distinct n-grams
        (3 × distinct characters − 3: each distinct character but the first one or two ends a
        distinct bigram and a distinct trigram). Clause numerators are remembered, so a message
        made of clauses seen before costs a split, a few dict look-ups and a set union, and the
        bound of a message seen before costs one look-up. False means "score it"; never a wrong
        True."""
        if self._bigram_bound is None or not 0.0 < probability < 1.0:
            return False
        limit = _logit_of(probability) - self.bias - 1e-9
        memo = self._text_memo
        known = memo.get(text)  # the same message again ("收到，谢谢", a reminder reposted)
        if known is None:
            if len(memo) >= CLAUSE_MEMO_SIZE:
                memo.clear()
            known = memo[text] = (self._scaled_bound(text), False)
        scaled, tightened = known
        if scaled < limit or tightened:
            return scaled < limit
        # The clause-wise bound counts a character shared by clauses once per clause; before
        # scoring in full, try the bound over the whole text (distinct characters counted once).
        scaled = min(scaled, self._whole_text_bound(text))
        memo[text] = (scaled, True)
        return scaled < limit

    def _whole_text_bound(self, text: str) -> float:
        """``below``'s bound on ``logit - bias`` taken over the whole text at once: tighter than
        the clause-wise one when clauses share characters, and dearer (a ``set`` of the text and
        a bigram string per position)."""
        chars = set(text)
        upper = self._positive_sum(text, chars)
        return max(upper, 0.0) / math.sqrt(max(1, 3 * len(chars) - 3))

    def _positive_sum(self, text: str, chars: Collection[str]) -> float:
        """The positive weights of ``chars``, plus at every bigram position of ``text`` the
        bigram's positive weight and the heaviest positive trigram that may follow it."""
        bigrams = self._bigram_bound
        assert bigrams is not None
        upper = sum(map(self._unigram_bound.get, chars, repeat(0.0)))
        return upper + sum(
            map(bigrams.get, map(text.__getitem__, _gram_slices(len(text), 2)), repeat(0.0))
        )

    def _scaled_bound(self, text: str) -> float:
        """``below``'s upper bound on ``logit - bias`` for ``text``."""
        memo = self._clause_memo
        clauses = text.split(_CLAUSE_SEP)
        last = len(clauses) - 1
        upper = last * self._sep_bound
        chars: frozenset[str] | None = None
        for i, clause in enumerate(clauses):
            known = memo.get(clause)
            if known is None:
                known = self._clause_bound(clause)
                if len(memo) >= CLAUSE_MEMO_SIZE:
                    memo.clear()
                memo[clause] = known
            inner, lead, trail, seen = known
            upper += inner + (lead if i else 0.0) + (trail if i < last else 0.0)
            # Union of remembered character sets: ``set(text)`` would allocate a string per
            # CJK character, which costs more than the rest of the bound.
            chars = seen if chars is None else chars | seen
        if upper <= 0.0:
            return 0.0  # nothing positive: the logit is at most the bias
        distinct = len(chars) if chars is not None else 0
        return upper / math.sqrt(max(1, 3 * distinct - 3))

    def _clause_bound(self, clause: str) -> _ClauseBound:
        """``below``'s numerator for one clause: inside it, and the bigram (with its heaviest
        trigram) across its leading and its trailing separator."""
        bigrams = self._bigram_bound
        assert bigrams is not None
        chars = frozenset(clause)
        inner = self._positive_sum(clause, chars)
        if not clause:
            return inner, bigrams.get(_CLAUSE_SEP * 2, 0.0), 0.0, chars
        lead = bigrams.get(_CLAUSE_SEP + clause[0], 0.0)
        return inner, lead, bigrams.get(clause[-1] + _CLAUSE_SEP, 0.0), chars

    def probability(self, text: str) -> float:
        """P(offensive) for prepared text (remembered for the last few thousand texts)."""
        memo = self._memo
        p = memo.get(text)
        if p is None:
            z = self._logit(ngrams(text, self.max_n))
            p = 0.0 if z < -30 else 1.0 / (1.0 + math.exp(-z))
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[text] = p
        return p

    def explain(self, text: str, top: int = 3) -> ModelScore:
        """The probability and the ``top`` n-grams with the largest positive weights."""
        grams = ngrams(text, self.max_n)
        z = self._logit(grams)
        w = self._weights
        present = sorted(((w[g], g) for g in self._keys & grams if w[g] > 0), reverse=True)
        # A longer n-gram explains better than its own pieces: skip a piece of one already shown.
        shown: list[tuple[str, float]] = []
        for weight, gram in present:
            if any(gram in g for g, _ in shown):
                continue
            shown.append((gram, round(weight, 3)))
            if len(shown) == top:
                break
        return ModelScore(1.0 / (1.0 + math.exp(-max(z, -30.0))), tuple(shown))
