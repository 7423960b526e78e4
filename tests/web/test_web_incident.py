"""An incident's page over HTTP: the five stages, a note from anyone who may see it, the next
stage only for the group's admins and its unit's supervisors — through the bot's incident desk,
journaled as from the chat; refusals are 403s (or 409 for a step out of order), journaled."""

from __future__ import annotations

import aiohttp
from web_harness import Console, csrf_of, login

from bot.workflows.incident import records


async def _session_as(session: aiohttp.ClientSession, url: str, name: str) -> str:
    """Log in; returns the session's CSRF token (a fresh one is issued at login)."""
    assert await login(session, url, name) == 303
    return await csrf_of(session, f"{url}/incidents")


async def _post(session: aiohttp.ClientSession, url: str, **form: str) -> aiohttp.ClientResponse:
    return await session.post(f"{url}/incidents/1", data=form)


def _steps(console: Console) -> list[records.StepRow]:
    return console.run(console.runtime.app.store.read(lambda r: records.steps(r, 1)))


def test_a_supervisor_of_the_unit_notes_and_advances_through_the_desk(console: Console) -> None:
    async def go() -> tuple[str, int, str, int, str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            csrf = await _session_as(s, console.url, "李副主任")
            page = await (await s.get(f"{console.url}/incidents/1")).text()
            note = await _post(
                s, console.url, csrf=csrf, verb="note", note="已电话联系 13812345678 本人"
            )
            moved = await _post(
                s, console.url, csrf=csrf, verb="advance", stage="analyse", note="影响限于本群"
            )
            skipped = await _post(
                s, console.url, csrf=csrf, verb="advance", stage="handle", note="跳过"
            )
            return page, note.status, await moved.text(), skipped.status, await skipped.text()

    page, noted, moved, skipped, skipped_page = console.run(go())
    assert all(f'id="stage-{s}"' in page for s in records.STAGES)
    assert 'id="incident-advance"' in page and "13812345678" not in page  # summary masked
    assert noted == 200
    assert 'id="incident-stage">分析研判<' in moved and "影响限于本群" in moved
    assert skipped == 409 and "下一步应为“确认事实”" in skipped_page
    steps = _steps(console)
    assert [(s.stage, s.actor) for s in steps[1:]] == [
        ("record", "web:李副主任"),
        ("analyse", "web:李副主任"),
    ]
    assert "13812345678" not in steps[1].note and "138****5678" in steps[1].note
    refused = console.run(console.refusals())
    assert [r["kind"] for r in refused] == ["web:incident:advance"]


def test_the_registrar_reads_and_notes_but_may_not_advance(console: Console) -> None:
    async def go() -> tuple[str, int, int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            csrf = await _session_as(s, console.url, "钱工")
            page = await (await s.get(f"{console.url}/incidents/1")).text()
            note = await _post(s, console.url, csrf=csrf, verb="note", note="已登记备查")
            advance = await _post(
                s, console.url, csrf=csrf, verb="advance", stage="analyse", note="x"
            )
            return page, note.status, advance.status

    page, noted, advanced = console.run(go())
    assert 'id="incident-read-only"' in page and 'id="incident-advance"' not in page
    assert (noted, advanced) == (200, 403)
    assert [s.stage for s in _steps(console)] == ["record", "record"]  # the note, no advance
    refused = console.run(console.refusals())
    assert [(r["kind"], r["actor"]) for r in refused] == [("web:incident:advance", "web:钱工")]


def test_a_supervisor_of_another_unit_gets_403_journaled(console: Console) -> None:
    async def go() -> tuple[int, int]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            csrf = await _session_as(s, console.url, "周副主任")
            listing = await (await s.get(f"{console.url}/incidents")).text()
            assert 'id="incident-link-1"' not in listing
            page = await s.get(f"{console.url}/incidents/1")
            note = await _post(s, console.url, csrf=csrf, verb="note", note="x")
            return page.status, note.status

    assert console.run(go()) == (403, 403)
    refused = console.run(console.refusals())
    assert [(r["kind"], r["chat_id"]) for r in refused] == [("web:incident", "dq")] * 2
    assert len(_steps(console)) == 1


def test_a_step_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    async def go() -> int:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            await _session_as(s, console.url, "李副主任")
            forged = await _post(s, console.url, verb="advance", stage="analyse", note="x")
            return forged.status

    assert console.run(go()) == 403
    assert [r["kind"] for r in console.run(console.refusals())] == ["web:csrf"]
    assert len(_steps(console)) == 1
