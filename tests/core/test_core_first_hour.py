"""Issue 14, "An administrator's first hour": every text readable (words, not codes), every
time local, the reason an admin typed kept. Texts are checked through catalogue keys and
rendered values, not fragments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_harness import Harness, make_harness

from bot.i18n import Catalogue
from bot.ports import PlatformError
from rules.durations import DurationError, parse_bounded_duration


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(
        sqlite_url, groups=[{"platform": "console", "chat_id": "console-group"}]
    )
    await harness.say("/admin 管理员-办公室")
    await harness.say("/join 李明-财务科")
    yield harness
    await harness.close()


async def replies(h: Harness, line: str) -> list[str]:
    return [r for handled in await h.say(line) for r in handled.replies]


def group_texts(h: Harness) -> list[str]:
    return h.sent_to("console-group")


# ---------------------------------------------------------------- Chinese durations
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10分钟", timedelta(minutes=10)),
        ("2小时", timedelta(hours=2)),
        ("3天", timedelta(days=3)),
        ("1小时30分", timedelta(minutes=90)),
        ("2个小时", timedelta(hours=2)),
        ("1周", timedelta(weeks=1)),
        ("90秒", timedelta(seconds=90)),
    ],
)
def test_chinese_durations_are_what_people_type(text: str, expected: timedelta) -> None:
    assert parse_bounded_duration(text) == expected


@pytest.mark.parametrize("text", ["十分钟", "10钟", "分钟", "10分钟后"])
def test_text_that_is_not_a_duration_is_still_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_bounded_duration(text)


async def test_mute_accepts_a_chinese_duration_and_shows_the_typed_reason(h: Harness) -> None:
    await h.say("管理员-办公室: /mute @李明-财务科 10分钟 刷屏")
    assert [c for c in h.adapter.calls if c[0] == "mute"]
    notice = [t for t in group_texts(h) if "@李明-财务科" in t][-1]
    until = h.clock.now() + timedelta(minutes=10)
    assert notice == h.app.catalogue.t(
        "notice.muted",
        mention="@李明-财务科",
        until=h.app.executor.texts.local(until),
        reason="刷屏",
    )


# ---------------------------------------------------------------- words, not codes
def test_catalogue_writes_durations_and_articles_in_words() -> None:
    zh = Catalogue("zh-CN")
    assert zh.duration(timedelta(days=30)) == zh.t("duration.d", n=30) == "30 天"
    assert zh.duration(timedelta(minutes=90)) == "1 小时 30 分钟"
    r1 = zh.t("regulation.R1")
    assert zh.article("R1 Art.7") == f"{r1}第七条"
    assert zh.article("R1 Art.7(9); R2 Art.13(1)") == (
        f"{r1}第七条第（九）项；{zh.t('regulation.R2')}第十三条第（一）项"
    )
    assert zh.article("R2 Art.22").endswith("第二十二条")
    assert zh.article("custom rule 5") == "custom rule 5"  # unknown codes are kept as written
    assert "30" in Catalogue("en").duration(timedelta(days=30))


async def test_warn_notice_counts_in_days_and_keeps_the_reason(h: Harness) -> None:
    await h.say("管理员-办公室: /warn @李明-财务科 迟到")
    t = h.app.catalogue.t
    expected = t(
        "words.warn_manual",
        mention="@李明-财务科",
        reason="迟到",
        window=h.app.catalogue.duration(timedelta(days=30)),
        number=1,
    )
    assert expected in group_texts(h)
    assert "30 天内第 1 次" in expected and "30d" not in expected
    (row,) = [r for r in await h.audit() if r["kind"] == "warn"]
    assert row["evidence"][0]["match"] == "迟到"


async def test_content_warning_names_the_regulation_and_counts_in_days(h: Harness) -> None:
    await h.say("李明-财务科: 你这个傻逼")
    texts = [t for t in group_texts(h) if "@李明-财务科" in t]
    assert texts, group_texts(h)
    assert "30 天" in texts[-1] and "30d" not in texts[-1]
    assert "《" in texts[-1] and "Art." not in texts[-1]


async def test_kick_keeps_the_typed_reason(h: Harness) -> None:
    await h.say("管理员-办公室: /kick @李明-财务科 违反群规")
    expected = h.app.catalogue.t("notice.removed", member="李明-财务科", reason="违反群规")
    assert expected in group_texts(h)


async def test_report_carries_the_reporters_reason_to_admins_and_record(h: Harness) -> None:
    await h.record({"type": "message", "user": "王五-工会", "text": "今晚一起玩两把", "id": "m9"})
    await h.record(
        {"type": "command", "user": "李明-财务科", "text": "/report 他在群里约赌", "reply_to": "m9"}
    )
    told = [t for where, t in h.adapter.sent if where.startswith("private:")]
    reason = h.app.catalogue.t("words.report_reason", reason="他在群里约赌")
    assert any(reason in t for t in told), told
    (row,) = [r for r in await h.audit() if r["kind"] == "command:report"]
    assert "他在群里约赌" in row["detail"]


async def test_warns_lists_local_times_and_the_window_in_days(h: Harness) -> None:
    await h.say("管理员-办公室: /warn @李明-财务科 迟到")
    (listing,) = await replies(h, "管理员-办公室: /warns @李明-财务科")
    local = h.app.executor.texts.local(h.clock.now())
    assert local in listing and "30 天" in listing
    assert h.app.catalogue.article("R1 Art.10") in listing


async def test_unmute_of_a_member_who_is_not_muted_says_so(h: Harness) -> None:
    answer = await replies(h, "管理员-办公室: /unmute @李明-财务科")
    assert answer == [h.app.catalogue.t("words.not_muted", member="李明-财务科")]
    assert not [c for c in h.adapter.calls if c[0] == "unmute"]
    unmuted = h.app.catalogue.t("notice.unmuted", mention="@李明-财务科")
    assert unmuted not in group_texts(h)
    await h.say("管理员-办公室: /mute @李明-财务科 1h")
    await h.say("管理员-办公室: /unmute @李明-财务科")
    assert unmuted in group_texts(h)


async def test_missing_right_goes_privately_to_admins_in_words(h: Harness) -> None:
    async def refuse(chat_id: str, message_id: str) -> None:
        raise PlatformError("forbidden", "not enough rights to delete a message")

    h.adapter.delete_message = refuse  # type: ignore[method-assign]
    await h.say("李明-财务科: 加我微信带你赌博")
    t = h.app.catalogue.t
    expected = t(
        "notice.missing_right_admin",
        right=t("right.can_delete_messages"),
        action=t("action.delete"),
    )
    assert "can_delete_messages" not in expected
    assert expected not in group_texts(h)
    assert any(text == expected for where, text in h.adapter.sent if where.startswith("private:"))


async def test_status_warns_when_a_tier_has_nobody(sqlite_url: str) -> None:
    h = await make_harness(sqlite_url, escalation={"tiers": {}})
    try:
        await h.say("/admin 管理员-办公室")
        (status,) = await replies(h, "管理员-办公室: /status")
        assert h.app.catalogue.t("words.tier_unstaffed", tiers="1、2") in status
        assert h.app.settings.unstaffed_tiers() == [1, 2]
    finally:
        await h.close()
