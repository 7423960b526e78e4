"""The normaliser (C9) takes every message the bot sees: whatever the text, it returns, and
what it returns is already canonical. Read-only here: rules/detection/normaliser.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.detection.chartable import build_char_map, read_homoglyphs, read_t2s
from rules.detection.detector import BUILTIN_DIR
from rules.detection.lexicon import discover
from rules.detection.normaliser import Normaliser

# Evasions people type: CJK (with traditional forms), full-width and styled letters,
# separators, zero-width characters, emoji, lone surrogates, combining marks.
_messages = st.one_of(
    st.text(max_size=200),
    st.text(
        alphabet=st.sampled_from(
            [
                *"赌博網站机密 *·._-，。！？\u200b\u200d\ufe0fＳＢⓓ𝐝⑩①😀\u0301",
                "\ud800",
                "\x00",
                "\n",
            ]
        ),
        max_size=200,
    ),
)


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    sources = discover([BUILTIN_DIR])
    return Normaliser(build_char_map(read_t2s(), read_homoglyphs(sources.homoglyph_files)))


@settings(max_examples=300)
@given(_messages)
def test_any_message_normalises_and_every_span_points_into_the_original(
    normaliser: Normaliser, text: str
) -> None:
    result = normaliser.normalise(text)
    assert result.original == text
    assert len(result.folded) == len(text)
    for start in range(len(result.text)):
        first, last = result.span(start, start + 1)
        assert 0 <= first < last <= len(text)


@settings(max_examples=300)
@given(_messages)
def test_normalising_twice_changes_nothing(normaliser: Normaliser, text: str) -> None:
    once = normaliser.normalise(text).text
    assert normaliser.normalise(once).text == once


@settings(max_examples=300)
@given(_messages)
def test_the_offset_map_agrees_with_the_normalised_text(normaliser: Normaliser, text: str) -> None:
    result = normaliser.normalise(text)
    mapped, starts, ends = normaliser.offsets(text, normaliser.fold(text))
    assert mapped == result.text
    assert len(starts) == len(ends) == len(mapped)


@settings(max_examples=300)
@given(_messages)
def test_the_fast_path_collapsed_is_the_normalised_text(normaliser: Normaliser, text: str) -> None:
    prepared, _ = normaliser.prepare(text)
    assert normaliser.collapse(prepared) == normaliser.normalise(text).text
