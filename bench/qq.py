"""QQ throughput and latency: the QQ adapter over a local fake OneBot v11 implementation
(forward WebSocket, segment arrays), with and without the bot behind it.

Two halves in one run, over the same messages and the same fake implementation:

- ``do-nothing``: QQAdapter (client, echo correlation, conversion, ordered queue) delivering
  to a handler that does nothing — the adapter's own limit;
- ``full``: the QQAdapter feeding the whole application (rules engine with the shipped
  lexicons, executor, SQLite in a temporary file), acting back through the fake.

Each half reports burst messages/s (N messages pushed, first push to last handled), paced
p50/p99 latency (one message at a time, push to handled) and the process's memory (RSS
after the half, and how much it grew during it). The fake runs in the same process and
on the same event loop, so both halves pay for it alike.

Run: ``python bench/qq.py [--messages 5000] [--paced 500] [--groups 20]``.
No test asserts a speed; figures go in docs/benchmarks.md.
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
# Run as a script, this folder comes first on sys.path and bench/telegram.py would shadow
# python-telegram-bot (which the platform registry imports): drop the folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "qq")]

import psutil  # noqa: E402
from event_support import HandledCounter  # noqa: E402
from fake_onebot import FakeOneBot, Person  # noqa: E402
from qq_harness import settings_for  # noqa: E402

from adapters.qq.adapter import QQAdapter  # noqa: E402

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
MEMBERS = 200


@dataclass
class Result:
    name: str
    burst_rate: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    grew_mb: float  # RSS growth during the half


def make_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(OFFENDING) if rng.random() < 0.03 else rng.choice(ORDINARY) for _ in range(count)
    ]


def populate(fake: FakeOneBot, groups: int) -> None:
    people = [Person(2_000_000 + i, f"成员{i}", NAMES[i % len(NAMES)]) for i in range(MEMBERS)]
    for g in range(groups):
        fake.add_group(500_000 + g, f"工作群{g}", *people)


async def push(fake: FakeOneBot, texts: list[str], groups: int, offset: int) -> None:
    for index, text in enumerate(texts):
        member = (offset + index) % MEMBERS
        await fake.post(500_000 + (index % groups), 2_000_000 + member, text)


async def measure(
    name: str, fake: FakeOneBot, counter: HandledCounter, texts: list[str], paced: int, groups: int
) -> Result:
    rss_before = psutil.Process().memory_info().rss / 2**20
    base = counter.handled
    started = time.perf_counter()
    await push(fake, texts, groups, 0)
    await counter.reach(base + len(texts))
    burst_rate = len(texts) / (time.perf_counter() - started)
    latencies = []
    for index, text in enumerate(make_texts(paced, seed=11)):
        target = counter.handled + 1
        t0 = time.perf_counter()
        await push(fake, [text], groups, 10_000 + index)
        await counter.reach(target)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    rss = psutil.Process().memory_info().rss / 2**20
    return Result(name, burst_rate, statistics.median(latencies), p99, rss, rss - rss_before)


async def do_nothing(texts: list[str], paced: int, groups: int) -> Result:
    counter = HandledCounter()
    async with FakeOneBot() as fake:
        populate(fake, groups)
        adapter = QQAdapter(settings_for(fake))

        async def nothing(_event: object) -> None:
            counter.tick()

        await adapter.start(nothing)
        try:
            return await measure(
                "QQAdapter, do-nothing handler", fake, counter, texts, paced, groups
            )
        finally:
            await adapter.stop()


async def full_application(texts: list[str], paced: int, groups: int) -> Result:
    from bot.config import DatabaseSettings, Settings
    from bot.runtime import build

    counter = HandledCounter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp}/bench.db"))
        async with FakeOneBot() as fake:
            populate(fake, groups)
            adapter = QQAdapter(settings_for(fake))
            runtime = await build(settings, {"qq": adapter})
            app = runtime.app
            handle: Callable[..., Awaitable[object]] = app.handle

            async def counted(event: object) -> None:
                await handle(event)
                counter.tick()

            app.handle = counted  # type: ignore[method-assign]
            await app.start()
            try:
                return await measure(
                    "GroupGuard (rules + executor + SQLite)", fake, counter, texts, paced, groups
                )
            finally:
                await app.stop()
                await runtime.close()


def report(results: list[Result], messages: int, paced: int) -> None:
    print(f"\n{messages} burst messages, {paced} paced; fake OneBot v11 on 127.0.0.1 (forward)\n")
    print(f"{'':40} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8} {'+MB':>8}")
    for r in results:
        print(
            f"{r.name:40} {r.burst_rate:8.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{r.rss_mb:8.1f} {r.grew_mb:8.1f}"
        )
    if len(results) == 2:
        print(f"\nfull / do-nothing: {results[1].burst_rate / results[0].burst_rate:.0%}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--paced", type=int, default=500)
    parser.add_argument("--groups", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    texts = make_texts(args.messages)
    results = [await do_nothing(texts, args.paced, args.groups)]
    results.append(await full_application(texts, args.paced, args.groups))
    report(results, args.messages, args.paced)


if __name__ == "__main__":
    asyncio.run(main())
