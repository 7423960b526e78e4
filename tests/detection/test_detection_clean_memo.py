"""The detector remembers recent plain messages it found clean (``CLEAN_MEMO_SIZE``): work chat
repeats itself, and a repeat must cost a look-up — while every answer stays what a detector that
never saw the text would give."""

from __future__ import annotations

import pytest

import rules.detection.detector as detector_module
from rules.detection import Detector

_CHAT = (
    "收到",
    "好的，马上安排",
    "请各社区于本周五前报送台账",
    "谢谢谢谢王主任",
    "你个傻逼",
    "网赌平台注册送彩金，加V：abc123",
    "听说明天要下雨",
    "本周共排查隐患47处，整改率85%",
    "联系电话 010-85123456",
    "会议照片",
)


@pytest.fixture()
def fresh() -> Detector:
    # Its own detector: the session one's memo holds whatever earlier tests sent it.
    return Detector.load()


def _seen(detector: Detector) -> set[str]:
    return detector._clean | detector._clean_older


def test_a_repeated_message_gets_the_answer_a_first_reading_gets(
    fresh: Detector, detector: Detector
):
    first = [fresh.detect(t) for t in _CHAT]
    clean = {t for t, hits in zip(_CHAT, first, strict=True) if not hits}
    # Eleven digits may be a mobile number: such a text is read every time (see below).
    assert _seen(fresh) == clean - {"联系电话 010-85123456"}
    for _ in range(3):
        assert [fresh.detect(t) for t in _CHAT] == first
    # And what a detector that has read other things gives.
    assert [detector.detect(t) for t in _CHAT] == first
    assert any(first) and not all(first)


def test_a_remembered_text_is_answered_without_reading_it(
    fresh: Detector, monkeypatch: pytest.MonkeyPatch
):
    assert fresh.detect("请查收会议纪要") == []

    def never(text: str) -> tuple[str, bool]:
        raise AssertionError(f"read again: {text}")

    monkeypatch.setattr(fresh, "_normaliser", type("N", (), {"prepare": staticmethod(never)})())
    assert fresh.detect("请查收会议纪要") == []
    with pytest.raises(AssertionError, match="read again"):
        fresh.detect("请查收会议记录")


def test_only_hits_are_never_remembered_as_clean(fresh: Detector):
    assert fresh.detect("你个傻逼")
    assert fresh.detect("你个傻逼")
    assert "你个傻逼" not in _seen(fresh)


def test_a_forward_or_a_card_is_judged_with_what_came_with_it(fresh: Detector):
    # The same words are clean as a member's message and a hit as a forward of unknown origin
    # or as a mini-program card: the memo of the plain message answers neither.
    assert fresh.detect("听说明天要下雨") == []
    assert {h.kind for h in fresh.detect("听说明天要下雨", forwarded=True)} == {"hearsay"}
    assert fresh.detect("", forwarded=True, media_kind="video")
    assert "听说明天要下雨" in _seen(fresh)


def test_text_that_may_hold_personal_data_is_read_every_time(fresh: Detector):
    # An ID number's birth date is judged against today: tomorrow may answer otherwise.
    text = "报名表已交，编号20261207000000001"
    assert fresh.detect(text) == fresh.detect(text)
    assert text not in _seen(fresh)


def test_the_memo_is_bounded_and_keeps_the_most_recent(
    fresh: Detector, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(detector_module, "CLEAN_MEMO_SIZE", 4)
    texts = [f"第{'一二三四五六七八九十'[i]}网格今天已巡查完毕" for i in range(10)]
    for text in texts:
        assert fresh.detect(text) == []
        # "收到" is sent again and again: read once, kept through every generation.
        assert fresh.detect("收到") == []
        assert len(fresh._clean) <= 4 and len(fresh._clean_older) <= 4
    assert "收到" in _seen(fresh)
    assert texts[-1] in _seen(fresh) and texts[0] not in _seen(fresh)


def test_long_texts_are_not_remembered(fresh: Detector):
    text = "请各社区于本周五前报送台账，" * 20
    assert len(text) > detector_module.CLEAN_MEMO_MAX_CHARS
    assert fresh.detect(text) == []
    assert text not in _seen(fresh)
