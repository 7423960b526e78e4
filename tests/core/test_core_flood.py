"""Flooding (刷屏): a wave of messages is one offence with a ladder of its own (issue 10, 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from core_harness import Harness, make_harness

from bot.flood import FloodCounter, fingerprint
from rules.actions import ActionKind
from rules.detection.detector import Detector
from rules.engine import Engine
from rules.observation import Kind, MemberRecord, Observation
from rules.policy import GroupPolicy

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ENGINE = Engine(Detector.load())


def decide(record: MemberRecord, text: str = "收到") -> list:
    observation = Observation(
        kind=Kind.MESSAGE,
        user_id="u1",
        nickname="张三-党群工作部",
        at=NOW,
        message_id="m",
        text=text,
    )
    return ENGINE.decide(observation, GroupPolicy(), record)


def test_ten_messages_in_ten_seconds_are_allowed_the_eleventh_is_flooding() -> None:
    assert decide(MemberRecord(recent_messages=10, recent_repeats=1)) == []
    (decision,) = decide(MemberRecord(recent_messages=11, recent_repeats=1))
    assert decision.category == "flood" and decision.counts_as_offence
    kinds = [a.kind for a in decision.actions]
    assert kinds[0] is ActionKind.DELETE and ActionKind.MUTE in kinds
    assert decision.reason == "reason.flood_messages"


def test_the_same_text_a_fifth_time_is_flooding() -> None:
    assert decide(MemberRecord(recent_messages=4, recent_repeats=4)) == []
    (decision,) = decide(MemberRecord(recent_messages=5, recent_repeats=5))
    assert decision.reason == "reason.flood_repeats" and decision.counts_as_offence


def test_the_rest_of_a_wave_is_deleted_without_counting_again() -> None:
    (decision,) = decide(MemberRecord(recent_messages=50, recent_repeats=50))
    assert [a.kind for a in decision.actions] == [ActionKind.DELETE]
    assert not decision.counts_as_offence


def test_a_second_flood_climbs_its_own_ladder() -> None:
    (decision,) = decide(MemberRecord(recent_messages=11, offences={"flood": 1}))
    assert ActionKind.NOTIFY_ADMINS in [a.kind for a in decision.actions]
    assert decision.offence_number == 2


def test_admins_are_not_flood_limited_and_illegal_content_in_a_flood_is_still_reported() -> None:
    assert decide(MemberRecord(recent_messages=99, is_admin=True)) == []
    decisions = decide(MemberRecord(recent_messages=11), text="有没有人一起去网络赌博")
    assert {d.category for d in decisions} == {"flood", "illegal"}


def test_counter_counts_within_each_window() -> None:
    counter = FloodCounter()
    key = ("console", "g", "u1")
    short, long = timedelta(seconds=10), timedelta(seconds=60)
    for n in range(5):  # at 0, 2, 4, 6, 8 s
        assert counter.observe(key, NOW + timedelta(seconds=2 * n), "收到", short, long) == (
            n + 1,
            n + 1,
        )
    # At 12 s the message of 0 s has left the 10 s window; "好的" is new.
    assert counter.observe(key, NOW + timedelta(seconds=12), "好的", short, long) == (5, 1)
    # At 70 s only "好的" of 12 s is within 60 s, and it is another text.
    assert counter.observe(key, NOW + timedelta(seconds=70), "收到", short, long) == (1, 1)
    assert counter.observe(("console", "g", "u2"), NOW, "收到", short, long) == (1, 1)


def test_counter_memory_is_bounded_per_member() -> None:
    counter = FloodCounter(cap=64)
    key = ("console", "g", "u1")
    for _ in range(10_000):
        messages, _ = counter.observe(
            key, NOW, "收到", timedelta(seconds=10), timedelta(seconds=60)
        )
    assert messages == 64


@pytest.mark.parametrize(("text", "same"), [("收到 ", "收到"), ("OK", "ok"), ("", "[sticker]")])
def test_what_counts_as_the_same_message(text: str, same: str) -> None:
    assert fingerprint(text, "sticker" if not text else None) == fingerprint(same, "sticker")


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(
        sqlite_url, groups=[{"platform": "console", "chat_id": "console-group"}]
    )
    await harness.say("/admin 管理员-办公室")
    yield harness
    await harness.close()


async def test_a_wave_of_identical_messages_is_one_mute_and_deletes(h: Harness) -> None:
    for _ in range(300):
        await h.say("李明-财务科: 收到")
    mutes = [c for c in h.adapter.calls if c[0] == "mute"]
    deletes = [c for c in h.adapter.calls if c[0] == "delete_message"]
    assert len(mutes) == 1
    # The first four are ordinary; the fifth is the flood; the console lets a muted member
    # type on, and what he types is "speaking while restricted", deleted too.
    assert len(deletes) == 300 - 4
    flood = [r for r in await h.audit(category="flood") if r["kind"] == "mute"]
    assert len(flood) == 1 and flood[0]["outcome"] == "done"


async def test_admins_may_post_as_often_as_they_like(h: Harness) -> None:
    for _ in range(30):
        await h.say("管理员-办公室: 请大家收到回复")
    assert h.adapter.calls == []


async def test_a_group_may_set_its_own_limits(sqlite_url: str) -> None:
    harness = await make_harness(
        sqlite_url,
        groups=[
            {
                "platform": "console",
                "chat_id": "console-group",
                "policy": {"flood": {"max_repeats": 100, "max_messages": 100}},
            }
        ],
    )
    try:
        for n in range(50):
            await harness.say(f"李明-财务科: 收到{n % 2}")
        assert harness.adapter.calls == []
    finally:
        await harness.close()
