"""`groupguard run` with a token: the CLI's wiring (config → TelegramAdapter → app → scheduler)
against the fake Bot API server, exactly as a deployment starts it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi, administrator, group, owner, user

from bot.config import load_settings
from bot.runtime import platform_adapters
from bot.service import serve

CHAT = group(-1001000000009, "工会工作群")


async def test_run_with_a_token_uses_telegram_and_acts(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GG_TEST_TOKEN", api.token)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'gg.db'}\n"
        f"telegram:\n  token_env: GG_TEST_TOKEN\n  base_url: {api.base_url}\n"
        f"  base_file_url: {api.base_file_url}\n  rate_limit: false\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    adapters = platform_adapters(settings)
    assert list(adapters) == ["telegram"]
    api.set_admins(
        CHAT["id"],
        owner(user(1, "王主任-工会")),
        administrator(api.bot, "can_restrict_members", "can_delete_messages"),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve(settings, adapters, stop))
    try:
        await api.post(CHAT, user(5, "李四-工会"), "加我微信带你赌博，稳赚不赔")
        (deleted,) = await api.wait_for("deleteMessage", within=10)
        assert str(deleted.params["chat_id"]) == str(CHAT["id"])
        await api.wait_for("banChatMember", within=10)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
