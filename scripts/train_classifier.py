"""Train the shipped offensive-language classifier (rules/detection/model/cold_char_ngram.json.gz).

    pip install -e '.[train]'
    python scripts/train_classifier.py [--data ../shared/data/cold] [--out PATH] [--check]

Data: COLD (Deng et al., "COLD: A Benchmark for Chinese Offensive Language Detection", EMNLP
2022; github.com/thu-coai/COLDataset, Apache-2.0). The model is fitted on ``train.csv`` and the
ordinary messages of the work-chat training data (``work_chat_ordinary``) as more safe examples;
the features are character 1–3-grams scaled by their NB log-count ratios (NB-LR, Wang & Manning
2012: the shipped model alone catches 50.3 % of dev's offensive comments at 1 % of safe ones
flagged, round 8's plain logistic regression 38.5 %); ``C`` and the thresholds are chosen on
``dev.csv``, ``C`` as the one whose thresholds catch the most offensive comments:

- ``high``: the lowest threshold at which the whole detector (lexicons + heuristics + PII + model
  hits at or above it, exactly as ``Detector.detect`` adds them: not beside a hit of the model
  hit's category, not with an enforcement cue) flags at most ``--safe-target`` of dev's safe
  comments (2.9 %: issue 17's aim is 3 %; the margin keeps COLD's test split from being pushed
  over the aim by chance, at the cost of about two points of offensive comments caught), or
  at which the model's acted-on hits add at most
  ``--added-safe`` of them to what the other checks flag (when the other checks alone flag more
  than the target already);
- ``review``: the lowest threshold at which hits between ``review`` and ``high`` (sent to the
  admins, not acted on) add at most ``--review-budget`` of dev's safe comments on top, and not
  below ``--review-floor`` (0.9: ordinary work-chat messages of the development splits of
  tests/data/detection_eval.jsonl score up to ~0.88; COLD's comments are not work chat); ``high``
  is not below the floor either.

The rest of the detector the thresholds are chosen beside includes the work-chat model: its gate
sends some of the rules' words to the admins instead (round 10) and flags a few comments itself,
and what is only sent to the admins flags nothing.

Reproducible within a printed tolerance: liblinear is deterministic, weights are stored as
rounded integers and the gzip header carries no time stamp, so the same data and library
versions re-create the file bit for bit on one machine; elsewhere liblinear's floating point may
move a few weights by one unit of 1e-4. Every training run compares itself with the shipped file
before writing and prints: byte identity, how many weights differ and the largest difference
(tolerance ``WEIGHT_TOLERANCE_UNITS`` = 3 units = 3e-4 per weight; an n-gram may appear or vanish
only at the pruning line), bias, C, thresholds, and the largest dev score difference (tolerance
1e-3). ``--check`` does the same without writing and exits 1 when outside the tolerances.
``--thresholds-only`` keeps the shipped weights and chooses the thresholds again, for a change of
the lexicons (which the thresholds are chosen beside).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from rules.detection import Detector  # noqa: E402
from rules.detection.model import FORMAT, MODEL_PATH, TextModel, ngrams  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cold"
MAX_N = 3
MIN_DF = 2
SCALE = 1e-4  # weight resolution in the file
PRUNE = 0.02  # weights smaller than this (in absolute value) are dropped
C_GRID = (2.0, 4.0, 8.0, 16.0)
TOLERANCE = 1e-3  # largest dev score difference a retrain may show against the shipped file
# Largest difference of one stored weight a retrain may show, in units of SCALE: liblinear's
# floating point moves a handful of weights by one unit between machines (issue 17: 5 weights by
# 1e-4); 3 units leave room for that and still catch a change of data, features or C.
WEIGHT_TOLERANCE_UNITS = 3


def read(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["TEXT"] for r in rows], np.array([int(r["label"]) for r in rows])


def featurise(texts: list[str], vocab: dict[str, int]) -> sp.csr_matrix:
    indptr, indices, data = [0], [], []
    for text in texts:
        grams = ngrams(text, MAX_N)
        cols = sorted(vocab[g] for g in grams if g in vocab)
        value = 1.0 / math.sqrt(len(grams)) if grams else 0.0
        indices.extend(cols)
        data.extend([value] * len(cols))
        indptr.append(len(indices))
    return sp.csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab)))


def work_chat_ordinary() -> list[str]:
    """The ordinary messages of the work-chat training data (what train_workchat.py trains on,
    held-out splits left out), as more safe examples. COLD's comments are not work chat: on them
    alone the model learns that 垃圾 is an insult and flags "垃圾分类明天检查"; with them, ordinary
    messages of unseen writers scoring ≥ 0.9 fell from 11 to 1 of 2,310, COLD dev unchanged."""
    from workchat_data import load_workchat  # a sibling script, on sys.path when run as one

    return [r["text"] for r in load_workchat() if not r["labels"]]


def build_vocab(texts: list[str]) -> dict[str, int]:
    df: dict[str, int] = {}
    for text in texts:
        for g in ngrams(text, MAX_N):
            df[g] = df.get(g, 0) + 1
    return {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= MIN_DF))}


def nb_ratios(x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """Per n-gram log-count ratio of offensive to safe comments (add-one smoothed): the NB part
    of NB-LR (Wang & Manning 2012). Scaling each feature by it before the logistic regression
    lets the regression start from what each n-gram says on its own."""
    present = (x > 0).astype(np.float64)
    pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


@dataclass(frozen=True)
class Candidate:
    c: float
    auc: float
    weights: dict[str, int]  # n-gram → weight in units of SCALE
    bias: float

    def model(self) -> TextModel:
        return TextModel({g: w * SCALE for g, w in self.weights.items()}, round(self.bias, 6),
                         max_n=MAX_N)  # fmt: skip


def train(
    prepared_train: list[str], y_train: np.ndarray, prepared_dev: list[str], y_dev
) -> list[Candidate]:
    """One fitted model per C of ``C_GRID``; ``main`` keeps the one whose thresholds catch the
    most offensive dev comments (AUC ranks the whole curve, the detector works at one point)."""
    vocab = build_vocab(prepared_train)
    x_train, x_dev = featurise(prepared_train, vocab), featurise(prepared_dev, vocab)
    ratios = nb_ratios(x_train, y_train)
    scale = sp.diags(ratios)
    x_train, x_dev = x_train @ scale, x_dev @ scale
    inverse = {i: g for g, i in vocab.items()}
    out = []
    for c in C_GRID:
        clf = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=0)
        clf.fit(x_train, y_train)
        p = clf.predict_proba(x_dev)[:, 1]
        auc = roc_auc_score(y_dev, p)
        acc = float(((p >= 0.5) == y_dev).mean())
        print(f"  C={c:<4} dev AUC {auc:.4f}  accuracy {acc:.4f}")
        # The ratio folds into the weight: at run time the model is the same linear sum over the
        # n-grams present, and inference does not know the weights came from NB-LR.
        effective = clf.coef_[0] * ratios
        weights = {
            inverse[i]: round(float(w) / SCALE) for i, w in enumerate(effective) if abs(w) >= PRUNE
        }
        out.append(Candidate(c, float(auc), weights, float(clf.intercept_[0])))
    return out


def deterministic_gzip(raw: bytes) -> bytes:
    """``raw`` compressed with no time stamp or name in the header: the same bytes every run."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return buf.getvalue()


