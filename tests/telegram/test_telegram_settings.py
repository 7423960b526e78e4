"""Settings from the config section and environment; webhook mode; admin-change notices."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import pytest
from fake_bot_api import administrator, group, message, plain_member, user
from telegram_harness import settings_for

from adapters.telegram import SettingsError, TelegramAdapter, TelegramSettings
from adapters.telegram.plugin import TelegramSection

CHAT = group(-1001234567890)


def test_settings_come_from_the_config_section_and_the_token_from_the_environment():
    section = TelegramSection(
        token_env="GG_TOKEN", base_url="http://127.0.0.1:8081/bot", rate_limit=False
    )
    settings = TelegramSettings.from_config(section, env={"GG_TOKEN": "1:abc"})
    assert settings.token == "1:abc"
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.rate_limit is False
    assert settings.mode == "polling"


def test_missing_token_names_the_variable():
    with pytest.raises(SettingsError, match="GG_TOKEN"):
        TelegramSettings.from_config(SimpleNamespace(token_env="GG_TOKEN"), env={})


def test_webhook_mode_needs_a_url():
    with pytest.raises(SettingsError, match="webhook_url"):
        TelegramSettings(token="1:abc", mode="webhook")


async def test_webhook_mode_registers_the_hook_and_feeds_posted_updates(api, recorder):
    settings = settings_for(
        api,
        mode="webhook",
        webhook_url="https://bot.example.org/telegram",
        webhook_listen="127.0.0.1",
        webhook_port=0,
        webhook_secret="s3cret",
    )
    adapter = TelegramAdapter(settings)
    await adapter.start(recorder)
    try:
        (hook,) = api.calls_to("setWebhook")
        assert hook.params["url"] == "https://bot.example.org/telegram"
        assert hook.params["secret_token"] == "s3cret"
        assert "chat_member" in hook.params["allowed_updates"]
        assert not api.calls_to("getUpdates")
        update = {"update_id": 77, "message": message(CHAT, user(1, "张三-办公室"), 5, "你好")}
        url = f"http://127.0.0.1:{adapter.webhook_port}/telegram"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update, headers={}) as refused:
                assert refused.status == 403  # no secret: not from Telegram
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            async with session.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        (event,) = await recorder.wait(1)
        assert event.update_id == "77" and event.text == "你好"
    finally:
        await adapter.stop()


async def test_promotions_tell_the_admin_cache(api, recorder):
    changed: list[str] = []
    adapter = TelegramAdapter(settings_for(api), on_admins_changed=changed.append)
    await adapter.start(recorder)
    try:
        someone = user(1003003, "王五-主任")
        await api.chat_member(CHAT, user(1, "群主"), plain_member(someone), administrator(someone))
        await api.push(
            "my_chat_member",
            {
                "chat": CHAT,
                "from": user(1, "群主"),
                "date": 1_700_000_000,
                "old_chat_member": plain_member(api.bot),
                "new_chat_member": administrator(api.bot, "can_delete_messages"),
            },
        )
        await api.post(CHAT, someone, "marker")
        await recorder.wait(1)
        assert changed == [str(CHAT["id"])] * 2
    finally:
        await adapter.stop()
