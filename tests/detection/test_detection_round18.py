"""Round 18: a threat said as care is a threat; knowing where a colleague lives, or wishing them
care, is not.

"知道你家住哪，路上小心哦" reads as kindness word by word; the regulations' threats to a person's
safety (R1 Art.7(9), R2 Art.13(1)) are the knowing and the warning together. The rules are data
(``checks.toml`` ``whereabouts_threat``, ``family_routine_threat``), tested here without the
models so that a model cannot pass them by accident."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from rules.detection import Detector

ROOT = Path(__file__).resolve().parents[2]

_REASON = "以住处、家人的安全相威胁（恐吓）"


@pytest.fixture(scope="module")
def rules_only() -> Detector:
    return Detector.load(model=None, workchat=None)


def _threats(detector: Detector, text: str) -> list:
    return [h for h in detector.detect(text) if h.reason == _REASON]


@pytest.mark.parametrize(
    "text",
    [
        "知道你家住哪，路上小心哦",
        "我知道你家在哪个小区，晚上走路当心点",
        "你女儿几点下晚自习我都知道",
        "你儿子在哪个学校上学我早就知道，好自为之",
        "老李，我可清楚你老婆几点下班，你掂量掂量",
    ],
)
def test_knowing_where_someone_lives_said_with_a_warning_is_a_threat(
    rules_only: Detector, text: str
):
    hits = _threats(rules_only, text)
    assert hits
    assert {(h.category, h.kind, h.source, h.needs_review) for h in hits} == {
        ("illegal", "violence", "heuristic", False)
    }


@pytest.mark.parametrize(
    "text",
    [
        "我知道你家孩子发烧了，路上小心",
        "我知道你住哪个小区，顺路捎你回去",
        "张姐你家孩子几点放学我都知道，今天我顺路去接",
        "你家住哪？下雨了我开车送你",
        "我知道你家在几号楼了，快递我帮你放门口",
        "下班路上小心，雪天路滑",
    ],
)
def test_knowing_or_caring_alone_is_no_threat(rules_only: Detector, text: str):
    assert not _threats(rules_only, text)


def test_the_threat_is_acted_on_with_the_models_too(detector: Detector):
    text = "知道你家住哪，路上小心哦"
    assert "illegal" in {h.category for h in detector.detect(text) if h.acted}


def test_training_can_leave_out_every_text_of_a_never_trained_set(monkeypatch: pytest.MonkeyPatch):
    # Two writers both wrote "收到，马上到"; a model trained on one copy would be measured on
    # its own answer. With the option the training data keeps no text equal to a held-out one,
    # punctuation, spaces and emoji aside.
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    train = importlib.import_module("workchat_data")  # what both training scripts read
    assert train.text_key("收到，马上到👌") == train.text_key("收到 马上到") == "收到马上到"
    assert train.text_key("ＯＫ！") == train.text_key("ok")
    unseen = train.unseen_keys()
    assert train.text_key("收到，马上到") in unseen  # heldout22's
    kept = train.load_workchat()  # what train_workchat.py trains on since round 19
    assert len(kept) > 25_000
    assert not [r["text"] for r in kept if train.text_key(r["text"]) in unseen]
    # …and it is the default that keeps them out: round 17's models, trained before the option
    # existed (--no-drop-unseen-equal), saw 94 such messages.
    every = train.load_workchat(drop_unseen_equal=False)
    assert len(every) - len(kept) == sum(train.text_key(r["text"]) in unseen for r in every)
    assert len(every) - len(kept) == 94
