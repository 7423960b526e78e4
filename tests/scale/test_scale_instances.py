"""Several instances on one PostgreSQL (issue 16): an update is handled by one instance only,
a live instance's work is left alone and a lapsed one's is adopted, timers are claimed once
with a lease, and a change made through one instance holds in the others within a second.

Two full applications share one database here, each with its own clock, lease and caches, as
two processes would; the process-level version (kill -9, a load balancer) is in
``test_scale_processes.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from core_harness import Harness, make_harness
from sqlalchemy import inspect

from bot.actions.spec import Target
from bot.workflows.kernel import TimerDue
from rules.actions import Action, ActionKind
from rules.decisions import Decision

LEASE = timedelta(seconds=30)
TIMER_LEASE = timedelta(minutes=2)


def _instance(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "instance": {
            "id": name,
            "lease": LEASE.total_seconds(),
            "timer_lease": TIMER_LEASE.total_seconds(),
            "changes_poll": 0.2,
            **extra,
        }
    }


@pytest.fixture
async def pair(postgres: Any) -> AsyncIterator[tuple[Harness, Harness]]:  # type: ignore[misc]
    url = postgres.new_database()
    a = await make_harness(url, **_instance("A"))
    b = await make_harness(url, **_instance("B"))
    b.clock.now = a.clock.now  # type: ignore[method-assign]  # one time for both
    b.clock.advance = a.clock.advance  # type: ignore[method-assign]
    # Each console script numbers its updates from 1; two platforms' worth of updates
    # under one name would be one update delivered twice.
    b.script._ids = itertools.count(100_000)
    b.script._msg_ids = itertools.count(100_000)
    try:
        yield a, b
    finally:
        await b.close()
        await a.close()


pytestmark = pytest.mark.postgres


# -- an update is claimed by a unique key, across instances -----------------------------------


async def test_an_update_delivered_to_both_instances_is_taken_by_exactly_one(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    ids = [str(9_000 + i) for i in range(200)]
    takes = await asyncio.gather(
        *(
            h.app.inbox.put("telegram", [(u, {"update_id": int(u)})])
            for u in ids
            for h in (a, b)  # every update to both, at the same moment
        )
    )
    taken = [u for got in takes for u in got]
    assert sorted(taken) == sorted(ids)  # each once, none lost


# -- intents: left alone while the owner lives, adopted once its lease lapses ----------------


async def _journal_without_acting(h: Harness) -> str:
    """What a process killed between writing its intents and acting leaves behind."""
    target = Target("console", "console-group", None, "u9", "王五")
    decision = Decision(
        rule="content",
        article="R1 Art.7",
        category="illegal",
        severity="critical",
        actions=(Action(ActionKind.DELETE),),
        user_id="u9",
        message_id="m-77",
    )
    journaled = await h.app.store.write(lambda r: h.app.executor.journal_in(r, target, [decision]))
    assert journaled is not None
    ((_, decision_id, _, _),) = journaled
    return decision_id


async def test_a_live_instances_intents_are_not_touched_by_another(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    decision_id = await _journal_without_acting(a)
    await b.app.lease.renew()  # A renewed its lease a moment ago: nothing to adopt
    assert await b.app._finish_lapsed_decisions() == 0
    assert ("delete_message", "console-group", "m-77") not in b.adapter.calls
    pending = await b.app.store.read(lambda r: r.actions_without_outcome([decision_id]))
    assert len(pending) == 1


async def test_a_lapsed_instances_intents_are_finished_by_another_once(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    decision_id = await _journal_without_acting(a)
    a.app.lease._task.cancel()  # A stops renewing (killed)  # type: ignore[union-attr]
    a.clock.advance(LEASE + timedelta(seconds=1))
    await b.app.lease.renew()  # B finds A lapsed and adopts its work
    deletes = [c for c in b.adapter.calls if c[0] == "delete_message"]
    assert deletes == [("delete_message", "console-group", "m-77")]
    assert not await b.app.store.read(lambda r: r.actions_without_outcome([decision_id]))
    await b.app.lease.renew()  # adopted once: a second look finds nothing
    assert [c for c in b.adapter.calls if c[0] == "delete_message"] == deletes
    assert await b.app.store.read(lambda r: r.live_instances(datetime.min.replace(tzinfo=UTC)))


async def test_the_inbox_rows_of_a_lapsed_instance_are_adopted_by_one_live_instance(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    assert await a.app.inbox.put("telegram", [("501", {"update_id": 501})]) == ["501"]
    assert await b.app.inbox.adopt("telegram", own=False) == []  # A is alive: its row
    a.clock.advance(LEASE + timedelta(seconds=1))
    await b.app.lease.renew()  # B renews; A has not
    adopted = await b.app.inbox.adopt("telegram", own=False)
    assert [u for _, u, _ in adopted] == ["501"]
    assert await b.app.inbox.adopt("telegram", own=False) == []  # now B's own, in flight


# -- timers: claimed with SKIP LOCKED and a lease ----------------------------------------------


def _count_fires(h: Harness, fired: list[tuple[str, int]], name: str) -> None:
    async def fire(due: TimerDue) -> None:
        fired.append((name, int(due.payload["n"])))
        await asyncio.sleep(0)  # let the other instance's tick interleave

    h.app.kernel.add_timer("test_tick", fire)


async def test_due_timers_are_split_between_instances_and_each_fires_once(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    fired: list[tuple[str, int]] = []
    _count_fires(a, fired, "A")
    _count_fires(b, fired, "B")
    now = a.clock.now()

    async def arm(r: Any) -> None:
        for n in range(300):
            await r.arm_timer("test_tick", "console", "g", None, now, now, {"n": n}, replace=False)

    await a.app.store.write(arm)
    a.clock.advance(timedelta(seconds=1))
    while len(fired) < 300:  # each instance's scheduler loop, at the same moments
        counts = await asyncio.gather(a.scheduler.tick(), b.scheduler.tick())
        assert sum(counts) > 0
    assert sorted(n for _, n in fired) == list(range(300))  # each exactly once
    assert {name for name, _ in fired} == {"A", "B"}  # and both did some


async def test_a_timer_claimed_by_a_crashed_instance_fires_elsewhere_after_the_lease(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    fired: list[tuple[str, int]] = []
    _count_fires(b, fired, "B")
    now = a.clock.now()
    await a.app.store.write(
        lambda r: r.arm_timer("test_tick", "console", "g", None, now, now, {"n": 1})
    )
    # A claims it and dies before firing.
    (claimed,) = await a.app.store.write(lambda r: r.claim_due_timers("A", now, now + TIMER_LEASE))
    assert claimed.kind == "test_tick"
    assert await b.scheduler.tick() == 0 and fired == []  # A's claim holds
    a.clock.advance(TIMER_LEASE + timedelta(seconds=1))
    assert await b.scheduler.tick() == 1 and fired == [("B", 1)]
    assert await b.scheduler.tick() == 0  # finished: never again


async def test_on_an_embedded_database_a_restart_fires_its_own_cut_short_timer_at_once(
    sqlite_url: str,
) -> None:
    h = await make_harness(sqlite_url)
    now = h.clock.now()
    await h.app.store.write(
        lambda r: r.arm_timer("test_tick", "console", "g", None, now, now, {"n": 7})
    )
    await h.app.store.write(lambda r: r.claim_due_timers("gone", now, now + TIMER_LEASE))
    await h.close()
    h = await make_harness(sqlite_url)
    fired: list[tuple[str, int]] = []
    _count_fires(h, fired, "again")
    try:
        assert await h.scheduler.tick() == 1 and fired == [("again", 7)]
    finally:
        await h.close()


# -- shared state stays fresh ------------------------------------------------------------------


async def _within(seconds: float, check: Any) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds}s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_blacklisting_through_one_instance_holds_in_the_other_within_a_second(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    await b.say("王五-工会: 大家好")  # B has seen the member and cached their standing
    (member,) = [
        m for m in await b.app.store.read(lambda r: r.members_of("console", "console-group"))
    ]
    assert not b.app.hot.is_blacklisted("console", member.user_id)
    await a.say("王五-工会: 加我微信带你赌博，稳赚不赔")  # illegal: blacklisted through A
    assert await a.app.store.read(lambda r: r.is_blacklisted("console", member.user_id))
    took = await _within(1.0, lambda: b.app.hot.is_blacklisted("console", member.user_id))
    assert took < 1.0
    bans = len([c for c in b.adapter.calls if c[0] == "ban"])
    await b.say("/join 王五-工会")  # they come back through B: removed on joining
    assert len([c for c in b.adapter.calls if c[0] == "ban"]) == bans + 1


async def test_quiet_mode_switched_through_one_instance_holds_in_the_other(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    await b.say("李四-工会: 早")  # B caches the group as not quiet
    assert not await b.app.hot.group_quiet("console", "console-group", None, b.clock.now())
    quiet = Decision(
        rule="command",
        article="R2 Art.22",
        category="quiet",
        severity="info",
        actions=(Action(ActionKind.QUIET, duration=timedelta(hours=1)),),
    )
    await a.app.executor.apply_one(Target("console", "console-group", None, None, ""), quiet)
    await _within(1.0, lambda: ("console", "console-group") not in b.app.hot._groups)
    assert await b.app.hot.group_quiet("console", "console-group", None, b.clock.now())


# -- processed update ids are pruned by age, with an index -------------------------------------


async def test_update_ids_older_than_kept_are_forgotten_and_the_table_is_indexed_by_time(
    db_url: str,
) -> None:
    h = await make_harness(db_url, **_instance("P", keep_update_ids="7d"))
    try:
        old, recent = h.clock.now() - timedelta(days=8), h.clock.now() - timedelta(days=1)
        for n, at in ((1, old), (2, recent)):
            await h.app.store.write(lambda r, n=n, at=at: r.claim_update("telegram", str(n), at))
        await h.app.inbox.prune()
        assert not await h.app.store.read(lambda r: r.update_claimed("telegram", "1"))
        assert await h.app.store.read(lambda r: r.update_claimed("telegram", "2"))
        async with h.app.store.engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("processed_updates"))
        assert any(i["column_names"] == ["at"] for i in indexes)
    finally:
        await h.close()


async def test_a_departure_through_one_instance_reaches_the_others_cached_member(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    await b.say("李四-工会: 早")  # B caches the member as active
    (member,) = await b.app.store.read(lambda r: r.members_of("console", "console-group"))
    assert b.app.hot._members[("console", "console-group", member.user_id)].status == "active"
    await a.say("李四-工会: 在")  # A's console knows the member too (same id)
    await a.say("/leave 李四-工会")
    await _within(
        1.0,
        lambda: b.app.hot._members[("console", "console-group", member.user_id)].status == "left",
    )