def serialise(payload: dict) -> bytes:
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return deterministic_gzip(raw.encode("utf-8"))


def choose_thresholds(
    model: TextModel, detector: Detector, texts: list[str], y: np.ndarray, args
) -> tuple[dict[str, float], float]:
    """Thresholds on dev, with the rest of the detector switched on, and the share of dev's
    offensive comments then flagged abuse or harmful (acted on)."""
    prepare = detector.prepare_for_model
    probs = np.array([model.probability(prepare(t)) for t in texts])
    # The detector without this model; what it only asks the admins about flags nothing.
    cats = [{h.category for h in detector.detect(t) if h.acted} for t in texts]
    other = np.array([bool(c) for c in cats])
    other_offence = np.array([bool(c & {"abuse", "harmful"}) for c in cats])
    # Where Detector.detect would add a model hit at all (at the lowest grid threshold): not beside
    # a lexicon/heuristic hit of its category, not in a sentence with an enforcement cue.
    probe = Detector.load(model=model, model_review=0.5, model_high=0.5, workchat=None)
    eligible = np.array([any(h.source == "model" for h in probe.detect(t)) for t in texts])
    probs = np.where(eligible, probs, 0.0)
    safe = y == 0
    n_safe = int(safe.sum())
    grid = np.round(np.arange(0.50, 0.995, 0.0025), 4)
    alone = other[safe].sum() / n_safe
    high = None
    # Not below the floor either: the acting threshold must clear ordinary work-chat messages
    # as surely as the review threshold (COLD dev alone would put it lower).
    for t in grid[grid >= args.review_floor]:
        flagged = (other | (probs >= t))[safe].sum() / n_safe
        added = ((~other) & (probs >= t))[safe].sum() / n_safe
        if flagged <= args.safe_target or (alone > args.safe_target and added <= args.added_safe):
            high = float(t)
            break
    if high is None:
        high = float(grid[-1])
    acted = other | (probs >= high)
    review = high
    for t in grid[(grid < high) & (grid >= args.review_floor)][::-1]:
        extra = ((~acted) & (probs >= t))[safe].sum() / n_safe
        if extra > args.review_budget:
            break
        review = float(t)
    off = ~safe
    caught = float((other_offence | (probs >= high))[off].mean())
    print(
        f"  thresholds: review {review}, high {high}; dev safe flagged (acted on) "
        f"{acted[safe].mean():.2%} (other checks alone {other[safe].mean():.2%}), "
        f"offensive flagged abuse/harmful (acted on) "
        f"{caught:.2%}; sent to review only: safe "
        f"{((~acted) & (probs >= review))[safe].mean():.2%}, offensive "
        f"{((~(other_offence | (probs >= high))) & (probs >= review))[off].mean():.2%}"
    )
    return {"review": review, "high": high}, caught


