"""Web console server time per page, on a large record and on an empty one.

Builds a SQLite database (a temporary file) with 100 groups in 10 units, 30 members each, a
roster, 50,000 recorded actions with their outcomes — 100,000 journal entries with the
mirrors — 100 incidents with steps and 20 filings waiting; then logs in as the director (who
sees everything) and requests each main page through aiohttp's test client. The time counted
is the server's: a middleware placed first in the console's chain measures from the request
reaching the application to the response leaving it (session, CSRF, login and roles
included; the socket and the client are not). The baseline is the same console over an empty
record (same config, groups, members and roster; one incident, no recorded action), in the
same process.

Each page's first request is shown apart: the chain check and the report are computed then
and kept until the journal's head moves (``bot.web.head_cache``).

Run: ``python bench/web.py [--actions 50000] [--groups 100] [--requests 40] [--keep DIR]``.
No test asserts a speed; figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder comes first on sys.path and bench/telegram.py would shadow
# python-telegram-bot (which the platform registry imports): drop the folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path[:0] = [str(ROOT)]

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.runtime import Runtime, build  # noqa: E402
from bot.web.app import make_deps  # noqa: E402
from bot.web.security import Passwords  # noqa: E402
from bot.web.server import build_app  # noqa: E402
from bot.workflows.governance.form import labelled, parse_form  # noqa: E402
from storage.repository import Repository  # noqa: E402
from storage.roster import RosterPerson, RosterRepository  # noqa: E402
from storage.web_logins import WebLoginRepository  # noqa: E402

PASSWORD = "bench-password-1"
UNITS = [f"第{n + 1}科" for n in range(10)]
CATEGORIES = ("harmful", "illegal", "privacy", "abuse", "offtopic", "nickname", "unverified")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


def deputy(unit: str) -> str:
    return "王主任" if unit == UNITS[0] else f"{unit}副主任"


def settings_for(db: Path, groups: int) -> Settings:
    people = [
        {"name": "王主任", "unit": "区办事处"},
        *({"name": f"{unit}副主任", "unit": unit} for unit in UNITS[1:]),
    ]
    return Settings.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{db}"},
            "directory": {
                "units": [
                    # The director is the registrar too, and 第1科's deputy: the viewer then
                    # sees every page, the settings, and filings waiting in the inbox.
                    {"name": "区办事处", "roles": {"director": "王主任", "registrar": "王主任"}},
                    *(
                        {
                            "name": unit,
                            "parent": "区办事处",
                            "roles": {"deputy_director": deputy(unit)},
                        }
                        for unit in UNITS
                    ),
                ],
                "people": people,
            },
            "groups": [
                {
                    "platform": "console",
                    "chat_id": f"g{n:03d}",
                    "name": f"{UNITS[n % len(UNITS)]}工作群{n:03d}",
                    "unit": UNITS[n % len(UNITS)],
                    "responsible": deputy(UNITS[n % len(UNITS)]),
                }
                for n in range(groups)
            ],
        }
    )


def nickname(n: int) -> str:
    given = "明华强伟芳娜敏静丽军"
    return f"{SURNAMES[n % 20]}{given[n // 20 % 10]}{given[n // 200 % 10]}-{UNITS[n % 10]}"


async def populate(runtime: Runtime, groups: int, actions: int, incidents: int) -> None:
    app = runtime.app
    now = app.clock.now()
    rnd = random.Random(7)
    chats = [f"g{n:03d}" for n in range(groups)]

    async def people(r: Repository) -> None:
        roster = RosterRepository(r.c)
        for n in range(600):  # most members are on the roster, some left their post
            status = "transferred" if n % 40 == 0 else "active"
            name, unit = nickname(n).split("-")
            await roster.apply(RosterPerson(name, unit, "", None, None, status, ()), now)
        for g, chat in enumerate(chats):
            for m in range(30):
                n = (g * 7 + m) % 700  # 600..699 are strangers
                await r.ensure_member("console", chat, f"u{n}", nickname(n), now)

    await app.store.write(people)
    sample = ["加我微信 13812345678 带你赌博", "出售身份证 110105199001011234", "你这个傻X"]
    written = 0
    while written < actions:
        batch = min(5000, actions - written)

        async def record(r: Repository, batch: int = batch, offset: int = written) -> None:
            for i in range(batch):
                chat = chats[rnd.randrange(groups)]
                category = CATEGORIES[rnd.randrange(len(CATEGORIES))]
                text = sample[(offset + i) % len(sample)]
                action_id = await r.record_action(
                    decision_id=f"d{offset + i}",
                    at=now - timedelta(minutes=rnd.randrange(90 * 24 * 60)),
                    platform="console",
                    chat_id=chat,
                    user_id=f"u{rnd.randrange(700)}",
                    actor="bot",
                    kind=("delete", "warn", "mute")[i % 3],
                    params={},
                    rule=category,
                    article="R1 Art.7(9)",
                    category=category,
                    severity="high",
                    message_id=str(offset + i),
                    evidence=[{"match": text, "start": 0, "end": len(text), "kind": category}],
                    reason=category,
                )
                await r.record_outcome(action_id, "done", "", now)

        await app.store.write(record)
        written += batch
    for n in range(incidents):
        opened = await app.incidents.open(
            platform="console",
            chat_id=chats[n % groups],
            source="admin",
            by=f"u{n}",
            summary=f"群内有人相约明天去门口讨说法（{n}）",
            user_id=f"u{n}",
        )
        assert opened.incident_id is not None
        for stage in ("analyse", "confirm")[: n % 3]:
            await app.incidents.advance(opened.incident_id, stage, "web:王主任", "已核实")
    for n in range(20):
        unit = UNITS[n % len(UNITS)]
        fields = {
            "使用部门": unit,
            "备案类别": "创建",
            "平台类别": "控制台",
            "群组ID": f"new{n}",
            "群组名称": f"{unit}新建群{n}",
            "群组负责人": deputy(unit),
            "成员范围": f"{unit}全体职工",
            "建群目的": "工作交流",
            "备案事项说明": "新建",
        }
        form = parse_form(labelled(fields), app.governance.today())
        await app.governance.submit(form, "console", f"new{n}", "cli", deputy(unit))
    hashed = Passwords().hash(PASSWORD)
    await app.store.write(lambda r: WebLoginRepository(r.c).set_password("王主任", hashed, now))


def pages(month: str) -> list[tuple[str, str, str]]:
    """(label, method, path) of each page timed; POSTs carry the CSRF token."""
    return [
        ("groups", "GET", "/groups"),
        ("one group (member audit)", "GET", "/groups/console/g007"),
        ("approvals inbox", "GET", "/inbox"),
        ("incidents", "GET", "/incidents"),
        ("one incident", "GET", "/incidents/1"),
        ("record", "GET", "/record"),
        ("record, page 5 (keyset)", "GET", "/record?before={before}"),
        ("record, unit + category", "GET", "/record?unit=第3科&category=harmful"),
        ("record, member + period", "GET", "/record?member=" + nickname(9) + "&since={since}"),
        ("record verify", "GET", "/record/verify"),
        ("reports page", "GET", "/reports"),
        ("report html (the month)", "GET", f"/reports/file.html?period={month}"),
        ("checker", "POST", "/check"),
        ("settings", "GET", "/settings"),
    ]


class Timer:
    """Server time of each request: the outermost middleware of the console."""

    def __init__(self) -> None:
        self.last = 0.0

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.last = (time.perf_counter() - started) * 1000


async def measure(runtime: Runtime, requests: int) -> dict[str, list[float]]:
    """Per page, the server time of its first request, then of ``requests`` more (after a
    warm-up: templates compiled, kept results filled)."""
    app = build_app(make_deps(runtime.app, secret="bench", secure_cookie=False))
    timer = Timer()
    app.middlewares.insert(0, timer.middleware)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        page = await (await client.get("/login")).text()
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        done = await client.post(
            "/login",
            data={"csrf": csrf, "name": "王主任", "password": PASSWORD},
            allow_redirects=False,
        )
        assert done.status == 303, done.status
        page = await (await client.get("/check")).text()
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        zone = runtime.app.settings.zone
        now = runtime.app.clock.now().astimezone(zone)
        rows = await runtime.store.read(lambda r: r.audit(limit=1))
        first_id = rows[0]["id"] if rows else 0
        fill = {
            "before": str(first_id + 500) if rows else "1",
            "since": (now - timedelta(days=30)).date().isoformat(),
        }
        times: dict[str, list[float]] = {}
        for label, method, path in pages(now.strftime("%Y-%m")):
            url = path.format(**fill)
            samples = []
            for n in range(requests + 2):
                if method == "GET":
                    response = await client.get(url)
                else:
                    response = await client.post(
                        url, data={"csrf": csrf, "text": "加我微信带你赌博，稳赚不赔"}
                    )
                await response.read()
                assert response.status == 200, (label, response.status)
                if n == 0 or n >= 2:  # the first; then after a second, warm-up one
                    samples.append(timer.last)
            times[label] = samples
        return times
    finally:
        await client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Plan = tuple[str, int, int, Path, bool]  # label, actions, incidents, database, reuse it


async def run(args: argparse.Namespace, plans: list[Plan]) -> None:
    results = {}
    for label, actions, incidents, db, reuse in plans:
        runtime = await build(settings_for(db, args.groups), {})
        try:
            await runtime.app.governance.start()
            started = time.perf_counter()
            if not reuse:
                await populate(runtime, args.groups, actions, incidents)
            built = time.perf_counter() - started
            entries = await runtime.store.read(lambda r: _count(r))
            how = "reused" if reuse else f"built in {built:.0f} s"
            print(f"{label}: {how}, {entries:,} journal entries", flush=True)
            results[label] = await measure(runtime, args.requests)
        finally:
            await runtime.close()
    empty, large = results["empty"], results["large"]
    print()
    print(
        f"{'page':30} {'first':>8} {'p50':>7} {'p99':>7}   "
        f"{'empty: first':>12} {'p50':>7} {'p99':>7}  (ms, server time)"
    )
    for label in large:
        (a0, *a), (b0, *b) = large[label], empty[label]
        print(
            f"{label:30} {a0:8.1f} {statistics.median(a):7.1f} {percentile(a, 0.99):7.1f}   "
            f"{b0:12.1f} {statistics.median(b):7.1f} {percentile(b, 0.99):7.1f}"
        )


async def _count(r: Repository) -> int:
    from storage import journal

    return await journal.count(r.c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=50_000, help="actions (each + outcome)")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--keep", help="keep the databases in this folder and reuse them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gg-bench-web-") as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        plans: list[Plan] = []
        # The baseline has the same groups, members, roster and filings, one incident and
        # nothing recorded: what is left is the cost of a large record.
        for label, actions, incidents in (("empty", 0, 1), ("large", args.actions, 100)):
            db = folder / f"{label}-{args.groups}-{actions}.db"
            plans.append((label, actions, incidents, db, db.exists()))
        asyncio.run(run(args, plans))


if __name__ == "__main__":
    main()
