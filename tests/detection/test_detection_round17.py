"""Round 17: everyday care between colleagues is not guessed harmful or abuse by a model; a
death wish is a curse; a message without a Chinese character is left to the rules.

Work groups are full of "下雨了出门小心点", "你妈身体好点了吗", "早日康复": warm words the models
learnt from threats, curses and innuendo too. ``allow/everyday_care.txt`` (``@mode guess``) keeps
the models from guessing harmful, abuse or unverified on such a message; it drops no rule's hit,
so a listed curse beside "早日康复" is still found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from detection_heldout import assert_guarded

import rules.detection.detector as detector_module
from rules.detection import Detector

_CARE_FILE = "allow/everyday_care.txt"
_SILENCED = {"harmful", "abuse", "unverified"}


def _dir_with(tmp_path: Path, relpath: str, text: str) -> Path:
    path = tmp_path / "ext" / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path / "ext"


@pytest.fixture(scope="module")
def without_care(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    # The shipped detector with the care list replaced by an empty one of the same mode.
    empty = "@mode guess\n@applies harmful abuse unverified\n@review illegal\n"
    ext = _dir_with(tmp_path_factory.mktemp("care"), _CARE_FILE, empty)
    return Detector.load([ext])


def _model_categories(detector: Detector, text: str) -> set[str]:
    return {h.category for h in detector.detect(text) if h.source == "model"}


@pytest.mark.parametrize(
    "text",
    [
        "下雨了出门小心点",
        "你妈的身体好点了吗",
        "孩子退烧没有，要是还烧赶紧去医院看看",
        "你妈的腿好些了没？上楼梯还疼不",
        "天冷了，多穿点，路上慢点",
        "节哀，有什么需要帮忙的说一声",
    ],
)
def test_everyday_care_is_not_guessed_harmful_or_abuse(detector: Detector, text: str):
    assert not _model_categories(detector, text) & _SILENCED, detector.detect(text)
    assert not {h.category for h in detector.detect(text) if h.acted}


def test_the_care_list_is_what_keeps_the_guess_away(detector: Detector, without_care: Detector):
    # Without the list the models guess on these (so the tests here do not pass by accident):
    # a weather forecast heard of is guessed unverified; care for a child's fever with an offer to
    # get hold of something is held as illegal (round 19's models; round 17's held the fever
    # alone, ending in a stray 八).
    forecast = "听说明天要下雨"
    assert "unverified" in _model_categories(without_care, forecast)
    assert detector.detect(forecast) == []
    fever = "孩子退烧没有，要是还烧赶紧去医院看看，我认识人能搞到"
    assert "illegal" in {h.category for h in without_care.detect(fever) if h.acted}
    # With it, an illegal guess beside care words only asks the admins (a threat or a drug offer
    # dressed as care is still seen; the admins decide).
    guesses = [h for h in detector.detect(fever) if h.source == "model"]
    assert guesses and all(h.needs_review and not h.acted for h in guesses), guesses


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("你个废物，早日康复吧", "abuse"),
        ("去你大爷的，下雨了关我屁事", "abuse"),
        ("天冷了，约吗，开好房等你", "harmful"),
    ],
)
def test_a_rule_hit_beside_care_words_stands(detector: Detector, text: str, category: str):
    assert category in {h.category for h in detector.detect(text) if h.acted}


def test_a_guess_cue_silences_only_its_categories(tmp_path: Path):
    # A deployment's own list: cue "工作群" for offtopic guesses. The COLD classifier (abuse,
    # harmful) stays on, and no lexicon hit is dropped.
    ext = _dir_with(tmp_path, "allow/mine.txt", "@mode guess\n@applies offtopic\n工作群\n")
    detector = Detector.load([ext])
    assert not detector.warnings
    hits = detector.detect("工作群里骂人：你个傻逼")
    assert "abuse" in {h.category for h in hits if h.source == "lexicon"}


def test_an_unknown_mode_names_guess_among_the_modes(tmp_path: Path):
    ext = _dir_with(tmp_path, "allow/odd.txt", "@mode guessing\n下雨了\n")
    warnings = Detector.load([ext]).warnings
    assert any("guessing" in w and "'guess'" in w for w in warnings), warnings


# A count of things, not the vulgar homophone (round 17: "家里还有好几把" was a vulgarity hit).
@pytest.mark.parametrize(
    "text", ["那把伞不用还了，你留着用吧，我家里还有好几把", "会议室缺椅子，谁去仓库搬几把椅子"]
)
def test_a_count_of_things_is_not_vulgar(detector: Detector, text: str):
    assert not [h for h in detector.detect(text) if h.source == "lexicon"]


# kindness.jsonl: 200 everyday kindness messages and 100 violations written as their twins, by a
# separate session (development data for this rule; the models never trained on it).
# Round 18: two illegal twins more acted on (threats said as care, whereabouts_threat and
# family_routine_threat), one more with review.
# Round 19's models: 58 acted on (53), 71 with review (66), 2 flagged, 5 asked (9).
# Round 20: a lift offered is everyday care, so its illegal guess only asks: 1 flagged, 6 asked.
_GUARDED = {
    "kindness": ((10, 16, 0, 0, 0, 15, 0, 17), (14, 19, 0, 0, 0, 17, 0, 21), 1, 6),
}


@pytest.mark.parametrize("name", list(_GUARDED))
def test_kindness_figures_after_round_17(detector: Detector, name: str):
    assert_guarded(detector, name, _GUARDED[name])


# Wishing someone dead, often dressed as a greeting (heuristic death_wish).
@pytest.mark.parametrize("text", ["中秋快乐，祝你全家都被月饼噎死", "巴不得你早点死，省得碍眼"])
def test_a_death_wish_is_a_curse(detector: Detector, text: str):
    assert {(h.category, h.kind) for h in detector.detect(text) if h.source == "heuristic"} >= {
        ("abuse", "curse")
    }


@pytest.mark.parametrize(
    "text",
    [
        "祝你工作顺利，别累死了哈哈",
        "祝你电脑永不死机",
        "祝你们出行平安，别出车祸哈",
        "祝他早日康复",
        "看你发的视频笑死我了，祝你天天开心",
    ],
)
def test_wishes_that_mention_death_in_passing_are_no_curse(detector: Detector, text: str):
    assert not [h for h in detector.detect(text) if h.source == "heuristic"]


def _eager() -> Detector:
    # Thresholds so low that whatever a model scores becomes a model hit.
    return Detector.load(
        model_review=0.01, model_high=0.02, workchat_review=0.01, workchat_high=0.02
    )


_LATIN = ("is bad", "good job everyone", "ok see you at 3pm", "what the hell is this")


def test_a_message_without_chinese_is_left_to_the_rules(monkeypatch: pytest.MonkeyPatch):
    # The models learnt Chinese chat: a Latin-only message is never scored, and a listed "sb" is
    # still the lexicon's.
    eager = _eager()
    for text in _LATIN:
        assert eager.detect(text) == [], text
    assert {(h.category, h.source) for h in eager.detect("this is SB")} == {("abuse", "lexicon")}
    # Scored like Chinese, the same messages draw the models' guesses: the gate is what keeps them
    # away, not the thresholds.
    monkeypatch.setattr(detector_module, "_CJK_RE", re.compile("."))
    scored = _eager()
    assert any(h.source == "model" for text in _LATIN for h in scored.detect(text))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("@mode guess\n@applies harmful abuze\n下雨了\n", "abuze"),
        ("@mode guess\n@applies harmful\n@review ilegal\n下雨了\n", "ilegal"),
        ("@mode context\n@applies harmful\n@review illegal\n下雨了\n", "@mode guess only"),
    ],
)
def test_a_misspelt_or_misplaced_header_is_a_warning_not_a_silent_rule(
    tmp_path: Path, text: str, said: str
):
    ext = _dir_with(tmp_path, "allow/mine.txt", text)
    warnings = Detector.load([ext], model=None, workchat=None).warnings
    assert any("mine.txt" in w and said in w for w in warnings), warnings