def compare(
    shipped_path: Path, blob: bytes, payload: dict, model: TextModel, prepared_dev: list[str]
) -> bool:
    """Print how a retrain differs from the shipped file — byte identity, the weights (how many
    differ, the largest difference, n-grams added or dropped), bias, C, thresholds, the largest
    dev score difference — against the stated tolerances; True when within them."""
    with gzip.open(shipped_path, "rt", encoding="utf-8") as fh:
        shipped = json.load(fh)
    old, new = shipped["weights"], payload["weights"]
    common = old.keys() & new.keys()
    differ = [g for g in common if old[g] != new[g]]
    largest = max((abs(old[g] - new[g]) for g in differ), default=0)
    added, dropped = len(new.keys() - old.keys()), len(old.keys() - new.keys())
    shipped_model = TextModel.load(shipped_path)
    worst = max(
        (abs(shipped_model.probability(t) - model.probability(t)) for t in prepared_dev),
        default=0.0,
    )
    print_identity(shipped_path, blob)
    print(
        f"  weights: {len(differ):,} of {len(common):,} differ, largest by {largest} unit(s) of "
        f"{SCALE:g} = {largest * SCALE:.1e} (tolerance {WEIGHT_TOLERANCE_UNITS} units = "
        f"{WEIGHT_TOLERANCE_UNITS * SCALE:.0e}); n-grams added {added}, dropped {dropped} "
        f"(allowed only at the ±{PRUNE:g} pruning line)"
    )
    print(
        f"  bias {shipped['bias']} → {payload['bias']}, C {shipped.get('C')} → {payload['C']}, "
        f"thresholds {shipped.get('thresholds')} → {payload['thresholds']}"
    )
    # An n-gram may appear or vanish only when its weight sits at the pruning line.
    edge = PRUNE / SCALE + WEIGHT_TOLERANCE_UNITS
    crossing_ok = all(abs(new[g]) <= edge for g in new.keys() - old.keys()) and all(
        abs(old[g]) <= edge for g in old.keys() - new.keys()
    )
    within = (
        largest <= WEIGHT_TOLERANCE_UNITS
        and crossing_ok
        and abs(shipped["bias"] - payload["bias"]) <= WEIGHT_TOLERANCE_UNITS * SCALE
        and worst <= TOLERANCE
    )
    print(
        f"  largest dev score difference {worst:.2e} (tolerance {TOLERANCE:g}): "
        f"{'OK — within the tolerances' if within else 'OUTSIDE the tolerances'}"
    )
    return within


def print_identity(shipped_path: Path, blob: bytes) -> None:
    same = "byte-identical" if shipped_path.read_bytes() == blob else "differs"
    digest = hashlib.sha256(blob).hexdigest()[:16]
    print(f"retrain vs shipped {shipped_path.name}: {same} (sha256 {digest}…)")


