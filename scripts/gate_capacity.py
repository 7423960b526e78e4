"""Experiment: a hidden layer on the work-chat gate's features, beside the shipped linear gate.

Not a training script. Does a model with a hidden layer, on exactly the gate's features, rank
violations above ordinary talk better than the shipped linear gate?

    pip install -e '.[train]'
    python scripts/gate_capacity.py [--folds-only]

Out of fold (the writer-grouped folds of ``train_workchat.py``: a writer the model has not met),
then trained on all the training data and scored on the never-trained held-out splits pooled.
Prints the recall of violations where each model flags a given share of the ordinary messages
(and, for the pooled splits, the share of COLD dev's safe comments above the same cut). Nothing is
written; nothing here is shipped. Round 13's figures are in ``docs/detection.md``; round 14
ships a 32-unit hidden layer of this kind as the gate's second look (``train_workchat.py``).

The linear gate is trained as shipped (COLD safe comments at weight 0.25); the hidden-layer model
(scikit-learn's ``MLPClassifier``, 128 units, early stopping) takes no sample weights, so it gets a
random quarter of the COLD safe comments instead. The gate's features are scaled by 1/sqrt(number
of n-grams); the hidden-layer model reads them ×10 so that its inputs are of order one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import train_workchat as tw  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from workchat_data import HELD_OUT, HELD_OUT_DATA  # noqa: E402

from rules.detection import Detector  # noqa: E402

RATES = (0.003, 0.01, 0.03)
POOLED_RATES = (0.004, 0.01, 0.03)  # 0.4 % of the pooled splits' 750 ordinary messages is 3
INPUT_SCALE = 10.0


def hidden_layer() -> MLPClassifier:
    return tw.hidden_model(128)  # round 13's experiment: four times the units now shipped


def recall_at(scores: np.ndarray, positive: np.ndarray, rate: float) -> tuple[float, float]:
    """Recall of the positives above the cut that flags ``rate`` of the negatives, and the cut."""
    cut = float(np.quantile(scores[~positive], 1 - rate))
    return float((scores[positive] > cut).mean()), cut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds-only", action="store_true", help="skip the held-out splits")
    args = parser.parse_args()

    prepare = Detector.load(model=None, workchat=None).prepare_for_model
    records = tw.load_workchat()
    cold_text, cold_y = tw.load_cold("train.csv")
    cold_safe = [prepare(t) for t, y in zip(cold_text, cold_y, strict=True) if y == 0]
    rng = np.random.default_rng(0)
    quarter = [cold_safe[i] for i in rng.choice(len(cold_safe), len(cold_safe) // 4, replace=False)]
    work = [prepare(r["text"]) for r in records]
    y = np.array([int(bool(r["labels"])) for r in records])
    groups = [r.get("split", "") for r in records]
    vocab = tw.clause_vocab(work + cold_safe)
    g_work = tw.clause_featurise(work, vocab)
    g_cold = tw.clause_featurise(cold_safe, vocab)
    g_quarter = tw.clause_featurise(quarter, vocab)
    w_cold = np.full(len(cold_safe), tw.COLD_WEIGHT)

    def fit_both(rows: np.ndarray) -> tuple:
        linear = tw.fit_gate(
            sp.vstack([g_work[rows], g_cold]),
            np.concatenate([y[rows], np.zeros(len(cold_safe), dtype=int)]),
            np.concatenate([np.ones(len(rows)), w_cold]),
        )
        hidden = hidden_layer().fit(
            sp.vstack([g_work[rows], g_quarter]).tocsr() * INPUT_SCALE,
            np.concatenate([y[rows], np.zeros(len(quarter), dtype=int)]),
        )
        return linear, hidden

    linear_oof, hidden_oof = np.zeros(len(y)), np.zeros(len(y))
    for k, (train, test) in enumerate(
        GroupKFold(n_splits=tw.FOLDS).split(np.zeros(len(y)), y, groups)
    ):
        linear, hidden = fit_both(train)
        linear_oof[test] = linear.predict_proba(g_work[test])[:, 1]
        hidden_oof[test] = hidden.predict_proba(g_work[test] * INPUT_SCALE)[:, 1]
        print(f"fold {k + 1} of {tw.FOLDS}", flush=True)
    positive = y == 1
    print("out of fold: recall of violations where the model flags this share of ordinary ones")
    for name, scores in (("linear gate", linear_oof), ("hidden layer", hidden_oof)):
        cells = [f"{rate:.1%}: {recall_at(scores, positive, rate)[0]:.3f}" for rate in RATES]
        print(f"  {name:13s}", " | ".join(cells))
    if args.folds_only:
        return

    linear, hidden = fit_both(np.arange(len(y)))
    dev_text, dev_y = tw.load_cold("dev.csv")
    dev_safe = tw.clause_featurise(
        [prepare(t) for t, label in zip(dev_text, dev_y, strict=True) if label == 0], vocab
    )
    texts, labels = [], []
    for name in sorted(HELD_OUT):
        for line in (HELD_OUT_DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(prepare(record["text"]))
            labels.append(bool(record["labels"]))
    x = tw.clause_featurise(texts, vocab)
    held_positive = np.array(labels)
    print(f"held-out splits pooled ({', '.join(sorted(HELD_OUT))}; never trained on)")
    for name, scores, dev in (
        ("linear gate", linear.predict_proba(x)[:, 1], linear.predict_proba(dev_safe)[:, 1]),
        (
            "hidden layer",
            hidden.predict_proba(x * INPUT_SCALE)[:, 1],
            hidden.predict_proba(dev_safe * INPUT_SCALE)[:, 1],
        ),
    ):
        cells = []
        for rate in POOLED_RATES:
            found, cut = recall_at(scores, held_positive, rate)
            cells.append(f"{rate:.1%}: {found:.3f} (COLD dev safe {(dev > cut).mean():.2%})")
        print(f"  {name:13s}", " | ".join(cells))


if __name__ == "__main__":
    main()
