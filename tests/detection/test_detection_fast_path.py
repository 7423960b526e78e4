"""The detector's fast paths (no normalisation needed, repeats found by the automaton, the PII
gate) must give exactly what the careful path gives."""

from __future__ import annotations

import random

import pytest

from rules.detection import Detector
from rules.detection.pii import find_pii, may_hold_pii


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("谢谢谢谢，赌赌博网站", "赌赌博网站"),  # a repeat elsewhere, and one inside the term
        ("哈哈哈，内部资料，不得外传", "内部资料，不得外传"),
        ("ＯＫ，赌博网站", "赌博网站"),  # one-to-one folds only
        ("赌 博网站，谢谢谢", "赌 博网站"),  # separators and repeats together
    ],
)
def test_spans_survive_every_path(detector: Detector, text: str, match: str):
    hits = detector.detect(text)
    assert hits, text
    assert text[hits[0].start : hits[0].end] == hits[0].match
    assert hits[0].match.startswith(match[:2])


def test_repeats_outside_terms_change_nothing(detector: Detector):
    plain = detector.detect("听说要裁员了")
    repeated = detector.detect("哈哈哈哈，听说要裁员了")
    assert [(h.category, h.kind, h.match) for h in plain] == [
        (h.category, h.kind, h.match) for h in repeated
    ]
    assert [h.start + 5 for h in plain] == [h.start for h in repeated]


def test_expanding_symbols_keep_spans_on_the_original(detector: Detector):
    # ℡ folds to "tel" and ‼ to "!!": the span of what follows must still point at it.
    for text in ("℡赌博网站", "内部资料‼不得外传", "㎏赌博网站"):
        hits = detector.detect(text)
        assert hits, text
        assert all(text[h.start : h.end] == h.match for h in hits)
        assert not any(c in hits[0].match for c in "℡‼㎏")


def _number(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice((3, 7, 11, 15, 18, 19))))
    seps = (" ", "-", "　", "－", "", ".", "\u200b", "·")
    every = rng.random() < 0.3  # written digit by digit: "1 3 8 1 2 …"
    return "".join(
        d + (rng.choice(seps) if every or rng.random() < 0.2 else "") for d in digits
    ).strip()


def test_the_pii_gate_never_hides_personal_data():
    """Everything find_pii reports passes the gate: numbers however separated, addresses with
    small numbers, e-mails."""
    rng = random.Random(11)
    words = ("", "住址：", "家住", "卡号", "手机", "邮箱 a@b.cn ", "订单号", "１３８", "地址是")
    tails = ("", "号楼3单元", "栋202室", "，谢谢", "@qq.com", "号楼2单元", "幢1室")
    found = 0
    for _ in range(5000):
        text = rng.choice(words) + _number(rng) + rng.choice(tails)
        if find_pii(text):
            found += 1
            assert may_hold_pii(text), text
    assert found > 1000


@pytest.mark.parametrize(
    "text",
    [
        "他的手机1\u200b3\u200b8\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8",
        "手机 1 3 8 1 2 3 4 5 6 7 8",
        "1.3.8.1.2.3.4.5.6.7.8",
        "家住幸福小区3号楼2单元",
        "住址：阳光花园12栋3单元",
        "他家住在幸福小区三号楼二单元5室",
    ],
)
def test_personal_data_written_to_slip_past_is_still_found(detector: Detector, text: str):
    # Digit by digit with separators, or an address whose numbers are small: no run of three
    # digits, which the gate once wrongly required.
    assert may_hold_pii(text)
    assert [h.category for h in detector.detect(text)] == ["privacy"], text


# Characters a text may be made of: Chinese, both widths of digits, letters and signs, the
# lookalikes case-folding lets a Latin class match (İ ı ſ K), other scripts' digits, emoji.
_ALPHABET = (
    "的一是在了请查收会议纪要，。！：、 \u3000"
    "0123456789０１２３４５６７８９٣۴"
    "abchtpswxyzHTWVQ ａｂｈｔｐｗｗｗ ＨＴＷ"
    "@＠.．。:：/-_ İıſK 👍"
)


def test_one_search_spares_messages_that_can_hold_neither_personal_data_nor_a_link():
    """The detector runs the personal-data and link gates only on a text holding one of the
    characters either needs: a text without any is one both gates would have let pass."""
    from rules.detection.contacts import may_hold_link
    from rules.detection.detector import _MAY_HOLD_DATA_RE

    rng = random.Random(12)
    spared = 0
    for _ in range(20000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 24)))
        if _MAY_HOLD_DATA_RE.search(text) is None:
            spared += 1
            assert not may_hold_pii(text) and not may_hold_link(text), text
    assert spared > 500  # the property was tried on texts the search does spare
    # Full-width links and numbers: both gates pass them, so the search must find them.
    wide = (
        "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ",
        "ｈｔｔｐ：／／ａ．ｃｎ",
        "电话１３８１２３４５６７８",
        "ａ＠ｂ．ｃｎ",
    )
    for text in wide:
        assert may_hold_pii(text) or may_hold_link(text), text
        assert _MAY_HOLD_DATA_RE.search(text) is not None, text


