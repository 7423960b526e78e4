"""The outgoing throttle, in simulated time: nothing lost, order kept, limits held."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest
from wechat_fakes import FakeClock

from adapters.wechat.throttle import OutgoingThrottle, ThrottleLimits
from bot.ports import PlatformError


def sender(clock: FakeClock, log: list[tuple[float, str, int]], chat: str, n: int):
    async def send() -> str:
        log.append((clock.now(), chat, n))
        return f"{chat}-{n}"

    return send


async def test_burst_of_200_is_all_sent_in_order_within_the_default_limits() -> None:
    clock = FakeClock()
    throttle = OutgoingThrottle(ThrottleLimits(), clock)
    throttle.start()
    sent: list[tuple[float, str, int]] = []
    futures = [
        throttle.submit(f"room{i % 5}", sender(clock, sent, f"room{i % 5}", i)) for i in range(200)
    ]
    await asyncio.wait_for(throttle.drain(), 5)
    assert [f.result() for f in futures] == [f"room{i % 5}-{i}" for i in range(200)]
    assert len(sent) == 200 and throttle.sent == 200 and throttle.pending == 0
    for room in {c for _, c, _ in sent}:
        times = [t for t, c, _ in sent if c == room]
        numbers = [n for _, c, n in sent if c == room]
        assert numbers == sorted(numbers), "order within a room is kept"
        assert all(b - a >= 3.0 - 1e-9 for a, b in pairwise(times))
    times = [t for t, _, _ in sent]
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + 60.0]
        assert len(in_window) <= 40, "never more than 40 in any minute"
    # Limits, not slowness: 200 messages at 40/min take about five minutes of (fake) time.
    assert 290 <= times[-1] - times[0] <= 330
    await throttle.stop()


async def test_a_waiting_room_does_not_hold_up_another_room() -> None:
    clock = FakeClock()
    throttle = OutgoingThrottle(ThrottleLimits(per_minute=600, chat_interval=3.0, burst=10), clock)
    throttle.start()
    sent: list[tuple[float, str, int]] = []
    throttle.submit("a", sender(clock, sent, "a", 1))
    throttle.submit("a", sender(clock, sent, "a", 2))
    throttle.submit("b", sender(clock, sent, "b", 3))
    await throttle.drain()
    assert [(c, n) for _, c, n in sent] == [("a", 1), ("b", 3), ("a", 2)]
    assert sent[2][0] - sent[0][0] >= 3.0
    await throttle.stop()


async def test_transient_failure_is_retried_and_keeps_the_room_order() -> None:
    clock = FakeClock()
    throttle = OutgoingThrottle(ThrottleLimits(per_minute=600, chat_interval=0, burst=10), clock)
    throttle.start()
    sent: list[int] = []
    failures = iter([PlatformError("transient", "network")])

    async def flaky() -> str:
        err = next(failures, None)
        if err:
            raise err
        sent.append(1)
        return "ok"

    async def second() -> str:
        sent.append(2)
        return "ok"

    first = throttle.submit("r", flaky)
    throttle.submit("r", second)
    await throttle.drain()
    assert first.result() == "ok" and sent == [1, 2]
    await throttle.stop()


async def test_a_refused_message_fails_alone_and_the_queue_goes_on() -> None:
    clock = FakeClock()
    throttle = OutgoingThrottle(ThrottleLimits(per_minute=600, chat_interval=0, burst=10), clock)
    throttle.start()

    async def refused() -> None:
        raise PlatformError("forbidden", "not in room")

    async def fine() -> str:
        return "ok"

    bad = throttle.submit("r", refused)
    good = throttle.submit("r", fine)
    await throttle.drain()
    assert isinstance(bad.exception(), PlatformError) and good.result() == "ok"
    assert throttle.failed == 1 and throttle.sent == 1
    await throttle.stop()


async def test_stop_reports_what_was_left_unsent() -> None:
    clock = FakeClock()
    throttle = OutgoingThrottle(ThrottleLimits(per_minute=1, burst=1), clock)

    async def fine() -> None:
        return None

    for _ in range(3):
        throttle.submit("r", fine)
    assert await throttle.stop() == 3  # never started: all kept, none silently dropped


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        ThrottleLimits(per_minute=0)
