"""Telegram throughput and latency: PTB + the local fake Bot API, with and without the bot.

Two halves in one run, over the same updates and the same fake server:

- ``ptb``: python-telegram-bot with a handler that does nothing — the framework's own limit;
- ``full``: the TelegramAdapter feeding the whole application (rules engine with the shipped
  lexicons, executor, SQLite storage in a temporary file), acting through the fake server.

Each half reports:
- burst: N updates queued up front, updates/s from the first fetch to the last handled;
- paced: one update at a time, p50/p99 latency from injection to handled (long poll included).

Run: ``python bench/telegram.py [--updates 5000] [--paced 500] [--groups 20]``.
Aim (issue 5): the full half reaches >= 60% of the do-nothing updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on sys.path, and this file's name would then
# shadow python-telegram-bot's ``telegram`` package: drop the folder before importing it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "telegram")]

from event_support import HandledCounter  # noqa: E402
from fake_bot_api import FakeBotApi, group, user  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler  # noqa: E402

from adapters.telegram import TelegramAdapter, TelegramSettings  # noqa: E402

# A work group's day: mostly ordinary talk, some links and forwards, a few offences.
ORDINARY = [
    "收到，谢谢",
    "今天下午三点在三楼会议室开会，请准时参加",
    "材料已经发到邮箱了，请查收",
    "好的，我这边马上处理",
    "明天的值班表已经更新",
    "请各部门周五前报送本月工作总结",
    "大家辛苦了",
    "通知：本周四上午进行消防演练",
]
OFFENDING = [
    "加微信领红包，点击链接 http://x.example/红包",
    "这是内部资料 不得外传",
    "我的身份证号是110101199003071234",
]
NAMES = ["张伟-办公室", "王芳-党群工作部", "李娜-财务科", "刘洋-综治办", "陈静-社区服务中心"]


@dataclass
class Result:
    name: str
    burst_rate: float
    p50_ms: float
    p99_ms: float


def make_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(OFFENDING) if rng.random() < 0.03 else rng.choice(ORDINARY) for _ in range(count)
    ]


async def push_messages(api: FakeBotApi, texts: list[str], groups: int, offset: int) -> None:
    for index, text in enumerate(texts):
        chat = group(-1001000000000 - (index % groups), f"工作群{index % groups}")
        member_no = (offset + index) % 200
        sender = user(2_000_000 + member_no, NAMES[member_no % len(NAMES)])
        await api.post(chat, sender, text)


async def measure(
    name: str, api: FakeBotApi, counter: HandledCounter, texts: list[str], paced: int, groups: int
) -> Result:
    # Burst: everything queued, then timed from the first fetch to the last handled.
    base = counter.handled
    await push_messages(api, texts, groups, 0)
    started = time.perf_counter()
    await counter.reach(base + len(texts), within=120.0)
    burst_rate = len(texts) / (time.perf_counter() - started)
    # Paced: one at a time, injection to handled.
    latencies = []
    for index, text in enumerate(make_texts(paced, seed=11)):
        target = counter.handled + 1
        t0 = time.perf_counter()
        await push_messages(api, [text], groups, 10_000 + index)
        await counter.reach(target, within=120.0)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(name, burst_rate, statistics.median(latencies), p99)


async def ptb_do_nothing(texts: list[str], paced: int, groups: int) -> Result:
    counter = HandledCounter()
    async with FakeBotApi() as api:
        application: Application = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )

        async def nothing(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            counter.tick()

        application.add_handler(TypeHandler(Update, nothing))
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
            )
            try:
                return await measure("PTB, do-nothing handler", api, counter, texts, paced, groups)
            finally:
                await application.updater.stop()
                await application.stop()


async def full_application(texts: list[str], paced: int, groups: int) -> Result:
    from bot.config import DatabaseSettings, Settings
    from bot.runtime import build

    counter = HandledCounter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp}/bench.db"),
        )
        async with FakeBotApi() as api:
            adapter = TelegramAdapter(
                TelegramSettings(
                    token=api.token,
                    base_url=api.base_url,
                    base_file_url=api.base_file_url,
                    rate_limit=False,
                    poll_timeout=1.0,
                )
            )
            runtime = await build(settings, {"telegram": adapter})
            app = runtime.app
            handle: Callable[..., Awaitable[object]] = app.handle

            async def counted(event: object) -> None:
                await handle(event)
                counter.tick()

            app.handle = counted  # type: ignore[method-assign]
            await app.start()
            try:
                return await measure(
                    "GroupGuard (rules + executor + SQLite)", api, counter, texts, paced, groups
                )
            finally:
                await app.stop()
                await runtime.close()


def report(results: list[Result], updates: int, paced: int) -> None:
    print(f"\n{updates} burst updates, {paced} paced; fake Bot API on 127.0.0.1\n")
    print(f"{'':42} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.name:42} {r.burst_rate:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f}")
    if len(results) == 2:
        share = results[1].burst_rate / results[0].burst_rate
        print(f"\nfull / do-nothing: {share:.0%} (aim: >= 60%)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--paced", type=int, default=500)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--only-ptb", action="store_true", help="skip the full application")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    texts = make_texts(args.updates)
    results = [await ptb_do_nothing(texts, args.paced, args.groups)]
    if not args.only_ptb:
        results.append(await full_application(texts, args.paced, args.groups))
    report(results, args.updates, args.paced)


if __name__ == "__main__":
    asyncio.run(main())
