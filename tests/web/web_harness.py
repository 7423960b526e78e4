"""A web console on 127.0.0.1 for the tests: its own event loop in a thread (selenium is
synchronous), a fresh SQLite database, a directory of two units under one office, a filing
waiting for 李副主任, a few recorded actions to filter and an incident in 党群工作部's group."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from bot.actions.spec import Target
from bot.config import Settings
from bot.runtime import Runtime, build
from bot.web.security import Passwords
from bot.web.serving import start
from bot.workflows.governance.form import parse_form
from rules.decisions import Decision, Evidence
from storage.web_logins import WebLoginRepository

T = TypeVar("T")
PASSWORD = "correct-horse-battery"
DIRECTORY = {
    "units": [
        {
            "name": "北京办事处",
            "roles": {"director": "王主任", "office_meeting": "孙秘书", "registrar": "钱工"},
        },
        {"name": "党群工作部", "parent": "北京办事处", "roles": {"deputy_director": "李副主任"}},
        {"name": "财务科", "parent": "北京办事处", "roles": {"deputy_director": "周副主任"}},
    ],
    "people": [
        {"name": name, "unit": unit, "accounts": [{"platform": "console", "user_id": uid}]}
        for name, unit, uid in (
            ("赵六", "党群工作部", "zhao"),
            ("李副主任", "北京办事处", "lee"),
            ("周副主任", "北京办事处", "zhou"),
            ("王主任", "北京办事处", "wang"),
            ("孙秘书", "北京办事处", "sun"),
            ("钱工", "北京办事处", "qian"),
        )
    ],
}
GROUPS = [
    {
        "platform": "console",
        "chat_id": "dq",
        "name": "党群工作部工作群",
        "unit": "党群工作部",
        "responsible": "赵六",
        "admins": ["adm"],  # an admin by config, on no roster
        "filing": "unfiled",
    },
    {
        "platform": "console",
        "chat_id": "cw",
        "name": "财务科工作群",
        "unit": "财务科",
        "responsible": "钱工",
    },
]
FORM = {
    "使用部门": "党群工作部",
    "备案类别": "创建",
    "平台类别": "控制台",
    "群组ID": "dq",
    "群组名称": "党群工作部工作群",
    "群组负责人": "赵六",
    "成员范围": "党群工作部全体职工",
    "建群目的": "部门内部工作交流、任务部署",
    "备案事项说明": "新建部门工作群",
}


@dataclass
class Console:
    url: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    async def refusals(self) -> list[dict[str, Any]]:
        rows = await self.runtime.app.store.read(lambda r: r.audit(category="refused"))
        return [row for row in rows if row["kind"].startswith("web:")]


def settings_for(tmp: Path) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp / 'web.db'}"},
            "directory": DIRECTORY,
            "groups": GROUPS,
        }
    )


async def _seed(runtime: Runtime) -> None:
    from bot.workflows.governance.form import labelled

    app = runtime.app
    await app.governance.start()
    hashed = Passwords().hash(PASSWORD)
    now = app.clock.now()
    for person in DIRECTORY["people"]:
        name = person["name"]
        await app.store.write(
            lambda r, n=name: WebLoginRepository(r.c).set_password(n, hashed, now)
        )
    form = parse_form(labelled(FORM), app.governance.today())
    await app.governance.submit(form, "console", "dq", "cli", "赵六")
    for chat, category, text in (
        ("dq", "harmful", "加我微信 13812345678 带你赌博"),
        ("dq", "nickname", "小明"),
        ("cw", "illegal", "出售身份证 110105199001011234"),
    ):
        await app.executor.record(
            Target("console", chat, None, "u-" + chat, "张三-党群工作部"),
            Decision(
                rule=category,
                article="R1 Art.7(9)",
                category=category,
                severity="high",
                actions=(),
                reason=category,
                evidence=(Evidence(text, 0, len(text)),),
            ),
            "delete",
            {},
            "done",
            "",
        )
    await app.incidents.open(
        platform="console",
        chat_id="dq",
        source="admin",
        by="u-dq",
        summary="明天大家一起去门口讨说法，联系 13812345678",
        user_id="u-dq",
    )


def start_console(tmp: Path) -> tuple[Console, threading.Thread, asyncio.Event]:
    loop = asyncio.new_event_loop()
    ready: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> None:
        runtime = await build(settings_for(tmp), {})
        await _seed(runtime)
        runner = await start(runtime.app, "127.0.0.1", 0)
        site_port = runner.addresses[0][1]
        ready.update(runtime=runtime, url=f"http://127.0.0.1:{site_port}", runner=runner)
        ready["stop"] = stop = asyncio.Event()
        started.set()
        await stop.wait()
        await runner.cleanup()
        await runtime.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    if not started.wait(60):
        raise RuntimeError("the web console did not start")
    return Console(ready["url"], ready["runtime"], loop), thread, ready["stop"]


async def login(session: Any, url: str, name: str, password: str = PASSWORD) -> int:
    """Log in over plain HTTP (an aiohttp ClientSession); returns the answer's status."""
    token = await csrf_of(session, f"{url}/login")
    response = await session.post(
        f"{url}/login",
        data={"csrf": token, "name": name, "password": password},
        allow_redirects=False,
    )
    status: int = response.status
    return status


async def csrf_of(session: Any, page_url: str) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    page = await (await session.get(page_url)).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, "no CSRF token on the page"
    return token[1]


__all__ = ["PASSWORD", "Console", "csrf_of", "login", "start_console", "web"]
