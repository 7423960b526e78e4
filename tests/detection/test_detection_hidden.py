"""The work-chat gate's second look (``rules/detection/hidden.py``): one hidden layer over clause
n-grams, stored as signed bytes and summed as packed integers. These tests hold the packed
arithmetic to the plain formula it stands for."""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from rules.detection import Detector
from rules.detection.detector import MODEL_MAX_CHARS
from rules.detection.hidden import CLAUSE_MEMO_SIZE, HIDDEN_FORMAT, HiddenGate
from rules.detection.model import ngrams, read_payload, split_clauses
from rules.detection.workchat import WORKCHAT_PATH, WorkchatModel

ALPHABET = "内部资料不得外传收到谢谢会议通知老王赌博一把，。"


def _blob(grams, rows, *, units, scales, first_bias, out, bias, input_scale=10.0) -> bytes:
    header = {
        "format": HIDDEN_FORMAT,
        "units": units,
        "unit_scales": scales,
        "first_bias": first_bias,
        "out": out,
        "bias": bias,
        "input_scale": input_scale,
        "max_n": 3,
    }
    matrix = bytes(v + 128 for row in rows for v in row)
    return b"\n".join(
        [json.dumps(header).encode(), json.dumps(grams, ensure_ascii=False).encode(), matrix]
    )


def _random_model(seed: int, units: int = 5):
    rng = random.Random(seed)
    pool = sorted({g for _ in range(200) for g in ngrams(_text(rng), 3)} - {"，", "。"})
    grams = rng.sample(pool, min(len(pool), 300))
    rows = [[rng.randint(-128, 127) for _ in range(units)] for _ in grams]
    spec = {
        "units": units,
        "scales": [rng.uniform(0.001, 0.05) for _ in range(units)],
        "first_bias": [rng.uniform(-1, 1) for _ in range(units)],
        "out": [rng.uniform(-3, 3) for _ in range(units)],
        "bias": rng.uniform(-2, 2),
    }
    return grams, rows, spec


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30)))


def _reference(text, grams, rows, spec, input_scale=10.0) -> float:
    """The documented formula in floats: the clause n-grams' rows summed, scaled by
    ``input_scale / sqrt(number of n-grams)``, rectified, weighed, squashed."""
    index = {g: i for i, g in enumerate(grams)}
    sums = [0.0] * spec["units"]
    count = 0
    for clause in split_clauses(text):
        present = ngrams(clause, 3)
        count += len(present)
        for gram in present:
            if gram in index:
                for k, v in enumerate(rows[index[gram]]):
                    sums[k] += v * spec["scales"][k]
    root = input_scale / math.sqrt(count) if count else 0.0
    z = spec["bias"]
    for k in range(spec["units"]):
        z += max(0.0, sums[k] * root + spec["first_bias"][k]) * spec["out"][k]
    return 1.0 / (1.0 + math.exp(-z))


@pytest.mark.parametrize("seed", range(6))
def test_packed_rows_score_as_the_plain_formula_says(seed: int):
    grams, rows, spec = _random_model(seed)
    gate = HiddenGate.from_bytes(_blob(grams, rows, **spec))
    assert len(gate) == len(grams)
    rng = random.Random(100 + seed)
    texts = [_text(rng) for _ in range(400)] + ["", "，", "，，。", "".join(grams[:40])]
    for text in texts:
        expected = _reference(text, grams, rows, spec)
        assert gate.probability(text) == pytest.approx(expected, abs=1e-9)


