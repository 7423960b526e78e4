"""Pure pieces: the payload mapping, the compat patches, the settings."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.wechat import compat, convert
from adapters.wechat.settings import SettingsError, WeChatSettings


def test_nickname_is_the_room_alias_then_the_wechat_name() -> None:
    assert convert.nickname("张三-办公室", "张三", "wx1") == "张三-办公室"
    assert convert.nickname(" ", "张三", "wx1") == "张三"
    assert convert.nickname(None, "", "wx1") == "wx1"


def test_media_kinds_follow_the_1x_message_types() -> None:
    assert convert.media_kind(7) is None
    assert convert.media_kind(6) == "photo" and convert.media_kind(15) == "video"
    assert convert.media_kind(99) == "unknown"


def test_timestamps_in_seconds_or_milliseconds() -> None:
    a = convert.timestamp(1_700_000_000)
    b = convert.timestamp(1_700_000_000_000)
    assert a == b and a is not None and a.year == 2023


def test_command_mentions_are_taken_out_but_other_at_text_stays() -> None:
    assert convert.parse_command("/kick @张三-办公室\u2005 广告", ["张三-办公室"]) == (
        "kick",
        ("广告",),
    )
    assert convert.parse_command("/report @某人 说了", []) == ("report", ("@某人", "说了"))
    assert convert.parse_command("大家好 /warn", []) is None


def test_compat_apply_is_idempotent_and_wechaty_imports() -> None:
    compat.apply()
    compat.apply()
    import wechaty  # noqa: F401  (fails on 3.11 without the PuppetOptions patch)


async def test_setters_send_the_value_in_both_fields_and_read_either_answer() -> None:
    compat.apply()
    from wechaty_grpc.wechaty import PuppetStub

    sent: list[bytes] = []

    class Channel:
        def __init__(self, answer: bytes) -> None:
            self.answer = answer

    async def unary(self: Any, route: str, request: Any, response_type: type) -> Any:
        sent.append(bytes(request))
        return response_type().parse(self.answer)

    fake = SimpleNamespace(answer=b"", _unary_unary=None)
    fake._unary_unary = unary.__get__(fake)
    await PuppetStub.room_topic(fake, id="r", topic="新群名")
    value = "新群名".encode()
    assert (
        sent[-1]
        == b"\n\x01r"
        + b"\x12"
        + bytes([len(value) + 2, 10, len(value)])
        + value
        + b"\x1a"
        + bytes([len(value)])
        + value
    )
    fake.answer = b"\x12\x03abc"  # a 1.x getter answer (field 2)
    assert (await PuppetStub.contact_alias(fake, id="c")).alias == "abc"
    fake.answer = b"\x0a\x05\x0a\x03old"  # a 0.x answer (wrapper in field 1)
    assert (await PuppetStub.room_announce(fake, id="r")).text == "old"
    fake.answer = b""
    assert (await PuppetStub.room_topic(fake, id="r")).topic is None
    assert sent[-1] == b"\n\x01r", "a getter sends no value"


def test_settings_from_config_read_the_token_from_the_environment() -> None:
    section = SimpleNamespace(
        endpoint="127.0.0.1:8788",
        token_env="WX_TOKEN",
        start_timeout=timedelta(seconds=5),
        messages_per_minute=20,
        room_interval=timedelta(seconds=5),
    )
    s = WeChatSettings.from_config(section, {"WX_TOKEN": "secret"})
    assert (s.token, s.start_timeout, s.throttle.per_minute, s.throttle.chat_interval) == (
        "secret",
        5.0,
        20,
        5.0,
    )
    with pytest.raises(SettingsError, match="WX_TOKEN"):
        WeChatSettings.from_config(section, {})
    with pytest.raises(SettingsError, match="host:port"):
        WeChatSettings(endpoint="", token="t")


def test_settings_from_the_real_config_model() -> None:
    from bot.config import Settings

    section = Settings.model_validate({"wechat": {"endpoint": "127.0.0.1:9001"}}).section("wechat")
    s = WeChatSettings.from_config(section, {"WECHATY_PUPPET_SERVICE_TOKEN": "t"})
    assert (s.throttle.per_minute, s.throttle.chat_interval, s.start_timeout) == (40, 3.0, 30.0)


def test_groupguard_run_picks_wechat_when_endpoint_and_token_are_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.wechat import WeChatAdapter
    from bot.config import parse_settings
    from bot.runtime import platform_adapters

    settings = parse_settings("wechat:\n  endpoint: 127.0.0.1:8788\n  messages_per_minute: 20\n")
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    # An endpoint without its token is a configuration error, not a silent console run.
    from bot.ports import PlatformConfigError

    with pytest.raises(PlatformConfigError, match="WECHATY_PUPPET_SERVICE_TOKEN"):
        platform_adapters(settings)
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_TOKEN", "secret")
    (adapter,) = platform_adapters(settings).values()
    assert isinstance(adapter, WeChatAdapter)
    assert adapter.settings.endpoint == "127.0.0.1:8788"
    assert adapter.settings.throttle.per_minute == 20
    assert adapter.settings.throttle.chat_interval == 3.0
