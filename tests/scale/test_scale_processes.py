"""Two ``groupguard run`` processes on one PostgreSQL behind a load balancer (issue 16, "Tests"):
every update is acted on exactly once though a tenth reach both instances, and when one
instance is killed with SIGKILL mid-burst the other finishes its work once its lease lapses.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bot_fleet import Fleet
from fake_bot_api import FakeBotApi, group, user

pytestmark = pytest.mark.postgres

BAD = "加我微信带你赌博，稳赚不赔"
CLEAN = "收到，明天上午开会"
CHATS = (group(-1001000000031, "一组"), group(-1001000000032, "二组"))


def _deleted(api: FakeBotApi) -> list[tuple[str, str]]:
    return [
        (str(c.params["chat_id"]), str(c.params["message_id"]))
        for c in api.calls_to("deleteMessage")
    ]


async def _until(check: Any, within: float) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within}s")


def _burst(fleet: Fleet, count: int) -> tuple[list[dict[str, Any]], set, set]:
    updates, offending, clean = [], set(), set()
    for n in range(count):
        chat = CHATS[n % len(CHATS)]
        bad = n % 2 == 0
        update = fleet.update(chat, user(30_000 + n, "李四-工会"), BAD if bad else CLEAN)
        updates.append(update)
        key = (str(chat["id"]), str(update["message"]["message_id"]))
        (offending if bad else clean).add(key)
    return updates, offending, clean


async def _decisions_per_message(fleet: Fleet) -> dict[tuple[str, str], int]:
    rows = await fleet.query(
        "SELECT chat_id, message_id, COUNT(DISTINCT decision_id) FROM actions "
        "WHERE kind = 'delete' GROUP BY chat_id, message_id"
    )
    return {(chat, message): count for chat, message, count in rows}


async def _loose_ends(fleet: Fleet) -> tuple[int, int]:
    (without_outcome,) = await fleet.query(
        "SELECT COUNT(*) FROM actions a LEFT JOIN action_outcomes o ON o.action_id = a.id "
        "WHERE o.id IS NULL"
    )
    (unhandled,) = await fleet.query("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
    return int(without_outcome[0]), int(unhandled[0])


@pytest.fixture
async def fleet(postgres: Any, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with FakeBotApi() as api:
        fleet = Fleet(api, postgres.new_database(), tmp_path)
        fleet.add("bot-a")
        fleet.add("bot-b")
        try:
            yield fleet
        finally:
            await fleet.stop_all()


async def test_two_instances_behind_a_balancer_act_on_every_update_exactly_once(
    fleet: Fleet,
) -> None:
    for instance in fleet.instances:
        await fleet.start(instance)
    updates, offending, clean = _burst(fleet, 120)
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(fleet.deliver(session, u) for u in updates))
    assert fleet.sent_to_both >= 5  # the duplicates really happened
    await _until(lambda: offending <= set(_deleted(fleet.api)), within=60)
    await asyncio.sleep(1.0)  # anything acted on twice would show by now
    deleted = _deleted(fleet.api)
    assert sorted(deleted) == sorted(offending)  # each once: no delete repeated
    assert not clean & set(deleted)
    decisions = await _decisions_per_message(fleet)
    assert set(decisions) == offending and set(decisions.values()) == {1}
    handled_by = await fleet.query("SELECT DISTINCT owner FROM inbox")
    assert {o for (o,) in handled_by} == {"bot-a", "bot-b"}  # both did a share
    assert await fleet.stop_all() == [0, 0]
    assert await _loose_ends(fleet) == (0, 0)


async def test_when_one_instance_is_killed_mid_burst_the_other_finishes_its_work_once(
    fleet: Fleet,
) -> None:
    a, b = fleet.instances

    async def slow_delete(params: dict[str, Any]) -> bool:
        await asyncio.sleep(0.2)  # so that a dies with work recorded and not yet done
        return True

    fleet.api.on("deleteMessage", slow_delete)
    for instance in fleet.instances:
        await fleet.start(instance)
    updates, offending, clean = _burst(fleet, 160)
    async with aiohttp.ClientSession() as session:
        first = asyncio.gather(*(fleet.deliver(session, u) for u in updates[:100]))
        # Once both are busy deleting (most of their time, each delete being slow), a dies
        # with updates recorded and not handled, and intents journaled and not finished.
        await _until(lambda: len(fleet.api.calls_to("deleteMessage")) >= 12, within=60)
        fleet.kill(a)
        await first
        await asyncio.gather(*(fleet.deliver(session, u) for u in updates[100:]))
    # b adopts a's recorded updates and unfinished intents once a's lease lapses.
    await _until(lambda: offending <= set(_deleted(fleet.api)), within=60)
    for _ in range(100):
        if await _loose_ends(fleet) == (0, 0):
            break
        await asyncio.sleep(0.2)
    deleted = _deleted(fleet.api)
    assert offending <= set(deleted)
    assert not clean & set(deleted)
    decisions = await _decisions_per_message(fleet)
    assert set(decisions) == offending and set(decisions.values()) == {1}
    assert await _loose_ends(fleet) == (0, 0)
    said = b.log.read_text(encoding="utf-8")
    assert "instances lapsed: bot-a" in said
    assert "update(s) of a lapsed instance" in said  # its recorded, unhandled updates
    assert "decision(s) of a lapsed instance" in said  # and its unfinished intents
