"""A second character n-gram model, for work-chat violations that no rule spells out.

The COLD model (``model.py``) knows social-media offence; it does not know a leaked personnel
list, a rumour passed on, a side-business advert or a card game for money. This model is trained
by ``scripts/train_workchat.py`` on labelled work-group messages (the repository's development
splits and a written training corpus, ``scripts/data/workchat/``) and works in two steps:

1. **The gate** — a binary linear model (violation or ordinary work talk) over *clause* n-grams:
   the text is cut at ``，`` and ``。``, each clause contributes its distinct character 1–3-grams,
   and the feature vector is their sum over clauses scaled by ``1 / sqrt(total)``. No n-gram
   spans two clauses, so a clause's weight sum and n-gram count can be remembered and a message
   made of clauses seen before ("收到", "请查收会议纪要", "辛苦了") costs a split and a few look-ups
   (``screen.py`` does this for both models at once).
2. **The second look** (``hidden.py``, when the file names one) — a message the gate scores at
   or above the ``screen`` threshold is scored again by one hidden layer over the same clause
   n-grams; that score meets the ``review`` and ``high`` thresholds. Without it, the gate's own.
3. **The category** — only for a message that gets that far: a multinomial linear model over
   the same n-grams picks which of the eight categories it is.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from rules.detection.hidden import HiddenGate
from rules.detection.model import ngrams, read_payload, split_clauses

WORKCHAT_PATH = Path(__file__).resolve().parent / "model" / "workchat_char_ngram.json.gz"
WORKCHAT_FORMAT = "groupguard-workchat/2"


def clauses(text: str) -> list[str]:
    """The non-empty clauses of prepared text: cut at the commonest sentence punctuation."""
    return [c for c in split_clauses(text) if c]


def clause_grams(text: str, max_n: int = 3) -> list[set[str]]:
    """Per clause, its distinct character n-grams (the gate's features, training and runtime)."""
    return [ngrams(c, max_n) for c in clauses(text)]


class ClauseGate:
    """P(violation) from clause n-grams: ``bias + sum of weights / sqrt(number of n-grams)``,
    summed over clauses. Loaded once per ``Detector.load``; weights immutable afterwards."""

    __slots__ = ("_get", "_size", "bias", "max_n")

    def __init__(self, weights: dict[str, float], bias: float, *, max_n: int = 3) -> None:
        self._get = weights.get
        self.bias = bias
        self.max_n = max_n
        self._size = len(weights)

    @classmethod
    def from_payload(cls, data: dict) -> ClauseGate:
        scale = float(data["scale"])  # weights are stored as integers: w = stored * scale
        weights = {g: w * scale for g, w in data["weights"].items()}
        return cls(weights, float(data["bias"]), max_n=int(data["max_n"]))

    def __len__(self) -> int:
        return self._size

    def clause_terms(self, clause: str) -> tuple[float, int]:
        """One clause's share of the score: its n-grams' weight sum and their number."""
        grams = ngrams(clause, self.max_n)
        return sum(map(self._get, grams, repeat(0.0))), len(grams)

    def probability_of(self, total: float, count: int) -> float:
        """P(violation) from the clause shares summed over a message."""
        z = self.bias + (total / math.sqrt(count) if count else 0.0)
        return 0.0 if z < -30 else 1.0 / (1.0 + math.exp(-z))

    def probability(self, text: str) -> float:
        """P(violation) for prepared text (``ModelScreen`` gives the same, remembered)."""
        total, count = 0.0, 0
        for clause in clauses(text):
            weight, grams = self.clause_terms(clause)
            total += weight
            count += grams
        return self.probability_of(total, count)


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    category: str
    share: float  # the category's softmax share among the eight
    top: tuple[str, ...]  # the n-grams that weighed most for it


class CategoryModel:
    """Multinomial logistic regression over distinct char n-grams (scored only past the gate)."""

    __slots__ = ("_bias", "_unit", "_weights", "max_n", "names")

    def __init__(
        self,
        names: tuple[str, ...],
        weights: Mapping[str, Sequence[float]],
        bias: tuple[float, ...],
        *,
        max_n: int = 3,
        unit: float = 1.0,
    ) -> None:
        """``weights``: per n-gram, one weight per category, in units of ``unit`` (the stored
        integers as they are: scaling them all at load would cost more than every guess of a
        run, since only a message the gate lets through is guessed)."""
        if len(bias) != len(names) or any(len(w) != len(names) for w in weights.values()):
            raise ValueError("category model: every weight row needs one value per category")
        self.names = names
        self._weights = weights
        self._bias = bias
        self._unit = unit
        self.max_n = max_n

    @classmethod
    def from_payload(cls, data: dict) -> CategoryModel:
        return cls(
            tuple(data["names"]),
            data["weights"],
            tuple(float(b) for b in data["bias"]),
            max_n=int(data["max_n"]),
            unit=float(data["scale"]),
        )

    def guess(self, text: str, top: int = 3) -> CategoryGuess:
        grams = ngrams(text, self.max_n)
        scale = self._unit / math.sqrt(len(grams)) if grams else 0.0
        rows = [(g, row) for g in grams if (row := self._weights.get(g)) is not None]
        scores = [b + scale * sum(row[i] for _, row in rows) for i, b in enumerate(self._bias)]
        best = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[best]
        share = 1.0 / sum(math.exp(s - peak) for s in scores)
        # Words explain better than single characters: n-grams of two or more characters first;
        # one with punctuation in it ("婚，") explains nothing to a reader.
        heavy = sorted(
            ((len(g) > 1, row[best], g) for g, row in rows if row[best] > 0 and g.isalnum()),
            reverse=True,
        )
        shown: list[str] = []
        for _, _, gram in heavy:
            if any(gram in g for g in shown):
                continue  # a longer n-gram explains better than its own pieces
            shown.append(gram)
            if len(shown) == top:
                break
        return CategoryGuess(self.names[best], share, tuple(shown))


@dataclass(frozen=True, slots=True)
class WorkchatModel:
    gate: ClauseGate
    categories: CategoryModel
    thresholds: dict[str, float]  # review, high; with a second look, also screen
    meta: dict
    hidden: HiddenGate | None = None

    @classmethod
    def load(cls, path: Path = WORKCHAT_PATH) -> WorkchatModel:
        data = read_payload(path)
        if data.get("format") != WORKCHAT_FORMAT:
            raise ValueError(f"{path}: not a {WORKCHAT_FORMAT} model")
        hidden = None
        if (named := data.get("hidden")) is not None:
            # Named with its digest: a second look trained beside another gate is refused.
            try:
                blob = (path.parent / named["file"]).read_bytes()
            except OSError as exc:  # copied without the file beside it
                raise ValueError(f"{path}: its second look {named['file']} cannot be read") from exc
            if hashlib.sha256(blob).hexdigest() != named["sha256"]:
                raise ValueError(f"{path}: {named['file']} is not the one trained with it")
            hidden = HiddenGate.from_stored(blob)
        return cls(
            ClauseGate.from_payload(data["gate"]),
            CategoryModel.from_payload(data["categories"]),
            {k: float(v) for k, v in data.get("thresholds", {}).items()},
            {k: v for k, v in data.items() if k not in ("gate", "categories")},
            hidden,
        )

    def __len__(self) -> int:
        return len(self.gate)
