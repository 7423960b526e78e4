"""Issue 14 on the console and in the engine: a second run in the same folder is heard, the
console comes with simulated supervisors and shows message numbers, its own errors speak the
configured language; one message gets one outcome; a raid does not flood the group."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_harness import Harness, make_harness

from bot.config import Settings
from bot.console_runner import run_console
from bot.i18n import Catalogue

QUICK_START = [
    "/admin 管理员-办公室",
    "/join 小明",
    "张三-党群工作部: 加我微信带你赌博",
    "管理员-办公室: /mute @小明 10m 刷屏",
    "/tick 25h",
]


async def console(settings: Settings, lines: list[str]) -> list[str]:
    out: list[str] = []
    await run_console(settings, out=out.append, lines=[*lines, "/quit"])
    return out


def settings_for(tmp_path: Path, **more: object) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'groupguard.db'}"
    return Settings.model_validate({"database": {"url": url}, **more})


async def test_a_second_console_run_in_the_same_folder_is_heard(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = await console(settings, QUICK_START)
    second = await console(settings, ["/join 王五", "李四-办公室: 大家好"])
    t = Catalogue().t
    # The newcomer of the second run is reminded: the run's updates are not taken for
    # repeats of the first run's c1, c2, ...
    assert any("@王五" in line and "真实姓名" in line for line in second), second
    assert any("@小明" in line for line in first)
    # The same nickname is the same member from run to run (the admin who only gave commands
    # too), and new members get new ids.
    third = await console(settings, ["/admin 管理员-办公室", "张三-党群工作部: 你好"])
    rejoin = t("notice.blacklisted_rejoin_admin", member="张三-党群工作部")
    assert any(rejoin in line for line in third), third
    assert any(line.startswith("🤖 [私信 → u1]") and rejoin in line for line in third), third


async def test_the_console_comes_with_simulated_supervisors(tmp_path: Path) -> None:
    out = await console(settings_for(tmp_path), ["张三-党群工作部: 加我微信带你赌博"])
    t = Catalogue().t
    supervisor = t("console_more.supervisor", tier=1)
    title = t("escalation.title", tier_name=supervisor, escalation_id=1)
    assert any(title in line for line in out), out
    assert any("/press wf:esc:1:ack" in line for line in out)
    pressed = await console(settings_for(tmp_path), ["/press wf:esc:1:ack"])
    # A press in a new run names a button this run never sent: one clear line.
    assert pressed[-1] == "! " + t("console_more.no_button", data="wf:esc:1:ack")


async def test_a_pressed_escalation_is_edited_to_say_who_answered_and_when(
    tmp_path: Path,
) -> None:
    lines = ["张三-党群工作部: 加我微信带你赌博", "/press wf:esc:1:ack", "/press wf:esc:1:lift"]
    out = await console(settings_for(tmp_path), lines)
    t = Catalogue().t
    assert any(t("escalation.pressed_ack") in line for line in out), out
    (edited,) = [line for line in out if line.startswith("🤖 [sup-1] ✎")]
    note = t(
        "words.pressed_by",
        who=t("console_more.supervisor", tier=1),
        choice=t("escalation.button_ack"),
        at="\0",
    )
    before, after = note.split("\0")  # the time is the run's own clock
    assert before in edited and edited.endswith(after) and "CST" in edited
    assert "/press" not in edited  # the buttons are gone
    assert out[-1] == "! " + t("console_more.no_button", data="wf:esc:1:lift")


async def test_start_up_says_which_tier_has_nobody(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, escalation={"tiers": {1: [{"platform": "telegram", "chat_id": "1"}]}}
    )
    out = await console(settings, [])
    assert Catalogue().t("words.tier_unstaffed", tiers="2") not in out  # the console staffs 2
    assert settings.unstaffed_tiers() == [2]


async def test_the_console_shows_message_numbers_and_replies_by_number(tmp_path: Path) -> None:
    out = await console(
        settings_for(tmp_path),
        ["/admin 管理员-办公室", "李四-办公室: 今天下午开会", "管理员-办公室: /warn #1 跑题"],
    )
    t = Catalogue().t
    assert t("console_more.message_number", id="1") in out
    assert t("console.banner", chat="console-group") in out and "#N" in out[0]
    assert any("@李四-办公室" in line and "跑题" in line for line in out), out


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_consoles_own_errors_speak_the_configured_language(
    tmp_path: Path, language: str
) -> None:
    out = await console(settings_for(tmp_path, language=language), ["hello", "/tick zz"])
    t = Catalogue(language).t
    assert "! " + t("console_more.bad_line") in out
    assert "! " + t("console_more.bad_tick", value="zz") in out


# ---------------------------------------------------------------- one message, one outcome
@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(sqlite_url)
    yield harness
    await harness.close()


async def test_gambling_with_an_id_number_is_one_outcome_without_a_warning(h: Harness) -> None:
    (handled,) = (await h.say("张三-党群工作部: 带你赌博，张三身份证 11010519491231002X"))[-1:]
    assert {d.category for d in handled.decisions} >= {"illegal", "privacy"}
    t = h.app.catalogue.t
    group = h.sent_to("console-group")
    assert t("notice.blacklisted", member="张三-党群工作部", reason=t("category.illegal")) in group
    assert not [x for x in group if t("action.warn") in x], group  # no 群内警告 after it
    assert [c[0] for c in h.adapter.calls].count("delete_message") == 1
    privacy = next(d for d in handled.decisions if d.category == "privacy")
    assert privacy.counts_as_offence and privacy.actions == ()  # on record, not acted twice


async def test_a_blacklisted_member_posting_illegal_content_is_banned_once(h: Harness) -> None:
    await h.say("张三-党群工作部: 加我微信带你赌博")  # blacklisted
    h.adapter.calls.clear()
    h.adapter.sent.clear()
    await h.record({"type": "message", "user": "张三-党群工作部", "text": "加我微信带你赌博"})
    kinds = [c[0] for c in h.adapter.calls]
    assert kinds.count("ban") == 1 and kinds.count("delete_message") == 1, kinds


async def test_a_raid_does_not_post_every_blacklisting_in_the_group(h: Harness) -> None:
    for n in range(8):
        await h.say(f"路人{n}-外部: 加我微信带你赌博")
    t = h.app.catalogue.t
    group = h.sent_to("console-group")
    notices = [x for x in group if x.endswith(f"（{t('category.illegal')}）。")]
    assert len(notices) == 3, group
    assert sum(c[0] == "ban" for c in h.adapter.calls) == 8  # every one is still acted on
    rows = [r for r in await h.audit(category="illegal") if r["kind"] == "blacklist"]
    assert sum("withheld" in (r["detail"] or "") for r in rows) == 5
    raid = t("words.raid_admin")
    assert sum(raid in text for _, text in h.adapter.sent) == 1
