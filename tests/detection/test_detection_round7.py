"""Round 7: the work-chat model — a clause n-gram gate and a category model for violations that
no rule spells out (a leak passed on, a personal detail, a side-business advert), explained and
proportionate like the COLD classifier, its thresholds config keys, its figures on heldout7."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rules.detection import CATEGORIES, Detector, Hit
from rules.detection.model import TextModel, ngrams, read_payload
from rules.detection.screen import ModelScreen
from rules.detection.workchat import (
    WORKCHAT_FORMAT,
    WORKCHAT_PATH,
    ClauseGate,
    WorkchatModel,
    clause_grams,
    clauses,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
# A colleague asked to pass meeting papers to friends outside: secret, and no word list says so.
LEAK = "那个会议的材料你拍给我，我转给外面的朋友参考一下"
AD = "我家亲戚做理财的，年化百分之二十，有兴趣私聊"


def workchat_hits(detector: Detector, text: str) -> list[Hit]:
    return [h for h in detector.detect(text) if h.source == "model" and "工作群" in h.reason]


def test_model_file_is_shipped_small_and_self_describing():
    assert WORKCHAT_PATH.is_file() and WORKCHAT_PATH.stat().st_size <= 10 * 2**20
    model = WorkchatModel.load()
    assert model.meta["format"] == WORKCHAT_FORMAT and len(model) > 10_000
    assert set(model.categories.names) == set(CATEGORIES)
    assert 0 < model.thresholds["review"] <= model.thresholds["high"] < 1
    assert "COLD" in model.meta["licence"] and "Apache-2.0" in model.meta["licence"]


def test_a_model_of_another_kind_is_refused(tmp_path: Path):
    from rules.detection.model import MODEL_PATH

    with pytest.raises(ValueError, match="groupguard-workchat"):
        WorkchatModel.load(MODEL_PATH)


def test_the_gate_is_its_definition_over_clauses():
    # bias + (sum of each clause's n-gram weights) / sqrt(total n-grams over clauses): no n-gram
    # spans two clauses, an n-gram in two clauses counts twice.
    payload = read_payload(WORKCHAT_PATH)["gate"]
    weights = {g: w * payload["scale"] for g, w in payload["weights"].items()}
    gate = ClauseGate.from_payload(payload)
    for text in ("", "收到", "收到，收到。", "请把会议纪要发群里，谢谢", LEAK, AD, "，，。"):
        per = clause_grams(text)
        assert all(("，" not in g and "。" not in g) for grams in per for g in grams)
        count = sum(map(len, per))
        total = sum(weights.get(g, 0.0) for grams in per for g in grams)
        z = payload["bias"] + (total / math.sqrt(count) if count else 0.0)
        assert gate.probability(text) == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-12)
        # the screen, one pass for both models with remembered clauses, gives the same
        screen = ModelScreen(TextModel.load(), 0.5, gate)
        assert screen(text)[1] == pytest.approx(gate.probability(text), abs=1e-12)
        assert screen(text) == screen(text)  # its clauses remembered, same answer
    assert clauses("甲，乙。丙，，") == ["甲", "乙", "丙"]


def test_clause_memo_is_bounded_and_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch):
    import rules.detection.screen as screen_module

    monkeypatch.setattr(screen_module, "CLAUSE_MEMO_SIZE", 3)
    gate = ClauseGate.from_payload(read_payload(WORKCHAT_PATH)["gate"])
    reference = {t: gate.probability(t) for t in (LEAK, AD)}
    screen = ModelScreen(None, 1.0, gate)
    for i in range(50):
        screen(f"第{i}条，收到，谢谢")
        assert len(screen._clause_memo) <= 3
    assert {t: screen(t)[1] for t in reference} == reference


def test_a_hit_says_it_is_the_model_with_its_score_category_and_words(detector: Detector):
    (hit,) = workchat_hits(detector, AD)
    settings = detector.workchat
    assert settings is not None
    assert hit.category == "offtopic" and hit.source == "model" and hit.start == hit.end == 0
    # Article and reason come from the data (checks.toml [workchat.offtopic]), in words.
    table = tomllib.loads((ROOT / "rules" / "lexicons" / "checks.toml").read_text("utf-8"))
    wanted = table["workchat"]["offtopic"]
    assert (hit.reason, hit.article) == (wanted["reason"], wanted["article"])
    assert "工作群模型" in hit.reason
    assert hit.score is not None and settings.review <= hit.score <= 1
    # The words that weighed most for the category, taken from the message itself.
    prepared = detector.prepare_for_model(AD)
    assert hit.features and all(g in ngrams(prepared) and g.isalnum() for g in hit.features)
    assert any(len(g) > 1 for g in hit.features)


def test_above_high_acts_between_the_thresholds_asks_the_admins(detector: Detector):
    settings = detector.workchat
    assert settings is not None
    (ad,) = workchat_hits(detector, AD)
    assert ad.score >= settings.high and not ad.needs_review  # type: ignore[operator]
    (person,) = workchat_hits(detector, "楼下超市老板讲，有小孩在学校门口被拐了")
    assert person.category == "unverified"
    assert settings.review <= person.score < settings.high and person.needs_review  # type: ignore[operator]


def test_illegal_and_secret_guesses_always_go_to_review(detector: Detector):
    # A wrong 违法 or 涉密 verdict blacklists or escalates to both tiers: the model only asks.
    settings = detector.workchat
    assert settings is not None and settings.review_only == {"illegal", "secret"}
    (leak,) = workchat_hits(detector, LEAK)
    assert leak.category == "secret" and leak.score >= settings.high and leak.needs_review  # type: ignore[operator]


def test_thresholds_are_parameters():
    heldout = [
        json.loads(x)["text"] for x in (DATA / "heldout6.jsonl").read_text("utf-8").split("\n") if x
    ]
    asking = Detector.load(model=None, workchat_review=0.0001, workchat_high=1.0)
    hits = [h for t in heldout for h in workchat_hits(asking, t)]
    assert len(hits) > 50 and all(h.needs_review for h in hits)
    acting = Detector.load(model=None, workchat_review=0.0001, workchat_high=0.0001)
    hits = [h for t in heldout for h in workchat_hits(acting, t)]
    assert hits and all(h.needs_review == (h.category in ("illegal", "secret")) for h in hits)
    assert {h.category for h in hits} >= {"offtopic", "privacy", "abuse"}
    # Reversed thresholds are a warning and a working detector, not a crash.
    odd = Detector.load(model=None, workchat_review=0.9, workchat_high=0.5)
    assert any("work-chat model thresholds" in w for w in odd.warnings)
    assert odd.workchat is not None and odd.workchat.review == odd.workchat.high


def test_off_by_argument_and_by_disabled_category():
    assert Detector.load(workchat=None).workchat is None
    assert workchat_hits(Detector.load(workchat=None), AD) == []
    quiet = Detector.load(disabled_categories=["offtopic"])
    assert quiet.workchat is not None and "offtopic" not in quiet.workchat.infos
    assert all(h.category != "offtopic" for h in quiet.detect(AD))


def test_a_rule_hit_of_the_same_category_says_it_better(detector: Detector):
    # 机密文件 is in the secret lexicon: one hit, the lexicon's, not a second from the model.
    hits = detector.detect("上面的机密文件我放网盘了，链接私发")
    assert [h.source for h in hits if h.category == "secret"] == ["lexicon"]


def test_enforcement_wording_gets_no_model_hit(detector: Detector):
    # A warning quotes what it warns of (checks.toml cues): neither model scores it.
    text = "警惕！有人冒充领导让大家转账，都是骗子，请勿相信"
    assert all(h.source != "model" for h in detector.detect(text))


def test_short_messages_are_not_scored(detector: Detector):
    assert workchat_hits(detector, "私聊") == []


def test_settings_feed_the_detector(tmp_path: Path):
    from bot.config import DetectionSettings

    off = DetectionSettings(workchat=False).options()
    assert off["workchat"] is None
    on = DetectionSettings(workchat_review=0.5, workchat_high=0.9).options()
    assert on["workchat"] == WORKCHAT_PATH
    loaded = Detector.load(model=None, **{k: v for k, v in on.items() if k != "model"})
    assert loaded.workchat is not None
    assert (loaded.workchat.review, loaded.workchat.high) == (0.5, 0.9)
    with pytest.raises(ValueError, match="workchat_review must not be above workchat_high"):
        DetectionSettings(workchat_review=0.9, workchat_high=0.5)
    with pytest.raises(ValueError, match="workchat: no such file"):
        DetectionSettings(workchat=tmp_path / "missing.json.gz")


@pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="the training extra is not installed"
)
def test_training_reproduces_the_shipped_file():
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_workchat.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=3600,  # six fits of the second look out of fold and in full: ~25 min on 2 cores
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "within the tolerances" in run.stdout


# -- heldout7: written by a separate writer before the work-chat model was trained; measured
# before and after it in round 7 (docs/detection.md), a development split since round 8.


def test_heldout7_is_written_and_large_enough():
    recs = [json.loads(x) for x in (DATA / "heldout7.jsonl").read_text("utf-8").splitlines()]
    assert {r["split"] for r in recs} == {"heldout7"} and len(recs) >= 300
    assert sum(not r["labels"] for r in recs) >= 150
