"""Pipeline benchmark: messages through engine + executor + SQLite storage (console adapter).

Prints messages/s, p50/p99 per-message latency and peak RSS for the real pipeline, and, in the
same run, for a naive baseline (ORM session per message, substring scan per lexicon term) on a
subset. Every update id and member change is persisted in both.

    python bench/pipeline.py [--messages 100000] [--groups 200] [--baseline 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.events import Member, MessagePosted
from bot.runtime import build, load_detector

WORK = [
    "各位好，明天上午九点在三楼会议室开会，请准时参加。",
    "收到",
    "请各支部在周五前上报本月党费收缴情况。",
    "社区防汛物资已到位，请网格员下午到仓库领取。",
    "今天的学习材料已经发到邮箱，请查收。",
    "好的，我马上去办。",
    "关于垃圾分类宣传活动的通知已转发各小区。",
    "会议纪要我整理好了，稍后发给大家。",
    "下周一开展安全生产大检查，请各科室做好准备。",
    "老人慰问名单已核对完毕。",
]
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "伟芳娜敏静丽强磊军洋"
BAD = [
    "加我微信带你赌博，稳赚不赔",
    "你就是个傻逼",
    "帮我砍一刀，拼多多免费拿",
    "这份文件是机密，不得外传",
]


class NaiveBase(DeclarativeBase):
    pass


class Seen(NaiveBase):
    __tablename__ = "seen"
    id: Mapped[str] = mapped_column(String, primary_key=True)


class Person(NaiveBase):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    nickname: Mapped[str] = mapped_column(String)


def make_events(n: int, groups: int, seed: int = 7, offending: float = 0.02) -> list[MessagePosted]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        g = rng.randrange(groups)
        u = rng.randrange(50)
        # A few members rename themselves now and then: a member change to persist.
        suffix = "-综治办" if rng.random() < 0.995 else "-办公室"
        name = SURNAMES[u % len(SURNAMES)] + GIVEN[u // len(SURNAMES) % len(GIVEN)] + suffix
        if u == 49:
            name = f"member{g}"  # one member per group without a real name: reminded
        text = rng.choice(BAD) if rng.random() < offending else rng.choice(WORK)
        events.append(
            MessagePosted(
                platform="console",
                chat_id=f"g{g}",
                update_id=str(i),
                message_id=str(i),
                sender=Member(user_id=f"g{g}u{u}", nickname=name),
                text=text,
            )
        )
    return events


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _refused_by_platform(adapter: ConsoleAdapter, event: MessagePosted) -> bool:
    """A real platform does not deliver messages from banned or muted members; the console
    adapter records bans and mutes but cannot stop a generated stream, so skip them here."""
    chat = adapter.chat(event.chat_id)
    user = event.sender.user_id
    return user in chat.banned or user in chat.muted_until


async def run_pipeline(
    events: list[MessagePosted], db: Path
) -> tuple[float, list[tuple[MessagePosted, float]]]:
    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{db}"}})
    adapter = ConsoleAdapter(output=lambda _: None)
    runtime = await build(settings, {"console": adapter})
    await runtime.app.start()
    latencies = []
    start = time.perf_counter()
    for event in events:
        if _refused_by_platform(adapter, event):
            continue
        t0 = time.perf_counter()
        await runtime.app.handle(event)
        latencies.append((event, time.perf_counter() - t0))
    await runtime.app.stop()  # flushes the group-commit queue: counted in the time
    elapsed = time.perf_counter() - start
    await runtime.close()
    return elapsed, latencies


def run_naive(events: list[MessagePosted], db: Path, terms: list[str]) -> tuple[float, list[float]]:
    """The obvious first version: an ORM session and commit per message, every lexicon term
    tested with `in`, member rows read and written through the ORM."""
    engine = create_engine(f"sqlite:///{db}")
    NaiveBase.metadata.create_all(engine)
    latencies = []
    start = time.perf_counter()
    for event in events:
        t0 = time.perf_counter()
        with Session(engine) as session:
            session.add(Seen(id=event.update_id))
            person = session.scalar(select(Person).where(Person.id == event.sender.user_id))
            if person is None:
                session.add(Person(id=event.sender.user_id, nickname=event.sender.nickname))
            elif person.nickname != event.sender.nickname:
                person.nickname = event.sender.nickname
            _hits = [t for t in terms if t in event.text]
            session.commit()
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - start, latencies


def report(name: str, n: int, elapsed: float, latencies: list[float]) -> None:
    print(
        f"{name:<28}{n:>9}{n / elapsed:>12,.0f}{percentile(latencies, 0.5) * 1e3:>10.2f}"
        f"{percentile(latencies, 0.99) * 1e3:>10.2f}{statistics.mean(latencies) * 1e3:>10.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument(
        "--offending",
        type=float,
        default=0.02,
        help="share of messages that break a rule (default 2%%)",
    )
    args = parser.parse_args()
    events = make_events(args.messages, args.groups, offending=args.offending)
    detector = load_detector(Settings())
    terms = list(getattr(detector, "terms", lambda: [])()) if hasattr(detector, "terms") else []
    process = psutil.Process()
    print(
        f"{args.messages:,} messages from {args.groups} groups; lexicon terms: "
        f"{detector.term_count:,}"
    )
    print(f"{'pipeline':<28}{'msgs':>9}{'msgs/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    with tempfile.TemporaryDirectory() as scratch:
        elapsed, handled = asyncio.run(run_pipeline(events, Path(scratch) / "bench.db"))
        latencies = [lat for _, lat in handled]
        report("groupguard (full)", len(handled), elapsed, latencies)
        print(
            f"  ({len(events) - len(handled):,} messages from banned or muted members not "
            "delivered, as a platform would refuse them)"
        )
        offending = [lat for e, lat in handled if e.text in BAD]
        ordinary = [lat for e, lat in handled if e.text not in BAD]
        print(
            f"  ordinary messages ({len(ordinary):,}): "
            f"p50 {percentile(ordinary, 0.5) * 1e3:.2f} ms, "
            f"p99 {percentile(ordinary, 0.99) * 1e3:.2f} ms"
        )
        print(
            f"  offending messages ({len(offending):,}, acted on): "
            f"p50 {percentile(offending, 0.5) * 1e3:.2f} ms, "
            f"p99 {percentile(offending, 0.99) * 1e3:.2f} ms"
        )
        rss = process.memory_info().rss / 2**20
        naive_terms = terms or [w for w in BAD]
        elapsed, latencies = run_naive(
            events[: args.baseline], Path(scratch) / "naive.db", naive_terms
        )
        report("naive baseline", args.baseline, elapsed, latencies)
    peak = getattr(process.memory_info(), "peak_wset", None) or _peak_rss_mb()
    print(f"RSS after pipeline: {rss:.0f} MiB; peak RSS: {peak:.0f} MiB")


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
