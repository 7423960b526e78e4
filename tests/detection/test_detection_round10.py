"""Round 10 (issue 17): the work-chat gate's second opinion on the rules' short words.

On writers the rules were not written from, most false alarms on ordinary work talk are a short
listed word or a heuristic in a notice or a report (``拉票`` in a rule reminder, ``网传`` in a
denial, ``统计`` figures with a source). When the gate scores the whole message as plainly
ordinary (below ``[workchat] doubt_below``), such a hit goes to the admins instead of being acted
on. Longer listed phrases, validated personal data, insults and vulgarity stand."""

from __future__ import annotations

import json

import pytest

from rules.detection import Detector
from rules.detection.lexicon import BUILTIN_DIR
from rules.detection.report import format_hits, hits_to_json


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


def only(detector: Detector, text: str):
    (hit,) = detector.detect(text)
    return hit


def test_a_short_word_in_a_notice_goes_to_the_admins(detector: Detector):
    hit = only(detector, "本周的拉票行为已经被评选委员会制止，请大家遵守规则。")
    assert (hit.category, hit.match, hit.source) == ("offtopic", "拉票", "lexicon")
    assert hit.doubted and hit.needs_review and not hit.acted
    assert hit.score is not None and hit.score < detector.workchat.doubt_below


def test_the_same_word_in_a_solicitation_is_acted_on(detector: Detector):
    hit = only(detector, "毒品来了，要的私聊，价格好说。")
    assert (hit.category, hit.match) == ("illegal", "毒品")
    assert hit.acted and not hit.doubted


def test_insults_stand_whatever_the_gate_says(detector: Detector):
    # The gate reads this social-media remark as nothing like a work violation (score ~0.0001),
    # but abuse and harmful are not categories it may doubt.
    hit = only(detector, "傻逼不分男女")
    assert hit.category == "abuse" and hit.acted and not hit.doubted


def test_a_four_character_word_is_doubted_and_a_longer_phrase_stands(detector: Detector):
    hit = only(detector, "有人问能不能开无犯罪记录证明，这个要去派出所开，请转告居民。")
    assert (hit.category, hit.match, hit.doubted) == ("privacy", "犯罪记录", True)
    # A listed phrase of five or more characters is specific enough to stand, even here, where
    # it is a false alarm that is acted on: the limit is deliberate (doubt_chars = 4).
    hit = only(detector, "请各位注意，明天上午九点在三楼会议室开会，议题是甲基苯丙胺的检测流程。")
    assert hit.match == "甲基苯丙胺" and hit.acted and not hit.doubted


def test_without_the_work_chat_model_nothing_is_doubted():
    hits = Detector.load(workchat=None).detect(
        "本周的拉票行为已经被评选委员会制止，请大家遵守规则。"
    )
    assert [(h.match, h.acted, h.doubted) for h in hits] == [("拉票", True, False)]


def test_check_output_says_it_is_doubted_and_leaves_the_verdict_empty(detector: Detector):
    text = "本周的拉票行为已经被评选委员会制止，请大家遵守规则。"
    hits = detector.detect(text)
    out = hits_to_json(text, hits)
    assert out["categories"] == []
    (hit,) = out["hits"]
    assert hit["doubted"] is True and hit["needs_review"] is True and hit["score"] < 0.05
    json.dumps(out, ensure_ascii=False)  # serialisable as check --json writes it
    shown = format_hits(text, hits)
    assert "none (review only)" in shown and "reads as ordinary talk" in shown


def test_doubt_is_configured_as_data(tmp_path):
    # A deployment's checks.toml can turn it off (doubt_below = 0) or widen it.
    checks = (BUILTIN_DIR / "checks.toml").read_text(encoding="utf-8")
    assert "doubt_below = 0.05" in checks
    (tmp_path / "checks.toml").write_text(
        checks.replace("doubt_below = 0.05", "doubt_below = 0.0"), encoding="utf-8"
    )
    off = Detector.load([tmp_path])
    hits = off.detect("本周的拉票行为已经被评选委员会制止，请大家遵守规则。")
    assert [(h.match, h.acted) for h in hits] == [("拉票", True)]
