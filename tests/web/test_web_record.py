"""The record page pages in SQL (newest first, keyset by id) with its filters in SQL, and the
chain check is reused while the journal's head stands still."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import aiohttp
from web_harness import Console, login

from bot.actions.spec import Target
from bot.web.handlers import PAGE
from bot.web.head_cache import HeadCache
from rules.decisions import Decision
from storage import journal


async def _record_many(console: Console, count: int) -> None:
    app = console.runtime.app
    now = app.clock.now()
    for m in range(7):
        for chat in ("cw", "dq"):
            await app.store.write(
                lambda r, m=m, chat=chat: r.ensure_member(
                    "console", chat, f"m{m}", f"成员{m}-财务科", now
                )
            )
    for n in range(count):
        chat = "cw" if n % 2 else "dq"
        await app.executor.record(
            Target("console", chat, None, f"m{n % 7}", f"成员{n % 7}-财务科"),
            Decision(
                rule="offtopic",
                article="R2 Art.13(6)",
                category="offtopic",
                severity="low",
                actions=(),
                reason="offtopic",
            ),
            "warn",
            {},
            "done",
            "",
        )


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="cat-[a-z]+"><td>(\d+)</td>', page)]


def test_the_record_pages_newest_first_without_repeating_a_row(console: Console) -> None:
    console.run(_record_many(console, PAGE + 20))

    async def go() -> tuple[str, str, str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, "钱工") == 303
            first = await (await s.get(f"{console.url}/record")).text()
            older = re.search(r'href="([^"]+)" id="record-older"', first)
            assert older is not None
            second = await (await s.get(console.url + older[1].replace("&amp;", "&"))).text()
            query = {"member": "成员3-财务科", "group": "console:cw"}
            member = await (await s.get(f"{console.url}/record", params=query)).text()
            return first, second, member

    first, second, member = console.run(go())
    everything = console.run(console.runtime.app.store.read(lambda r: r.audit(limit=10_000)))
    total = len(everything)  # the harness's own rows too
    assert total > PAGE + 20
    assert f"共 {total} 条" in first
    one, two = _ids(first), _ids(second)
    assert len(one) == PAGE and one == sorted(one, reverse=True)
    assert len(two) == total - PAGE and max(two) < min(one)
    assert 'id="record-older"' not in second and 'id="record-newest"' in second
    # m3 is the 4th, 11th, 18th … member: in cw (odd n) only where n is odd.
    wanted = sum(1 for n in range(PAGE + 20) if n % 7 == 3 and n % 2)
    assert f"共 {wanted} 条" in member and len(_ids(member)) == wanted


async def test_the_chain_check_is_reused_until_the_head_moves_or_grows_old() -> None:
    heads = [journal.Head(5, "a" * 64)]
    walks: list[int] = []

    async def head() -> journal.Head:
        return heads[-1]

    async def verify() -> journal.Break | None:
        walks.append(heads[-1].seq)
        await asyncio.sleep(0.01)  # a walk takes a while: views meanwhile wait for it
        return None

    cache: HeadCache[journal.Break | None] = HeadCache(max_age=timedelta(minutes=10))
    now = datetime(2026, 12, 1, tzinfo=UTC)

    async def status(at: datetime) -> bool:
        return (await cache.get("chain", head, verify, at)).reused

    together = await asyncio.gather(*(status(now) for _ in range(3)))
    assert walks == [5] and together == [False, True, True]
    assert await status(now + timedelta(minutes=9))
    heads.append(journal.Head(6, "b" * 64))  # a new entry
    assert not await status(now + timedelta(minutes=9))
    assert not await status(now + timedelta(minutes=20))
    assert walks == [5, 6, 6]


async def test_kept_results_are_per_key_and_the_least_recently_used_go_first() -> None:
    built: list[str] = []

    async def head() -> journal.Head:
        return journal.Head(1, "a" * 64)

    def compute(key: str):  # type: ignore[no-untyped-def]
        async def run() -> str:
            built.append(key)
            return key.upper()

        return run

    cache: HeadCache[str] = HeadCache(size=2)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for key in ("a", "b", "a", "c", "a", "b"):
        kept = await cache.get(key, head, compute(key), now)
        assert kept.value == key.upper()
    assert built == ["a", "b", "c", "b"]  # b was the least recently used when c came


def test_a_report_is_rebuilt_once_something_is_recorded(console: Console) -> None:
    month = console.runtime.app.clock.now().astimezone(console.runtime.app.settings.zone)
    url = f"{console.url}/reports/file.csv?period={month:%Y-%m}"

    async def fetch() -> bytes:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, "钱工") == 303
            return await (await s.get(url)).read()

    first, again = console.run(fetch()), console.run(fetch())
    console.run(_record_many(console, 3))
    after = console.run(fetch())
    assert first == again and after != first
