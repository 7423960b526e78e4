"""Pure pieces of the QQ adapter: message formats, id and name readings, error kinds,
settings and the config section, and the arguments each action sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.qq import convert, cqcode, errors
from adapters.qq.adapter import QQAdapter
from adapters.qq.cqcode import Segment
from adapters.qq.plugin import PLATFORM, QQSection
from adapters.qq.settings import MAX_MUTE_SECONDS, QQSettings, SettingsError
from bot.config import Settings
from bot.ports import PlatformConfigError

# -- CQ strings ----------------------------------------------------------------------------


def test_cq_string_parses_codes_and_unescapes_text_and_params():
    segments = cqcode.parse_string(
        "[CQ:reply,id=-12][CQ:at,qq=123] 看&#91;这&#93;&amp;[CQ:share,title=a&#44;b,url=http://x/?a=1&amp;b=2]"
    )
    assert segments == [
        Segment("reply", {"id": "-12"}),
        Segment("at", {"qq": "123"}),
        Segment("text", {"text": " 看[这]&"}),
        Segment("share", {"title": "a,b", "url": "http://x/?a=1&b=2"}),
    ]


def test_cq_string_round_trips_through_escaping():
    original = [
        Segment("text", {"text": "a & [b], c &#91;"}),
        Segment("image", {"file": "x,y[1].jpg"}),
    ]
    assert cqcode.parse_string(cqcode.to_string(original)) == original


def test_an_equals_sign_in_a_value_stays_in_the_value():
    (seg,) = cqcode.parse_string("[CQ:share,title=标题中有=等号,url=http://baidu.com]")
    assert seg.data == {"title": "标题中有=等号", "url": "http://baidu.com"}


def test_arrays_single_objects_and_junk():
    assert cqcode.parse({"type": "text", "data": {"text": "hi"}}) == [
        Segment("text", {"text": "hi"})
    ]
    assert cqcode.parse([{"type": "at", "data": {"qq": 5}}, "junk", {"data": {}}, 3]) == [
        Segment("at", {"qq": "5"})
    ]
    assert cqcode.parse(None) == [] and cqcode.parse(42) == []


# -- readings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (123, "123"),
        ("123", "123"),
        (" 0123 ", "123"),
        (-5, "-5"),
        (12.0, "12"),
        ("abc", "abc"),
        (None, None),
        ("", None),
        (True, None),
        ({"x": 1}, None),
        ([1], None),
    ],
)
def test_ids_are_one_text_form_whatever_the_implementation_sends(raw, expected):
    assert convert.ident(raw) == expected


def test_wire_ids_are_numbers_when_numeric():
    assert convert.wire_id("123") == 123 and convert.wire_id("-4") == -4
    assert convert.wire_id("flag-1") == "flag-1"


def test_the_real_name_rule_reads_the_card_then_the_nickname():
    assert convert.display_name(" 张三-办公室 ", "zs", "1") == "张三-办公室"
    assert convert.display_name("", "小明", "1") == "小明"
    assert convert.display_name(None, "  ", "1") == "1"
    member = convert.member_from_info(
        {"user_id": 7, "card": "", "nickname": "n", "role": "admin"}, "9"
    )
    assert member.nickname == "n" and member.is_platform_admin and not member.is_bot


def test_timestamps_in_seconds_or_milliseconds():
    assert convert.timestamp(1_700_000_000) == datetime.fromtimestamp(1_700_000_000, UTC)
    assert convert.timestamp(1_700_000_000_000) == datetime.fromtimestamp(1_700_000_000, UTC)
    assert convert.timestamp("x") is None and convert.timestamp(0) is None


def test_content_reads_mentions_reply_and_media():
    content = convert.read_content(
        [
            Segment("reply", {"id": "99"}),
            Segment("at", {"qq": "all"}),
            Segment("at", {"qq": "5"}),
            Segment("text", {"text": "/mute"}),
            Segment("at", {"qq": "6"}),
            Segment("text", {"text": "10m"}),
            Segment("image", {"file": "a.jpg", "sub_type": "0"}),
        ]
    )
    assert content.reply_to == "99" and content.mentions == ("5", "6") and content.mentions_all
    assert content.media_kind == "photo"
    assert convert.parse_command(content) == ("mute", ("10m",))
    assert convert.command_target(content, self_id="5") == "6"


def test_stickers_are_not_photos():
    content = convert.read_content([Segment("image", {"sub_type": "1"})])
    assert content.media_kind == "sticker"


def test_link_cards_and_shares_become_text_the_content_rules_read():
    card = {
        "app": "com.tencent.structmsg",
        "meta": {"news": {"title": "加我微信", "desc": "带你赚钱", "jumpUrl": "http://x.cn"}},
    }
    content = convert.read_content([Segment("json", {"data": json.dumps(card)})])
    assert content.media_kind == "link"
    assert "加我微信" in content.text and "http://x.cn" in content.text
    share = convert.read_content([Segment("share", {"title": "标题", "url": "http://y.cn"})])
    assert share.media_kind == "link" and "http://y.cn" in share.text


def test_mini_programs_and_merged_forwards():
    mini = {
        "app": "com.tencent.miniapp_01",
        "meta": {"detail_1": {"title": "小程序", "qqdocurl": "u"}},
    }
    assert convert.read_content([Segment("json", {"data": json.dumps(mini)})]).media_kind == (
        "mini_program"
    )
    merged = {
        "app": "com.tencent.multimsg",
        "meta": {"detail": {"source": "群聊的聊天记录", "news": [{"text": "张三: 赌博"}]}},
    }
    content = convert.read_content([Segment("json", {"data": json.dumps(merged)})])
    assert content.forwarded and content.forward_origin == "群聊的聊天记录"
    assert "赌博" in content.text
    forward = convert.read_content([Segment("forward", {"id": "abc"})])
    assert forward.forwarded and forward.media_kind == "chat_history"
    broken = convert.read_content([Segment("json", {"data": "{not json"})])
    assert broken.media_kind == "card" and broken.text == ""


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "answer", "kind"),
    [
        ("set_group_ban", {"retcode": 200, "message": "ERR_NOT_GROUP_ADMIN"}, "forbidden"),
        ("set_group_ban", {"retcode": 200, "message": "cannot ban owner"}, "forbidden"),
        ("set_group_kick", {"retcode": 200, "message": "user not in group"}, "not_found"),
        ("delete_msg", {"retcode": 1403}, "forbidden"),
        ("set_group_card", {"retcode": 1404}, "bad_request"),
        ("delete_msg", {"retcode": 1400, "message": "bad params"}, "bad_request"),
        ("send_group_msg", {"retcode": 200, "message": "发送消息失败"}, "rate_limited"),
        ("send_private_msg", {"retcode": 1200, "wording": ""}, "rate_limited"),
        ("get_msg", {"retcode": 200, "message": "操作超时"}, "transient"),
    ],
)
def test_failed_answers_map_to_the_kinds_the_executor_decides_from(action, answer, kind):
    error = errors.from_answer(action, {"status": "failed", **answer})
    assert error.kind == kind
    assert f"qq {action}: retcode {answer['retcode']}" in str(error)
    if kind == "rate_limited":
        assert error.retry_after == errors.RISK_CONTROL_RETRY_AFTER


# -- settings and the config section -------------------------------------------------------


def test_an_unset_section_asks_for_nothing():
    assert PLATFORM.build(QQSection()) is None


def test_a_set_transport_without_the_token_variable_is_one_clear_line(monkeypatch):
    monkeypatch.delenv("QQ_ONEBOT_TOKEN", raising=False)
    with pytest.raises(PlatformConfigError, match="QQ_ONEBOT_TOKEN") as raised:
        PLATFORM.build(QQSection(transport="forward"))
    assert "\n" not in str(raised.value)


def test_the_section_builds_the_adapter_from_the_environment(monkeypatch):
    monkeypatch.setenv("GG_QQ", "s3cret")
    section = QQSection(
        transport="reverse", token_env="GG_QQ", listen_port=9000, call_timeout=timedelta(seconds=3)
    )
    adapter = PLATFORM.build(section)
    assert isinstance(adapter, QQAdapter)
    assert adapter.settings.token == "s3cret" and adapter.settings.listen_port == 9000
    assert adapter.settings.call_timeout == 3.0


def test_the_config_file_validates_the_qq_section():
    settings = Settings.model_validate({"qq": {"transport": "forward", "url": "ws://h:1"}})
    assert settings.section("qq").url == "ws://h:1"
    with pytest.raises(ValueError, match="qq"):
        Settings.model_validate({"qq": {"transprt": "forward"}})
    with pytest.raises(ValueError, match="transport"):
        Settings.model_validate({"qq": {"transport": "http"}})


def test_settings_refuse_what_cannot_work():
    with pytest.raises(SettingsError, match="ws://"):
        QQSettings(transport="forward", token="t", url="http://x")
    with pytest.raises(SettingsError, match="empty"):
        QQSettings(transport="forward", token="")


# -- actions ------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, action: str, **params: Any) -> Any:
        self.calls.append((action, params))
        return {"message_id": 5} if action.startswith("send_") else None


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def adapter() -> tuple[QQAdapter, Recorder]:
    qq = QQAdapter(QQSettings(transport="forward", token="t"), now=lambda: NOW)
    recorder = Recorder()
    qq.client.call = recorder  # type: ignore[method-assign]
    return qq, recorder


@pytest.mark.parametrize(
    ("until", "duration"),
    [
        (NOW + timedelta(minutes=10), 600),
        (NOW + timedelta(seconds=599, microseconds=400_000), 600),
        (NOW + timedelta(seconds=20), 60),  # QQ's shortest mute
        (NOW + timedelta(days=400), MAX_MUTE_SECONDS),  # QQ's longest
        (None, MAX_MUTE_SECONDS),
    ],
)
async def test_mute_sends_the_duration_in_seconds(adapter, until, duration):
    qq, recorder = adapter
    await qq.mute("100", "200", until)
    assert recorder.calls == [
        ("set_group_ban", {"group_id": 100, "user_id": 200, "duration": duration})
    ]


async def test_a_mute_already_over_lifts_it(adapter):
    qq, recorder = adapter
    await qq.mute("100", "200", NOW - timedelta(seconds=1))
    assert recorder.calls[0][1]["duration"] == 0


async def test_remove_ban_and_unmute(adapter):
    qq, recorder = adapter
    await qq.remove("1", "2")
    await qq.ban("1", "2")
    await qq.unmute("1", "2")
    await qq.set_quiet("1", False)
    assert recorder.calls == [
        ("set_group_kick", {"group_id": 1, "user_id": 2, "reject_add_request": False}),
        ("set_group_kick", {"group_id": 1, "user_id": 2, "reject_add_request": True}),
        ("set_group_ban", {"group_id": 1, "user_id": 2, "duration": 0}),
        ("set_group_whole_ban", {"group_id": 1, "enable": False}),
    ]


async def test_cards_are_set_only_when_configured(adapter):
    from bot.ports import PlatformError

    qq, recorder = adapter
    with pytest.raises(PlatformError, match="set_card"):
        await qq.set_nickname("1", "2", "张三-办公室")
    assert not qq.capabilities.set_nickname
    allowed = QQAdapter(QQSettings(transport="forward", token="t", set_card=True))
    allowed.client.call = recorder  # type: ignore[method-assign]
    assert allowed.capabilities.set_nickname
    await allowed.set_nickname("1", "2", "张三-办公室")
    assert recorder.calls == [
        ("set_group_card", {"group_id": 1, "user_id": 2, "card": "张三-办公室"})
    ]


async def test_admin_roles_come_from_the_member_list(adapter):
    qq, _ = adapter

    async def members(action: str, **params: Any) -> Any:
        return [
            {"user_id": "1", "role": "owner"},
            {"user_id": 2, "role": "admin"},
            {"user_id": 3, "role": "member"},
        ]

    qq.client.call = members  # type: ignore[method-assign]
    qq.members._call = members
    admins = {a.user_id: a for a in await qq.get_admins("9")}
    assert set(admins) == {"1", "2"}
    assert admins["1"].is_owner and admins["2"].can("can_restrict_members")
    assert not admins["2"].can("can_promote_members")


def test_the_watchdog_learns_the_heartbeat_interval():
    from adapters.qq.client import DEFAULT_SILENCE, OneBotClient

    seen: list[dict[str, Any]] = []
    client = OneBotClient(QQSettings(transport="forward", token="t"), seen.append)
    assert client._silence_limit() == DEFAULT_SILENCE
    beat = {"post_type": "meta_event", "meta_event_type": "heartbeat", "interval": 4000}
    client._frame(json.dumps({**beat, "self_id": "123"}))
    assert client._silence_limit() == 12.0  # three missed heartbeats
    assert client.self_id == "123" and seen  # the frame still reaches the adapter
    fixed = OneBotClient(QQSettings(transport="forward", token="t", heartbeat_timeout=2), print)
    assert fixed._silence_limit() == 2
