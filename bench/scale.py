"""Several instances on one PostgreSQL (issue 16): throughput and latency with 1, 2 and 4
``groupguard run`` processes in Telegram webhook mode behind a load balancer, beside one
instance on SQLite (the baseline), in one run; then the offending-message latency with 200
and with 2,000 configured groups.

Everything is real: child processes running the bot, a PostgreSQL server started here (the
tests' own), the fake Bot API the bots act through (a process of its own, so that serving the
bots does not slow the load generator), and a load generator posting updates to the
instances' webhooks as Telegram would (each to one instance, round robin).

Per configuration it prints:
- msg/s: updates handled per second, from the first POST until the last is marked handled
  in the inbox (so it includes recording, deciding, acting and journaling);
- ack p50/p99: the webhook's answer (the update durably recorded), per update;
- act p50/p99: from the POST of an offending message to its delete's outcome in the journal;
- RSS: the bot processes' resident memory at the end, summed;
- busy: the share of the machine's CPU in use during the run (all processes); bots: the bot
  processes' CPU time over the run's wall time (100 % = one core).

Run: ``python bench/scale.py [--messages 3000] [--paced 200]``. This machine has 2 cores,
shared by PostgreSQL, the load generator and the bots, so the per-core figure (msg/s ÷
min(instances, cores)) is printed too. Aims: 2 instances ≥ 1.3× one; offending p99 at 2,000
groups ≤ 1.5× that at 200.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "telegram")]
sys.path.append(str(ROOT / "tests" / "scale"))  # after tests/: its conftest is the one wanted

import aiohttp  # noqa: E402
from bot_fleet import Fleet  # noqa: E402
from conftest import PostgresServer, _pg_bin  # noqa: E402
from fake_bot_api import TOKEN, group, user  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

API_PROCESS = """
import asyncio, sys
sys.path[:0] = {paths!r}
from fake_bot_api import FakeBotApi

