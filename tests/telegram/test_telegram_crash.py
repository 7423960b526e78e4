"""Crash test (issue 10, "Done means"): ``groupguard run`` against the fake Bot API, killed
with SIGKILL at 20 random moments of one burst. Afterwards every offending message has been
acted on exactly once (one decision in the journal, the message deleted), no clean message
was acted on, and the journal holds no intent without an outcome.

The bot runs as a real child process (kill -9 needs one); the fake Bot API runs here and, like
Telegram, forgets an update only when a later getUpdates acknowledges it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path

from fake_bot_api import FakeBotApi, group, user

KILLS = 20
OFFENDING = 40
CLEAN = 40
BAD = "加我微信带你赌博，稳赚不赔"
CHATS = (group(-1001000000021, "一组"), group(-1001000000022, "二组"))


def _config(tmp_path: Path, api: FakeBotApi) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'gg.db'}\n"
        f"telegram:\n  token_env: GG_CRASH_TOKEN\n  base_url: {api.base_url}\n"
        f"  base_file_url: {api.base_file_url}\n  rate_limit: false\n",
        encoding="utf-8",
    )
    return config


async def _start(config: Path, api: FakeBotApi, log: Path) -> asyncio.subprocess.Process:
    env = dict(os.environ, GG_CRASH_TOKEN=api.token)
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from bot.cli import main; main()",
            "run",
            "--config",
            str(config),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=sink,
        )


async def _polling(api: FakeBotApi, before: int, process: asyncio.subprocess.Process) -> None:
    """Wait until the new process has asked for updates (it is up, the inbox replayed)."""
    for _ in range(3000):
        if len(api.calls_to("getUpdates")) > before:
            return
        if process.returncode is not None:
            raise AssertionError(f"the bot exited with {process.returncode}")
        await asyncio.sleep(0.01)
    raise AssertionError("the bot never polled")


def _deleted(api: FakeBotApi) -> list[tuple[str, str]]:
    return [
        (str(c.params["chat_id"]), str(c.params["message_id"]))
        for c in api.calls_to("deleteMessage")
    ]


async def test_kill_9_at_20_moments_of_a_burst_loses_nothing_and_repeats_nothing(
    api: FakeBotApi, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("GG_CRASH_SEED", "10")))
    config, log = _config(tmp_path, api), tmp_path / "bot.log"
    offending: set[tuple[str, str]] = set()
    clean: set[tuple[str, str]] = set()
    burst = [True] * OFFENDING + [False] * CLEAN
    rng.shuffle(burst)
    posted = 0

    async def post(count: int) -> None:
        nonlocal posted
        for bad in burst[posted : posted + count]:
            chat = CHATS[posted % len(CHATS)]
            sender = user(20_000 + posted, "李四-工会")
            body = await api.post(chat, sender, BAD if bad else "收到，明天上午开会")
            (offending if bad else clean).add((str(chat["id"]), str(body["message_id"])))
            posted += 1

    await post(len(burst) // 4)  # a backlog waiting before the first start
    slice_ = -(-(len(burst) - posted) // KILLS)
    for _ in range(KILLS):
        before = len(api.calls_to("getUpdates"))
        process = await _start(config, api, log)
        await _polling(api, before, process)
        await post(slice_)  # the burst goes on while the bot runs
        # A random moment: while fetching, recording, deciding, acting or journaling.
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        if os.environ.get("GG_CRASH_TRACE"):
            print("kill", len(_deleted(api)), api.pending_updates)
    assert posted == len(burst)

    before = len(api.calls_to("getUpdates"))
    process = await _start(config, api, log)
    await _polling(api, before, process)
    for _ in range(6000):
        if offending <= set(_deleted(api)) and api.pending_updates == 0:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(1.0)  # let the last outcomes be written
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 60) == 0, log.read_text()[-3000:]

    deleted = _deleted(api)
    assert offending <= set(deleted), f"never deleted: {offending - set(deleted)}"
    assert not clean & set(deleted)
    with sqlite3.connect(tmp_path / "gg.db") as db:
        decisions = dict(
            ((chat, message), count)
            for chat, message, count in db.execute(
                "SELECT chat_id, message_id, COUNT(DISTINCT decision_id) FROM actions "
                "WHERE kind = 'delete' GROUP BY chat_id, message_id"
            )
        )
        without_outcome = db.execute(
            "SELECT a.id, a.kind FROM actions a LEFT JOIN action_outcomes o "
            "ON o.action_id = a.id WHERE o.id IS NULL"
        ).fetchall()
        unhandled = db.execute("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL").fetchone()
    assert set(decisions) == offending  # every offending message acted on, nothing else
    assert {k: v for k, v in decisions.items() if v != 1} == {}  # and each exactly once
    assert without_outcome == []
    assert unhandled == (0,)
    # A delete is repeated only where a kill fell between the call and its decision's outcome
    # record (one transaction after both phases, by design: two per decision). At a kill that
    # is at most one decision per chat's lane plus the one being reconciled at start.
    repeats = len(deleted) - len(set(deleted))
    assert repeats <= KILLS * (len(CHATS) + 1), repeats
