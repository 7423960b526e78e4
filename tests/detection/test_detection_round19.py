"""Round 19: the second look's draw (its seed, and the epoch early stopping kept) moved what the
models act on more than a round's new data; ``train_workchat.py --epochs N`` trains every second
look — the five out of fold that choose the thresholds and the one shipped — for exactly N passes,
so that they are alike (``docs/detection.md``, "Round 19"). These need the training extra."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("sklearn", reason="the training extra is not installed")
import numpy as np  # noqa: E402  (it comes with the training extra)


@pytest.fixture(scope="module")
def train(request):
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(ROOT / "scripts"))
    request.addfinalizer(mp.undo)
    return importlib.import_module("train_workchat")


def _toy(rows: int = 400, features: int = 60):
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    x = sp.csr_matrix(rng.random((rows, features)) * (rng.random((rows, features)) < 0.1))
    y = (np.asarray(x[:, :5].sum(axis=1)).ravel() > 0.2).astype(int)
    return x, y, np.ones(rows)


def test_a_fixed_number_of_epochs_trains_exactly_that_many_on_all_the_data(train):
    x, y, w = _toy()
    for epochs in (1, 3):
        net = train.fit_hidden(x, y, w, epochs=epochs)
        assert net.n_iter_ == epochs
        assert net.validation_scores_ is None  # no tenth held aside
    # The same seed and epochs give the same net: the training is reproducible.
    a = train.fit_hidden(x, y, w, seed=2, epochs=3)
    b = train.fit_hidden(x, y, w, seed=2, epochs=3)
    assert all(np.array_equal(p, q) for p, q in zip(a.coefs_, b.coefs_, strict=True))


def test_without_epochs_the_net_is_trained_as_round_17s_was(train):
    net = train.hidden_model(seed=4)
    assert net.early_stopping and net.validation_fraction == 0.1 and net.random_state == 4
