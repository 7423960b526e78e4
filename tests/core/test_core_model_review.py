"""The classifier's unsure band goes to the admins; only its sure hits are acted on (issue 17,
item 2), and the detection keys in config reach the detector."""

from __future__ import annotations

import pytest
from core_harness import Harness, make_harness

from bot.config import ConfigError, parse_settings
from bot.runtime import load_detector

# A COLD dev comment the shipped model scores ~0.903: its review band (0.9–0.92).
UNSURE = "白人是上等人，黑人不是"


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(
        sqlite_url, groups=[{"platform": "console", "chat_id": "console-group"}]
    )
    await harness.say("/admin 管理员-办公室")
    yield harness
    await harness.close()


async def test_a_review_band_hit_tells_the_admins_and_does_nothing_to_the_member(h: Harness):
    handled = (await h.say(f"李明-财务科: {UNSURE}"))[-1]
    (decision,) = handled.decisions
    assert decision.reason == "reason.model_review" and not decision.counts_as_offence
    assert h.adapter.calls == []  # not deleted, not warned
    (notice,) = [t for where, t in h.adapter.sent if where.startswith("private:")]
    assert "待复核" in notice and "李明-财务科" in notice and "未自动处理" in notice
    assert not any("待复核" in t for where, t in h.adapter.sent if where == "console-group")


async def test_lowering_the_high_threshold_makes_the_same_message_acted_on(sqlite_url: str):
    harness = await make_harness(
        sqlite_url,
        groups=[{"platform": "console", "chat_id": "console-group"}],
        detection={"model_review": 0.5, "model_high": 0.9},
    )
    try:
        handled = (await harness.say(f"李明-财务科: {UNSURE}"))[-1]
        assert any(d.counts_as_offence for d in handled.decisions)
        assert any(c[0] == "delete_message" for c in harness.adapter.calls)
    finally:
        await harness.close()


def test_turning_the_model_off_leaves_only_lexicons() -> None:
    settings = parse_settings("detection:\n  model: false\n", "test.yaml")
    assert load_detector(settings).detect(UNSURE) == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("detection:\n  model_review: 0.99\n  model_high: 0.9\n", "model_review"),
        ("detection:\n  model_high: 1.5\n", "model_high"),
        ("detection:\n  model: /nonexistent/model.json.gz\n", "model"),
    ],
)
def test_bad_detection_keys_are_one_clear_line(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(text, "test.yaml")
    assert key in str(raised.value) and "line" in str(raised.value)
