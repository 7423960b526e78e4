"""The console over plain HTTP: CSRF, login, lockout, and the 403 a supervisor of another unit
gets (journaled)."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest
from web_harness import PASSWORD, Console, login

from storage.filings import FilingRepository


def test_csrf_less_post_is_refused_and_recorded(console: Console) -> None:
    async def go() -> tuple[int, int, int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, "李副主任", PASSWORD) == 303
            bare = await s.post(f"{console.url}/inbox/1", data={"decision": "approve"})
            wrong = await s.post(
                f"{console.url}/inbox/1", data={"decision": "approve", "csrf": "forged"}
            )
            bare_login = await s.post(f"{console.url}/login", data={"name": "x", "password": "y"})
            return bare.status, wrong.status, bare_login.status

    assert console.run(go()) == (403, 403, 403)
    refused = console.run(console.refusals())
    assert [r["kind"] for r in refused] == ["web:csrf"] * 3
    filing = console.run(console.runtime.app.store.read(lambda r: FilingRepository(r.c).get(1)))
    assert filing.step == 0  # nothing was decided


def test_lockout_after_five_failures(console: Console) -> None:
    async def go() -> list[int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            codes = [await login(s, console.url, "王主任", "wrong-password") for _ in range(5)]
            codes.append(await login(s, console.url, "王主任", PASSWORD))
            return codes

    assert console.run(go()) == [401, 401, 401, 401, 429, 429]


@pytest.mark.parametrize("path", ["/groups/console/dq", "/record?group=console:dq"])
def test_a_supervisor_of_another_unit_gets_403_recorded(console: Console, path: str) -> None:
    async def go() -> tuple[int, str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, "周副主任", PASSWORD) == 303
            own = await s.get(f"{console.url}/groups/console/cw")
            assert own.status == 200
            other = await s.get(f"{console.url}{path}")
            return other.status, await (await s.get(f"{console.url}/groups")).text()

    status, listing = console.run(go())
    assert status == 403
    assert "财务科工作群" in listing and "党群工作部工作群" not in listing
    refused = console.run(console.refusals())
    assert len(refused) == 1 and refused[0]["chat_id"] == "dq"
    assert refused[0]["actor"] == "web:周副主任"


def test_each_failed_login_is_journaled_masked_below_the_lockout(console: Console) -> None:
    from storage import journal

    async def go() -> list[int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            codes = [await login(s, console.url, "王主任", "wrong-password") for _ in range(2)]
            codes.append(await login(s, console.url, "secret-typed-as-name", "x"))
            return codes

    assert console.run(go()) == [401, 401, 401]
    entries = console.run(console.runtime.app.store.read(lambda r: journal.entries(r.c)))
    failed = [json.loads(e.payload) for e in entries if e.kind == "web.login_failed"]
    assert failed == [
        {"name": "王**", "known": True, "failures": 1},
        {"name": "王**", "known": True, "failures": 2},
        {"name": "s********", "known": False, "failures": 0},
    ]
    assert not [e for e in entries if e.kind == "web.locked"]  # still below the threshold
    assert not [e for e in entries if "王主任" in e.payload and e.kind.startswith("web.login")]


def test_the_group_page_shows_the_member_audit_masked(console: Console) -> None:
    from storage.roster import RosterPerson, RosterRepository

    app = console.runtime.app
    now = app.clock.now()
    people = (
        RosterPerson("王小红", "党群工作部", "", None, "138****5678", "active", ()),
        RosterPerson("陈大伟", "党群工作部", "", None, None, "transferred", ()),
    )
    members = (
        ("u1", "王小红-党群工作部"),  # on the roster by name and unit
        ("u2", "陈大伟-党群工作部"),  # on it, but transferred away
        ("u3", "路人甲"),  # a stranger, and not real-named
        ("zhao", "赵六-党群工作部"),  # in the directory by account
        ("adm", "管理员-办公室"),  # the group's admin: on no roster, yet no stranger
    )

    async def seed(r: Any) -> None:
        for person in people:
            await RosterRepository(r.c).apply(person, now)
        for user_id, nickname in members:
            await r.ensure_member("console", "dq", user_id, nickname, now)

    console.run(app.store.write(seed))

    async def go() -> str:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, "赵六") == 303
            return await (await s.get(f"{console.url}/groups/console/dq")).text()

    page = console.run(go())
    table = page[page.index('id="member-audit"') :]
    rows = re.findall(r'<tr class="match-(\w+)"><td>([^<]+)</td>', table)
    assert rows == [
        ("stranger", "路**"),
        ("left_post", "陈**-党群工作部"),
        ("admin", "管**-办公室"),
        ("directory", "赵*-党群工作部"),
        ("on_roster", "王**-党群工作部"),
    ]
    assert "名册中已调离" in table
    findings = page[page.index('id="member-findings"') : page.index('id="member-audit"')]
    assert "不在名册（无关人员）：1 人" in findings and "未实名（群昵称不规范）：1 人" in findings
    assert not any(name in page for _, name in members)  # nobody's full nickname
