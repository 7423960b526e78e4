"""The command parser and the target id folding take any text without raising (issue 10,
items 4 and 13): a command is either parsed into a lower-case ASCII name and its arguments, or
is not a command at all; an id in any script's digits folds to the ASCII account id."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.command_text import split_command
from bot.commands.tools import canonical_id


@example("/", None)  # a bare slash, as typed by mistake (found by this test)
@example("／\u3000", "gg_bot")
@given(st.text(max_size=400), st.one_of(st.none(), st.text(max_size=32)))
def test_any_text_is_a_command_or_not_never_an_error(text: str, bot: str | None) -> None:
    parsed = split_command(text, bot)
    if parsed is None:
        return
    name, args = parsed
    assert name and name.isascii() and name == name.lower()
    assert all(c.isalnum() or c == "_" for c in name)
    assert all(isinstance(a, str) for a in args)


@given(st.text(alphabet=st.characters(categories=("Zs",)), max_size=3), st.text(max_size=60))
def test_leading_space_and_full_width_slash_still_make_a_command(space: str, rest: str) -> None:
    words = rest.split()
    text = f"{space}／warn {' '.join(words)}"
    parsed = split_command(text)
    assert parsed is not None and parsed[0] == "warn"


@given(st.text(max_size=40))
def test_canonical_id_never_raises_and_is_ascii_digits(text: str) -> None:
    folded = canonical_id(text)
    if folded is not None:
        assert folded.lstrip("-").isdigit() and folded.isascii()


_DIGIT_SETS = [
    "0123456789",
    "０１２３４５６７８９",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
]


@given(st.integers(min_value=10_000, max_value=10**15), st.sampled_from(_DIGIT_SETS))
def test_every_script_of_digits_is_the_same_account(number: int, digits: str) -> None:
    typed = str(number).translate(str.maketrans("0123456789", digits))
    assert all(unicodedata.decimal(c) is not None for c in typed)
    assert canonical_id(typed) == str(number)


def test_short_numbers_are_amounts_not_accounts() -> None:
    assert canonical_id("10") is None and canonical_id("１２３４") is None


@given(st.text(max_size=80))
def test_a_button_payload_is_canonical_or_refused(data: str) -> None:
    from bot.workflows.kernel import parse_payload

    parsed = parse_payload(data)
    if parsed is None:
        return
    workflow, record_id, verb = parsed
    # Only the one spelling is accepted: the payload is exactly what we would have sent.
    assert data in (f"wf:{workflow}:{record_id}:{verb}", f"esc:{record_id}:{verb}")
    assert 0 < record_id < 10**18
