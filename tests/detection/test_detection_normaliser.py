"""C9: evasions fold away, and every span still points at the original text."""

from __future__ import annotations

import pytest

from rules.detection import Detector
from rules.detection.chartable import build_char_map, read_t2s
from rules.detection.normaliser import Normaliser


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser(build_char_map(read_t2s(), {}))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("賭博網站", "赌博网站"),  # traditional → simplified
        ("ＳＢ", "sb"),  # full-width and case
        ("ⓓⓤ博", "du博"),  # circled letters
        ("𝐝𝐮博", "du博"),  # mathematical bold
        ("赌*博", "赌博"),  # symbol inserted
        ("机 密", "机密"),  # space inserted
        ("赌\u200b博", "赌博"),  # zero-width space
        ("赌赌赌博博", "赌博"),  # repeated characters
        ("⑩号", "10号"),  # expanding character
    ],
)
def test_evasions_fold_to_the_canonical_form(normaliser: Normaliser, raw: str, expected: str):
    assert normaliser.normalise(raw).text == expected


def test_sentence_punctuation_survives_so_terms_do_not_join_across_sentences(
    normaliser: Normaliser,
):
    assert normaliser.normalise("打赌，博物馆").text == "打赌，博物馆"


def test_span_maps_back_over_inserted_separators(normaliser: Normaliser):
    norm = normaliser.normalise("xx賭 * 博yy")
    start = norm.text.index("赌博")
    assert norm.span(start, start + 2) == (2, 7)


def test_folded_text_keeps_original_offsets(normaliser: Normaliser):
    raw = "秘密★１年 內部"
    norm = normaliser.normalise(raw)
    assert len(norm.folded) == len(raw)
    assert norm.folded == "秘密★1年 内部"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("这是賭*博網站", "賭*博網站"),
        ("加入 d u 博 群", "d u 博"),
        ("你个 Ｓ Ｂ", "Ｓ Ｂ"),
        ("机   密文件", "机   密"),
        ("赌赌赌博", "赌赌赌博"),
        ("冰\u200d毒出售", "冰\u200d毒"),
    ],
)
def test_every_hit_span_is_the_original_text(detector: Detector, text: str, match: str):
    hits = detector.detect(text)
    assert hits, text
    hit = hits[0]
    assert hit.match == match
    assert text[hit.start : hit.end] == hit.match
