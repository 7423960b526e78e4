"""Console replay (``groupguard replay FILE``): a malformed transcript line is reported in one
line naming its number, counted under "errors" and skipped; the replay goes on with the next
line and ends with its summary. Never a traceback (issue 10 item 13)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console import ConsoleAdapter
from adapters.console.script import (
    MAX_RECORD_CHARS,
    RECORD_TYPES,
    ConsoleScript,
    ScriptError,
    transcript_lines,
)
from bot.cli import main
from bot.events import MessagePosted


def script(**kwargs: object) -> ConsoleScript:
    return ConsoleScript(ConsoleAdapter(output=lambda _: None), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"type": "message", "user": ["a"], "text": "hi"}', "'user' must be text, not a list"),
        ('{"type": "tick", "duration": 5}', "'duration' must be text, not a number"),
        ('{"type": "tick", "duration": "9999999999999d"}', "too long"),
        (
            '{"type": "message", "user": "张三", "text": {"a": 1}}',
            "'text' must be text, not an object",
        ),
        (
            '{"type": "message", "user": "张三", "forwarded": "yes"}',
            "'forwarded' must be true or false",
        ),
        (
            '{"type": "message", "user": "张三", "id": [1]}',
            "'id' must be a non-empty id, not a list",
        ),
        ('{"type": "message", "user": "张三", "txt": "hi"}', "unknown field 'txt'"),
        ('{"type": "message", "user": "  "}', "'user' must not be empty"),
        ('{"type": "message", "text": "hi"}', "a 'message' record needs 'user'"),
        ('{"type": "rename", "old": "张三"}', "a 'rename' record needs 'new'"),
        ('{"type": "dance", "user": "张三"}', "unknown type 'dance'"),
        ('{"type": ["message"], "user": "张三"}', "'type' must be text, not a list"),
        ('{"type": "message", "user": "张三", "at": "yesterday"}', "'at' is not an ISO date-time"),
        ('{"type": "leave", "user": "nobody"}', "unknown member 'nobody'"),
        ('{"type": "command", "user": "张三", "text": "hello"}', "not a command"),
        ("[1, 2]", "each line is an object with a 'type'"),
        ('"just text"', "each line is an object with a 'type'"),
        ('{"user": "张三"}', "each line is an object with a 'type'"),
        ('{"type": "message", "user": "张三"', "not JSON"),
        ("not json at all", "not JSON"),
        ("[" * 20_000 + "]" * 20_000, "not JSON this reader accepts"),
        ('{"type": "tick", "duration": ' + "1" * 5000 + "}", "not JSON this reader accepts"),
        (
            '{"type": "message", "user": "张三", "text": "' + "字" * MAX_RECORD_CHARS + '"}',
            "longer than",
        ),
    ],
)
def test_a_malformed_record_is_one_error_naming_its_line(line: str, says: str) -> None:
    with pytest.raises(ScriptError) as caught:
        script().parse_record(line, 7)
    message = str(caught.value)
    assert message.startswith("line 7: ")
    assert says in message
    assert "\n" not in message


def test_numeric_ids_are_read_as_text() -> None:
    steps = script().parse_record('{"type": "message", "user": "张三", "text": "hi", "id": 5}', 1)
    assert isinstance(steps[-1], MessagePosted)
    assert steps[-1].message_id == "5"


def test_a_time_without_a_zone_is_read_in_the_replay_zone() -> None:
    line = '{"type": "message", "user": "张三", "text": "早", "at": "2026-10-01T08:00"}'
    steps = script(zone=ZoneInfo("Asia/Shanghai")).parse_record(line, 1)
    assert steps[-1].at == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)


def test_the_reader_skips_bad_bytes_and_huge_lines_and_keeps_counting() -> None:
    good = '{"type": "message", "user": "张三", "text": "hi"}\n'
    raw = (
        "\ufeff".encode()
        + good.encode()
        + b'{"type": "message", "user": "\xff"}\n'
        + b"x" * (MAX_RECORD_CHARS * 4 + 10)
        + b"\n"
        + good.encode()
    )
    lines = list(transcript_lines(io.BytesIO(raw)))
    assert [n for n, _ in lines] == [1, 2, 3, 4]
    assert lines[0][1] == good  # the byte-order mark is not part of the record
    assert isinstance(lines[1][1], ScriptError) and str(lines[1][1]).startswith(
        "line 2: not UTF-8 text (byte 0xff"
    )
    assert isinstance(lines[2][1], ScriptError) and str(lines[2][1]).startswith(
        "line 3: longer than"
    )
    assert lines[3][1] == good


def test_replay_reports_each_bad_line_skips_it_and_handles_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: a scratch database
    transcript = tmp_path / "t.jsonl"
    transcript.write_bytes(
        '{"type": "join", "user": "张三-党群工作部"}\n'.encode()
        + b'{"type": "message", "user": ["a"], "text": "hi"}\n'
        b'{"type": "tick", "duration": 5}\n'
        b"[1, 2]\n"
        b"{broken\n"
        b'{"type": "message", "user": "\xff"}\n'
        + b"y" * (MAX_RECORD_CHARS * 4 + 1)
        + b"\n"
        + '{"type": "message", "user": "张三-党群工作部", "text": "加我微信带你赌博"}\n'.encode()
    )
    result = CliRunner().invoke(main, ["replay", str(transcript)], catch_exceptions=False)
    assert result.exit_code == 0
    errors = [line for line in result.output.splitlines() if line.startswith("! ")]
    assert [e.split(":")[0] for e in errors] == [f"! line {n}" for n in range(2, 8)]
    assert "· illegal ·" in result.output  # line 8, after six bad lines, was still handled
    summary = dict(
        line.split() for line in result.output.splitlines() if line.startswith(("errors", "events"))
    )
    assert summary == {"errors": "6", "events": "2"}


# -- property: any line is steps or one ScriptError ------------------------------------------

_FIELDS = [
    "type", "user", "name", "text", "at", "chat", "id", "reply_to", "duration", "media",
    "forwarded", "forward_origin", "invited_by", "old", "new", "data", "extra",
]  # fmt: skip
_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=10),
        st.sampled_from([*RECORD_TYPES, "张三", "/mute @张三 10m", "25h", "2026-10-01T08:00"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_records = st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=6)


@settings(max_examples=400)
@given(st.one_of(_records.map(json.dumps), st.text(max_size=60)))
def test_any_line_is_steps_or_one_script_error(line: str) -> None:
    try:
        steps = script().parse_record(line, 3)
    except ScriptError as exc:
        assert str(exc).startswith("line 3: ")
        return
    assert isinstance(steps, list)


_valid_ish = st.fixed_dictionaries(
    {"type": st.sampled_from(RECORD_TYPES)},
    optional={
        "user": st.sampled_from(["张三-党群工作部", "小明", "管理员-办公室"]),
        "text": st.sampled_from(["大家好", "加我微信带你赌博", "/mute @小明 10m", "/ban", "#1"]),
        "duration": st.sampled_from(["1m", "25h", "0s", "9999999999999d"]),
        "old": st.just("小明"),
        "new": st.just("李明-财务科"),
        "data": st.sampled_from(["wf:esc:1:lift", "esc:99999999999999999999999:lift", "x"]),
        "reply_to": st.sampled_from(["1", "2", "99"]),
        "at": st.sampled_from(["2026-10-01T08:00", "2026-10-01T08:00+08:00"]),
    },
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(_valid_ish.map(json.dumps), _records.map(json.dumps)), max_size=12))
def test_any_transcript_replays_to_its_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    transcript = tmp_path / "t.jsonl"
    transcript.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", str(transcript)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith("events")
