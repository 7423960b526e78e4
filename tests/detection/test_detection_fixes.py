"""Second curation round: the misses measured on the old held-out split, fixed by general means
(each with a trap that must stay clean)."""

from __future__ import annotations

import pytest

from rules.detection import Detector, Hit


def cats(hits: list[Hit]) -> set[str]:
    return {h.category for h in hits}


@pytest.mark.parametrize(
    "text",
    [
        "王区长对此事的批示是：“严肃处理，限期整改”",
        "李书记的指示为：立即停工",
        "张局长批示如下：按程序办理",
    ],
)
def test_instruction_quote_may_follow_a_copula(detector: Detector, text: str):
    hits = [h for h in detector.detect(text) if h.category == "internal"]
    assert [h.kind for h in hits] == ["instruction"]
    assert text[hits[0].start : hits[0].end] == hits[0].match


def test_a_question_about_an_instruction_is_not_a_quote(detector: Detector):
    assert "internal" not in cats(detector.detect("王区长的批示是否已经落实了？"))


@pytest.mark.parametrize("text", ["滚犊子，别在群里瞎嚷嚷", "你个傻缺", "mlgb的，你再说一遍"])
def test_vulgar_insults_aimed_at_someone_are_abuse(detector: Detector, text: str):
    assert cats(detector.detect(text)) == {"abuse"}


def test_plain_swearing_stays_vulgarity(detector: Detector):
    assert {(h.category, h.kind) for h in detector.detect("卧槽，又要加班")} == {
        ("harmful", "vulgarity")
    }


@pytest.mark.parametrize(
    "text",
    [
        "您的医保卡已冻结，请按提示操作解冻",
        "【社保中心】您的社保卡已被冻结，点击链接在线解冻",
        "您的银行卡将被冻结，请尽快处理",
    ],
)
def test_frozen_card_scripts_are_fraud(detector: Detector, text: str):
    assert ("illegal", "fraud") in {(h.category, h.kind) for h in detector.detect(text)}


def test_anti_fraud_warning_quoting_the_script_is_clean(detector: Detector):
    text = "反诈提醒：接到“医保卡已冻结，请按提示操作解冻”的电话，一律是诈骗"
    assert detector.detect(text) == []


def test_a_secrecy_self_inspection_notice_is_clean(detector: Detector):
    assert detector.detect("下周保密工作检查，请各科室自查涉密计算机是否违规联网。") == []


def test_a_classified_file_passed_on_is_still_secret(detector: Detector):
    assert "secret" in cats(detector.detect("涉密计算机里的文件我拷出来了，发群里"))


def test_a_drug_record_is_privacy_not_drug_content(detector: Detector):
    assert cats(detector.detect("刘某有吸毒史，大家离他远点")) == {"privacy"}
    assert "illegal" in cats(detector.detect("有人吸毒，就在三楼"))


def test_span_allow_phrases_apply_only_to_their_categories(tmp_path):
    allow = tmp_path / "allow"
    allow.mkdir()
    (allow / "narrow.txt").write_text("@mode span\n@applies abuse\n你个傻逼吧\n", encoding="utf-8")
    (tmp_path / "illegal").mkdir()
    (tmp_path / "illegal" / "test.txt").write_text(
        "@article A\n@reason r\n傻逼吧\n", encoding="utf-8"
    )
    # Lexicon mechanics: without the models, whose hits have no span to allow (the offensive-
    # language classifier rightly scores the phrase as abuse on its own).
    detector = Detector.load([tmp_path], model=None, workchat=None)
    # The phrase hides the abuse hit inside it, not the illegal one.
    assert cats(detector.detect("你个傻逼吧")) == {"illegal"}