def test_extreme_bytes_neither_overflow_nor_borrow_between_units():
    """Every row at -128 or 127 in a message as long as the models ever read: each unit's sum
    stays in its own 32-bit field."""
    grams = ["资", "料", "资料"]
    for value in (-128, 127):
        rows = [[value, -value - 1 if value == 127 else 127, value] for _ in grams]
        spec = {"units": 3, "scales": [1e-4] * 3, "first_bias": [0.0] * 3, "bias": 0.0}
        spec["out"] = [1.0, -1.0, 0.5]
        gate = HiddenGate.from_bytes(_blob(grams, rows, **spec))
        text = "资料" * (MODEL_MAX_CHARS // 2)
        expected = _reference(text, grams, rows, spec)
        assert gate.probability(text) == pytest.approx(expected, abs=1e-9)
    # The bound the packing relies on: the n-grams of the longest text read, all at 255.
    assert 3 * MODEL_MAX_CHARS * 255 < 2**32


def test_a_clause_seen_before_is_remembered_and_the_memo_is_bounded():
    grams, rows, spec = _random_model(7)
    gate = HiddenGate.from_bytes(_blob(grams, rows, **spec))
    first = gate.probability("收到，内部资料不得外传")
    assert gate.probability("收到，内部资料不得外传") == first
    assert gate.probability("内部资料不得外传。收到") == pytest.approx(first, abs=1e-12)
    for i in range(CLAUSE_MEMO_SIZE + 10):
        gate.clause_sum(f"会议{i}")
    assert len(gate._memo) <= CLAUSE_MEMO_SIZE


def test_a_second_look_stored_as_xz_or_gzip_reads_the_same(tmp_path):
    # Round 19 stores the rows with xz (a fifth smaller than gzip); files written before stay
    # readable, told apart by xz's magic bytes, not by their names.
    grams, rows, spec = _random_model(5)
    raw = _blob(grams, rows, **spec)
    (tmp_path / "a.bin").write_bytes(lzma.compress(raw, format=lzma.FORMAT_XZ))
    (tmp_path / "b.bin").write_bytes(gzip.compress(raw))
    text = "内部资料不得外传，收到"
    expected = _reference(text, grams, rows, spec)
    for name in ("a.bin", "b.bin"):
        gate = HiddenGate.load(tmp_path / name)
        assert gate.probability(text) == pytest.approx(expected, abs=1e-9)
    with pytest.raises(OSError):  # neither: a clear error at load, not a wrong model
        HiddenGate.from_stored(b"plain bytes")


def test_a_file_that_is_not_a_hidden_gate_is_refused(tmp_path):
    grams, rows, spec = _random_model(3)
    good = _blob(grams, rows, **spec)
    path = tmp_path / "hidden.bin.gz"
    path.write_bytes(gzip.compress(good))
    assert HiddenGate.load(path).probability("内部资料") == pytest.approx(
        _reference("内部资料", grams, rows, spec), abs=1e-9
    )
    with pytest.raises(ValueError, match="not a"):
        HiddenGate.from_bytes(good.replace(HIDDEN_FORMAT.encode(), b"something-else/1"))
    with pytest.raises(ValueError, match="rows do not match"):
        HiddenGate.from_bytes(good[:-1])
    header = json.loads(good.split(b"\n", 1)[0])
    header["out"] = header["out"][:-1]
    broken = b"\n".join([json.dumps(header).encode(), *good.split(b"\n", 2)[1:]])
    with pytest.raises(ValueError, match="every unit"):
        HiddenGate.from_bytes(broken)


# --- The second look inside the detector -------------------------------------------------------

ORDINARY = "请各位同事明天上午九点准时到三楼会议室参加安全生产例会"
LEAK = "那个会议的材料你拍给我，我转给外面的朋友参考一下"


def _constant(probability: float) -> HiddenGate:
    """A second look that says ``probability`` of every text (no n-gram, one idle unit)."""
    z = math.log(probability / (1 - probability))
    return HiddenGate.from_bytes(
        _blob([], [], units=1, scales=[1.0], first_bias=[0.0], out=[0.0], bias=z)
    )


def _with_second_look(hidden: HiddenGate, screen: float) -> Detector:
    shipped = WorkchatModel.load()
    thresholds = {**shipped.thresholds, "screen": screen}
    model = replace(shipped, thresholds=thresholds, hidden=hidden)
    return Detector.load(workchat=model)


def _gate(text: str) -> float:
    prepare = Detector.load(model=None, workchat=None).prepare_for_model
    return WorkchatModel.load().gate.probability(prepare(text))


def _workchat_hits(detector: Detector, text: str):
    return [h for h in detector.detect(text) if h.source == "model" and "工作群" in h.reason]


def test_the_second_look_decides_what_the_gate_lets_through():
    """Past the screen the second look's score meets the thresholds, and the hit carries it."""
    assert _gate(LEAK) >= 0.5
    sure = _with_second_look(_constant(0.999), screen=0.5)
    [hit] = _workchat_hits(sure, LEAK)
    assert hit.score == pytest.approx(0.999) and hit.acted  # at or above high: acted on (or held)
    unsure = _with_second_look(_constant(0.001), screen=0.5)
    assert _workchat_hits(unsure, LEAK) == []  # the gate's own 0.99 no longer acts


def test_below_the_screen_the_second_look_is_never_asked():
    assert _gate(ORDINARY) < 0.01
    sure = _with_second_look(_constant(0.999), screen=0.01)
    assert _workchat_hits(sure, ORDINARY) == []
    everything = _with_second_look(_constant(0.999), screen=0.0)
    assert len(_workchat_hits(everything, ORDINARY)) == 1


def test_the_screen_never_sits_above_the_review_threshold():
    shipped = WorkchatModel.load()
    detector = _with_second_look(_constant(0.5), screen=0.999)
    assert detector.workchat is not None
    assert detector.workchat.screen == detector.workchat.review == shipped.thresholds["review"]


def test_a_second_look_not_trained_with_the_gate_is_refused(tmp_path: Path):
    payload = read_payload(WORKCHAT_PATH)
    blob = gzip.compress(_blob([], [], units=1, scales=[1.0], first_bias=[0.0], out=[0.0], bias=0))
    (tmp_path / "second.bin.gz").write_bytes(blob)
    payload["hidden"] = {"file": "second.bin.gz", "sha256": hashlib.sha256(blob).hexdigest()}
    good = tmp_path / "good.json.gz"
    good.write_bytes(gzip.compress(json.dumps(payload).encode()))
    assert WorkchatModel.load(good).hidden is not None
    payload["hidden"]["sha256"] = "0" * 64
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(json.dumps(payload).encode()))
    with pytest.raises(ValueError, match="not the one trained with it"):
        WorkchatModel.load(bad)
    (tmp_path / "second.bin.gz").unlink()
    with pytest.raises(ValueError, match=r"second look second\.bin\.gz cannot be read"):
        WorkchatModel.load(good)


def test_the_shipped_second_look_is_named_small_and_used():
    """The wheel carries the gate's file, the second look it names, and the COLD model: 10 MB in
    all at most; the shipped detector screens below its review threshold."""
    from rules.detection.model import MODEL_PATH

    named = read_payload(WORKCHAT_PATH)["hidden"]
    second = WORKCHAT_PATH.parent / named["file"]
    assert hashlib.sha256(second.read_bytes()).hexdigest() == named["sha256"]
    shipped = (MODEL_PATH, WORKCHAT_PATH, second)
    assert sum(path.stat().st_size for path in shipped) <= 10 * 2**20
    model = WorkchatModel.load()
    assert model.hidden is not None and len(model.hidden) > 100_000 and model.hidden.units == 32
    settings = Detector.load().workchat
    assert settings is not None
    assert 0 < settings.screen < settings.review <= settings.high < 1
    assert settings.screen == model.thresholds["screen"]