async def main():
    async with FakeBotApi() as api:
        print(api.port, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


class RemoteApi:
    """The fake Bot API running in a process of its own, as the fleet needs to know it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.token = TOKEN
        self._ids = iter(range(1_000_000, 10**9))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def next_message_id(self) -> int:
        return next(self._ids)


ORDINARY = [
    "收到，谢谢",
    "今天下午三点在三楼会议室开会，请准时参加",
    "材料已经发到邮箱了，请查收",
    "好的，我这边马上处理",
    "请各部门周五前报送本月工作总结",
]
# Abuse: deleted and warned. (An illegal message would also blacklist its sender and ban them
# in every configured group, a background fan-out that would swamp the 2,000-group run.)
OFFENDING = "你这个傻逼，滚出去"
CONCURRENCY = 64


@dataclass
class Result:
    name: str
    instances: int
    messages: int
    seconds: float
    ack: list[float]
    act: list[float]
    rss_mb: float
    posted: float  # seconds until the last update was acknowledged
    busy: float  # share of the machine's CPU time in use during the run
    bot_cpu: float  # CPU seconds the bot processes used during the run

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _rss_mb(fleet: Fleet) -> float:
    total = 0
    for instance in fleet.instances:
        assert instance.process is not None
        try:
            status = Path(f"/proc/{instance.process.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _machine_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _bot_cpu(fleet: Fleet) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for instance in fleet.instances:
        assert instance.process is not None
        try:
            stat = Path(f"/proc/{instance.process.pid}/stat").read_text()
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        total += int(parts[11]) + int(parts[12])  # utime, stime
    return total / ticks


def _groups_yaml(count: int) -> str:
    lines = ["groups:"]
    for n in range(count):
        lines.append(f"  - platform: telegram\n    chat_id: '{-1002000000000 - n}'")
        lines.append(f"    name: 第{n}网格工作群\n    unit: 第{n % 40}社区")
    return "\n".join(lines) + "\n"


async def _handled(fleet: Fleet, total: int, within: float = 600) -> None:
    started = time.monotonic()
    while time.monotonic() - started < within:
        ((done,),) = await fleet.query("SELECT COUNT(*) FROM inbox WHERE handled_at IS NOT NULL")
        if done >= total:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"only some of {total} updates were handled in {within}s")


async def _run(
    api: RemoteApi,
    url: str,
    folder: Path,
    name: str,
    instances: int,
    messages: int,
    *,
    groups: int = 20,
    extra: str = "",
    paced: bool = False,
) -> Result:
    fleet = Fleet(api, url, folder / name, both_share=0.0)  # type: ignore[arg-type]
    fleet.folder.mkdir(parents=True)
    for n in range(instances):
        fleet.add(f"{name}-{n}", extra)
    began = time.monotonic()
    for instance in fleet.instances:
        await fleet.start(instance, within=600)  # 2,000 groups are seeded at the first start
    if groups > 100:
        print(f"  ({name}: first start took {time.monotonic() - began:.1f} s)")
    chats = [group(-1002000000000 - n, f"第{n}网格工作群") for n in range(groups)]
    sent: dict[tuple[str, str], float] = {}
    ack: list[float] = []
    updates = []
    for n in range(messages):
        chat = chats[n % len(chats)]
        bad = paced or n % 10 == 0
        sender = user(50_000 + n, "王五-工会") if bad else user(40_000 + n % 500, "李四-工会")
        update = fleet.update(chat, sender, OFFENDING if bad else ORDINARY[n % 5])
        updates.append((update, bad))
    order = iter(range(len(updates)))
    engine = create_async_engine(url)
    machine_before, bot_before = _machine_times(), _bot_cpu(fleet)
    started = time.monotonic()

    async def post_worker(session: aiohttp.ClientSession) -> None:
        for index in order:
            update, bad = updates[index]
            target = fleet.instances[index % len(fleet.instances)]
            message = update["message"]
            began = time.monotonic()
            if bad:
                sent[(str(message["chat"]["id"]), str(message["message_id"]))] = time.time()
            for _ in range(600):  # as Telegram does: again until answered 200
                if await fleet.post_to(session, target, update):
                    break
                await asyncio.sleep(0.05)
            ack.append(time.monotonic() - began)
            if paced:  # one at a time: latency without queueing behind a burst
                await _deleted(engine, str(message["message_id"]))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        workers = 1 if paced else CONCURRENCY
        await asyncio.gather(*(post_worker(session) for _ in range(workers)))
    posted = time.monotonic() - started
    await _handled(fleet, messages)
    seconds = time.monotonic() - started
    machine_after, bot_cpu = _machine_times(), _bot_cpu(fleet) - bot_before
    busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
    act = []
    async with engine.connect() as conn:
        rows = await conn.execute(text(_DELETES))
        for chat_id, message_id, at in rows.all():
            key = (str(chat_id), str(message_id))
            if key in sent:
                act.append(_epoch(at) - sent.pop(key))
    await engine.dispose()
    rss = _rss_mb(fleet)
    await fleet.stop_all()
    return Result(name, instances, messages, seconds, ack, act, rss, posted, busy, bot_cpu)


_DELETES = (
    "SELECT a.chat_id, a.message_id, MIN(o.at) FROM actions a JOIN action_outcomes o "
    "ON o.action_id = a.id WHERE a.kind = 'delete' GROUP BY a.chat_id, a.message_id"
)


def _epoch(at: object) -> float:
    from datetime import UTC, datetime

    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    assert isinstance(at, datetime)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


async def _deleted(engine: object, message_id: str, within: float = 30) -> None:
    query = text(
        "SELECT 1 FROM actions a JOIN action_outcomes o ON o.action_id = a.id "
        "WHERE a.kind = 'delete' AND a.message_id = :m"
    )
    started = time.monotonic()
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        while time.monotonic() - started < within:
            if (await conn.execute(query, {"m": message_id})).first() is not None:
                await conn.rollback()
                return
            await conn.rollback()  # a fresh snapshot for the next look
            await asyncio.sleep(0.003)
    raise RuntimeError(f"message {message_id} was never deleted")


async def _throughput(
    api: RemoteApi, server: PostgresServer, folder: Path, messages: int, cores: int
) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{folder / 'baseline.db'}"
    base = await _run(api, sqlite_url, folder, "sqlite (baseline)", 1, messages)
    _print(base, cores)
    results = {}
    for n in (1, 2, 4):
        result = await _run(api, server.new_database(), folder, f"postgresql x{n}", n, messages)
        results[n] = result
        _print(result, cores)
    print(
        f"2 instances / 1 instance: {results[2].rate / results[1].rate:.2f}x (aim >= 1.3x); "
        f"4 / 1: {results[4].rate / results[1].rate:.2f}x"
    )


def _print(result: Result, cores: int) -> None:
    per_core = result.rate / min(result.instances, cores)
    print(
        f"{result.name:<22} {result.instances:>2}  {result.rate:>8.0f}  {per_core:>8.0f}  "
        f"{_pct(result.ack, 0.5):>7.1f} {_pct(result.ack, 0.99):>7.1f}  "
        f"{_pct(result.act, 0.5):>7.1f} {_pct(result.act, 0.99):>7.1f}  {result.rss_mb:>7.0f}  "
        f"{result.busy:>5.0%}  {result.bot_cpu / result.seconds:>6.0%}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--paced", type=int, default=200)
    parser.add_argument("--skip-throughput", action="store_true", help="only the paced runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    pg_bin = _pg_bin()
    if pg_bin is None:
        raise SystemExit("PostgreSQL is not installed (scripts/setup-test-system.sh installs it)")
    cores = os.cpu_count() or 1
    server = PostgresServer(pg_bin)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            paths = [str(ROOT / "tests"), str(ROOT / "tests" / "telegram")]
            api_process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                API_PROCESS.format(paths=paths),
                stdout=asyncio.subprocess.PIPE,
            )
            assert api_process.stdout is not None
            api = RemoteApi(int((await api_process.stdout.readline()).decode()))
            try:
                print(f"{args.messages} updates per run, 10% offending; {cores} cores")
                print(
                    f"{'run':<22} {'n':>2}  {'msg/s':>8}  {'per core':>8}  "
                    f"{'ack p50':>7} {'p99 ms':>7}  {'act p50':>7} {'p99 ms':>7}  {'RSS MB':>7}  "
                    f"{'busy':>5}  {'bots':>6}"
                )
                if not args.skip_throughput:
                    await _throughput(api, server, folder, args.messages, cores)
                print(
                    f"\noffending messages one at a time ({args.paced}), 1 instance on PostgreSQL"
                )
                paced = {}
                for count in (200, 2000):
                    result = await _run(
                        api,
                        server.new_database(),
                        folder,
                        f"{count} groups",
                        1,
                        args.paced,
                        groups=count,
                        extra=_groups_yaml(count),
                        paced=True,
                    )
                    paced[count] = result
                    _print(result, cores)
                ratio = _pct(paced[2000].act, 0.99) / _pct(paced[200].act, 0.99)
                print(f"act p99 at 2,000 groups / at 200: {ratio:.2f}x (aim <= 1.5x)")
            finally:
                api_process.kill()
                await api_process.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