def test_dates_and_short_landlines_are_not_looked_at_as_personal_numbers():
    # Fewer than eleven digits cannot be a mobile, an ID or a bank card: the gate spares them.
    for text in ("2026-12-05 上午开会", "值班电话 8512 3456", "第20261205期简报"):
        assert not may_hold_pii(text), text
    # A mobile (eleven digits, however written) and a landline with its area code still pass.
    for text in ("手机 138 1234 5678", "１３８－１２３４－５６７８", "联系电话 010-85123456"):
        assert may_hold_pii(text), text
    assert [m.kind for m in find_pii("手机 138 1234 5678")] == ["mobile"]


def test_a_clause_repeated_in_one_message_is_worked_out_once(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
):
    # A million commas are a million empty clauses: one memo entry, not a million.
    from rules.detection.screen import ModelScreen

    calls: list[str] = []
    entry = ModelScreen._entry

    def counting(self: ModelScreen, clause: str):  # type: ignore[no-untyped-def]
        calls.append(clause)
        return entry(self, clause)

    monkeypatch.setattr(ModelScreen, "_entry", counting)
    model = detector.model
    assert model is not None
    ModelScreen(model.model, model.review, None)("，" * 100_000 + "收到，收到，收到")
    assert sorted(calls) == ["", "收到"]


def test_the_models_read_the_first_4096_characters_and_the_rules_read_all(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
):
    from rules.detection.detector import MODEL_MAX_CHARS

    screened: list[str] = []
    screen = detector._screen
    assert screen is not None

    def recording(prepared: str) -> tuple[bool, float]:
        screened.append(prepared)
        return screen(prepared)

    monkeypatch.setattr(detector, "_screen", recording)
    text = "今天下午两点开会，请准时参加。" * 400 + "网上赌博平台注册送彩金"
    hits = detector.detect(text)
    assert "illegal" in {h.category for h in hits}  # the rules read to the end
    assert [len(t) for t in screened] == [MODEL_MAX_CHARS]  # the models, the first 4,096
    assert len(detector.prepare_for_model(text)) == MODEL_MAX_CHARS
    screened.clear()
    detector.detect("今天下午两点开会，请准时参加")
    assert screened == ["今天下午两点开会，请准时参加"]  # a message of a usual size, whole


class _AlwaysCollapsing(Detector):
    """The careful path for every repeat: collapse and match again."""

    def _collapsing_matters(self, prepared: str, markers: list[tuple[int, int, int]]) -> bool:
        return True


def test_a_repeat_no_listed_word_runs_through_is_not_collapsed_and_finds_the_same(
    detector: Detector,
):
    """Messages with 谢谢 / 哈哈哈 / 看看 skip collapsing and a second match when no pattern holds
    the repeated character between the characters beside it; every character doubled here and
    there in listed words and ordinary talk ("内部部资料", "代开开发票") gives exactly the hits the
    careful path gives."""
    careful = _AlwaysCollapsing.load()
    pieces = ("网赌平台", "内部资料", "代开发票", "刷单返利", "赌博网站", "谢谢王主任", "哈哈",
              "收到", "请大家看看通知", "好的，马上安排", "加微信领红包", "你个傻逼",
              "听说要裁员了", "独居老人要多上门看看", "这个事情我跟书记汇报一下")  # fmt: skip
    rng = random.Random(5)
    doubled_in_evidence = 0
    for _ in range(3000):
        text = "，".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(chars))
            chars[i] *= rng.choice((2, 3))
        text = "".join(chars)
        fast = detector.detect(text)
        assert fast == careful.detect(text), text
        doubled_in_evidence += any(
            a == b >= "\u3400" for h in fast for a, b in zip(h.match, h.match[1:], strict=False)
        )
    assert doubled_in_evidence > 100  # listed words found only by collapsing were among them


def test_a_repeat_inside_a_listed_word_is_still_collapsed(detector: Detector):
    # 返 sits between 单 and 利 in 刷单返利: the run must be collapsed to find it.
    assert [(h.category, h.match) for h in detector.detect("刷单返返返利")] == [
        ("illegal", "刷单返返返利")
    ]
    assert detector._collapsing_matters("刷单返返利", [(0, 2, 4)])
    assert not detector._collapsing_matters("谢谢王主任", [(0, 0, 2)])
