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
# Where both models cut a message into clauses: the commonest sentence punctuation left in
# prepared text. The first is the one every other is folded into.
CLAUSE_SEPARATORS = ("，", "。")


@dataclass(frozen=True, slots=True)
class ClauseBound:
    """One clause's share of an upper bound on a message's score (``TextModel.clause_bound``)."""

    positive: float  # the positive weights of its distinct n-grams
    negative: float  # minus the negative ones: the message holds them all, so at least this
    lead: float  # n-grams across the separator before it, at most
    trail: float  # n-grams across the separator after it, at most
    grams: frozenset[str]  # its distinct n-grams (the message has at least as many)


def split_clauses(text: str) -> list[str]:
    """``text`` cut at every clause separator, empty clauses kept (``"甲，，乙"`` is three)."""
    first = CLAUSE_SEPARATORS[0]
    for sep in CLAUSE_SEPARATORS[1:]:
        text = text.replace(sep, first)
    return text.split(first)


def logit_of(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


class TextModel:
    """Loaded once per ``Detector.load``; its weights are immutable afterwards."""

    __slots__ = (
        "_bigram_bound",
        "_get",
        "_keys",
        "_memo",
        "_sep_bound",
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
        # For the upper bound: the separators' own positive weights, and for each bigram its
        # positive weight plus the largest positive weight of a trigram that starts with it.
        self._sep_bound = max(max(weights.get(sep, 0.0), 0.0) for sep in CLAUSE_SEPARATORS)
        positive = [(g, w) for g, w in weights.items() if w > 0]
        bigrams = {g: w for g, w in positive if len(g) == 2}
        longest: dict[str, float] = {}
        for g, w in positive:
            if len(g) == 3 and w > longest.get(g[:2], 0.0):
                longest[g[:2]] = w
        for b, w in longest.items():
            bigrams[b] = bigrams.get(b, 0.0) + w
        self._bigram_bound = bigrams if max_n <= 3 else None  # the bound covers 1- to 3-grams
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

    @property
    def bounded(self) -> bool:
        """Whether ``clause_bound`` applies (n-grams of up to 3)."""
        return self._bigram_bound is not None

    @property
    def separator_bound(self) -> float:
        """A clause separator's own positive weight at most, counted once per separator."""
        return self._sep_bound

    def clause_bound(self, clause: str) -> ClauseBound:
        """One clause's share of an upper bound on ``logit - bias`` of any message it is part
        of (the message cut at every clause separator). Inside the clause, its n-grams' weights
        exactly, positive and negative apart; across each separator, at most the bigram (with
        its heaviest trigram) that starts at the clause's last character or at the separator,
        and the trigram of its last two characters and the separator."""
        bigrams = self._bigram_bound
        assert bigrams is not None
        get = self._get
        grams = frozenset(ngrams(clause, self.max_n))
        weights = [w for w in map(get, grams, repeat(0.0)) if w]
        positive = sum(w for w in weights if w > 0)
        negative = positive - sum(weights)
        seps = CLAUSE_SEPARATORS
        if not clause:  # two separators in a row
            lead = max(bigrams.get(a + b, 0.0) for a in seps for b in seps)
            return ClauseBound(positive, negative, lead, 0.0, grams)
        lead = max(bigrams.get(sep + clause[0], 0.0) for sep in seps)
        trail = max(bigrams.get(clause[-1] + sep, 0.0) for sep in seps)
        if len(clause) >= 2:
            trail += max(max(get(clause[-2:] + sep, 0.0), 0.0) for sep in seps)
        return ClauseBound(positive, negative, lead, trail, grams)

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
