"""Round 6: the clause-wise bound of the classifier, and one test per new pattern class with the
ordinary work message that must stay clean beside it (docs/detection.md, "Round 6")."""

from __future__ import annotations

import random

from rules.detection import Detector
from rules.detection.model import CLAUSE_MEMO_SIZE, TextModel

# -- the classifier: the bound is taken clause by clause ------------------------------------


def _comma_texts() -> list[str]:
    """Texts with clause separators everywhere a split can go wrong: at either end, doubled,
    alone, and between clauses that carry the heaviest bigrams across the separator."""
    rng = random.Random(6)
    pool = "的一是在了有人这我你们他傻逼滚垃圾废物恶心女人黑人河南，，，"
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 60))) for _ in range(4000)]
    return [*texts, "，", "，，", "，你", "你，", "傻逼，滚", "，傻逼，滚，", "你妈，你妈，你妈"]


def test_clause_bound_never_skips_a_text_that_reaches_the_threshold(detector: Detector):
    model = detector.model.model
    prepared = [detector.prepare_for_model(t) for t in _comma_texts()]
    for threshold in (0.05, 0.3, 0.5, 0.9, 0.97):
        for text in prepared:
            if model.below(text, threshold):
                assert model.probability(text) < threshold, (text, threshold)


def test_clause_memo_is_bounded_and_gives_the_same_answer():
    model = TextModel.load()
    text = "请查收会议纪要，党费请在25号前交齐"
    first = model.below(text, 0.9)
    for i in range(CLAUSE_MEMO_SIZE + 10):
        model.below(f"第{i}号文件已签收，收到", 0.9)
    assert len(model._clause_memo) <= CLAUSE_MEMO_SIZE
    assert model.below(text, 0.9) == first