def write_unless_checking(out: Path, blob: bytes, *, within: bool, check: bool) -> None:
    """``--check``: exit 0 within the tolerances, 1 outside; otherwise write the model file."""
    if check:
        sys.exit(0 if within else 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(blob)
    print(f"wrote {out} (sha256 {hashlib.sha256(blob).hexdigest()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--safe-target", type=float, default=0.029)
    parser.add_argument(
        "--added-safe",
        type=float,
        default=0.005,
        help="or: at most this share of safe comments flagged by the model alone",
    )
    parser.add_argument("--review-budget", type=float, default=0.02)
    parser.add_argument(
        "--review-floor",
        type=float,
        default=0.9,
        help="never below this: COLD is not work chat, and ordinary work messages of the "
        "development splits score up to ~0.88",
    )
    parser.add_argument(
        "--check", action="store_true", help="train, compare with --out, write nothing"
    )
    parser.add_argument(
        "--thresholds-only",
        action="store_true",
        help="keep --out's weights, choose its thresholds again (after a lexicon change)",
    )
    args = parser.parse_args()

    # The rest of the detector, the work-chat model included (its gate doubts some of the rules'
    # words, and it flags a few comments itself): thresholds are set beside it.
    detector = Detector.load(model=None)
    prepare = detector.prepare_for_model
    if args.thresholds_only:
        with gzip.open(args.out, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
        dev_texts, y_dev = read(args.data / "dev.csv")
        print(f"{args.out.name}: thresholds were {payload.get('thresholds')}")
        payload["thresholds"], _ = choose_thresholds(
            TextModel.load(args.out), detector, dev_texts, y_dev, args
        )
        blob = serialise(payload)
        args.out.write_bytes(blob)
        print(f"wrote {args.out} (sha256 {hashlib.sha256(blob).hexdigest()})")
        return
    train_texts, y_train = read(args.data / "train.csv")
    dev_texts, y_dev = read(args.data / "dev.csv")
    ordinary = work_chat_ordinary()
    print(
        f"COLD train {len(train_texts):,}, dev {len(dev_texts):,} comments; "
        f"{len(ordinary):,} ordinary work-chat messages added as safe"
    )
    train_texts = [*train_texts, *ordinary]
    y_train = np.concatenate([y_train, np.zeros(len(ordinary), dtype=y_train.dtype)])
    candidates = train(
        [prepare(t) for t in train_texts], y_train, [prepare(t) for t in dev_texts], y_dev
    )
    chosen = None
    for candidate in candidates:
        print(f"  C={candidate.c}:")
        thresholds, caught = choose_thresholds(candidate.model(), detector, dev_texts, y_dev, args)
        if chosen is None or caught > chosen[0]:
            chosen = (caught, candidate, thresholds)
    assert chosen is not None
    _, best, thresholds = chosen
    weights = best.weights
    payload = {
        "format": FORMAT,
        "max_n": MAX_N,
        "scale": SCALE,
        "bias": round(best.bias, 6),
        "weights": weights,
        "C": best.c,
        "dev_auc": round(best.auc, 4),
        "method": "NB-LR: logistic regression on n-gram features scaled by their NB log-count "
        "ratios (Wang & Manning 2012); the ratios are folded into the stored weights",
        "trained_with": f"scikit-learn {sklearn.__version__}, liblinear",
        "data": "COLD train.csv (thu-coai/COLDataset), Apache-2.0, and the ordinary messages of "
        "the work-chat training data as safe examples; thresholds on COLD dev.csv",
        "licence": "Apache-2.0 (derived from COLD, Deng et al. EMNLP 2022)",
        "thresholds": thresholds,
    }
    model = best.model()
    print(f"  chosen: C={best.c}, thresholds {thresholds}")
    blob = serialise(payload)
    print(f"  {len(weights):,} n-gram weights kept (|w| ≥ {PRUNE}); {len(blob) / 2**20:.2f} MB")

    within = True
    if args.out.is_file():
        within = compare(args.out, blob, payload, model, [prepare(t) for t in dev_texts])
    write_unless_checking(args.out, blob, within=within, check=args.check)


if __name__ == "__main__":
    main()
