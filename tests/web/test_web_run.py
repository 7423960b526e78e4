"""``groupguard run`` with ``web.enabled`` serves the console beside the bot, in the same event
loop: the console group chat is running while the login page answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.console_runner import run_console


def _settings(tmp_path: Path, enabled: bool) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"},
            "web": {"enabled": enabled, "host": "127.0.0.1", "port": 0},
        }
    )


async def test_run_with_web_enabled_serves_the_login_page(tmp_path: Path) -> None:
    out: list[str] = []
    seen: dict[str, object] = {}

    async def lines() -> AsyncIterator[str]:
        # The bot is running (the banner is out) when the first line is asked for.
        announced = [line for line in out if line.startswith("工作群组管理台：")]
        url = re.search(r"http://\S+", announced[0])
        assert url is not None
        async with aiohttp.ClientSession() as session:
            response = await session.get(url[0] + "login")
            seen["status"] = response.status
            seen["page"] = await response.text()
        yield "/join 小明"  # the chat still works with the console up: a real-name reminder
        yield "/quit"

    await run_console(_settings(tmp_path, True), out=out.append, lines=lines())
    assert seen["status"] == 200
    assert 'id="password"' in str(seen["page"]) and "登录" in str(seen["page"])
    assert any("小明" in line and "实名" in line for line in out)


async def test_run_without_web_serves_nothing(tmp_path: Path) -> None:
    out: list[str] = []
    await run_console(_settings(tmp_path, False), out=out.append, lines=["/quit"])
    assert out and not [line for line in out if "管理台" in line]
