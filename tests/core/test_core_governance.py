"""Governance as the regulations read (R2 Art.6-10, R1 Art.5, 14; REQUIREMENTS G1-G7), on the
console adapter: filings run their approval chain, only each step's approver may decide, and
the lifecycle reminders fire from persisted timers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from core_harness import Harness, make_harness

from storage.directory import DirectoryRepository
from storage.filings import FilingRepository

ROOT = Path(__file__).resolve().parents[2]
GROUP = "console-group"
# The people of the directory, with the console ids their members are given below.
PEOPLE = {
    "zhao": "赵六-党群工作部",  # group admin, fills in the form
    "lee": "李副主任-办公室",  # 分管主任 of 党群工作部
    "wang": "王主任-办公室",  # 主任
    "sun": "孙秘书-办公室",  # records the 主任办公会
    "qian": "钱工-信息技术部",  # 信息技术部 registrar
    "zhou": "周七-党群工作部",  # a new responsible person
}
DIRECTORY = {
    "units": [
        {
            "name": "北京办事处",
            "roles": {"director": "王主任", "office_meeting": "孙秘书", "registrar": "钱工"},
        },
        {"name": "党群工作部", "parent": "北京办事处", "roles": {"deputy_director": "李副主任"}},
        {"name": "信息技术部", "parent": "北京办事处"},
    ],
    "people": [
        {"name": name, "unit": unit, "accounts": [{"platform": "console", "user_id": uid}]}
        for name, unit, uid in (
            ("赵六", "党群工作部", "zhao"),
            ("李副主任", "北京办事处", "lee"),
            ("王主任", "北京办事处", "wang"),
            ("孙秘书", "北京办事处", "sun"),
            ("钱工", "信息技术部", "qian"),
            ("周七", "党群工作部", "zhou"),
        )
    ],
}
FORM = """/filing
使用部门：党群工作部
备案类别：创建
平台类别：控制台
群组名称：党群工作部工作群
群组负责人：赵六
成员范围：党群工作部全体职工
建群目的：部门内部工作交流、任务部署
备案事项说明：新建部门工作群"""


async def _harness(url: str, **extra: Any) -> Harness:
    settings: dict[str, Any] = {"directory": DIRECTORY}
    settings.update(extra)
    h = await make_harness(url, **settings)
    for user_id, nickname in PEOPLE.items():
        h.script._remember(user_id, nickname)
    h.adapter.chat(GROUP).admins.add("zhao")
    return h


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await _harness(sqlite_url)
    yield harness
    await harness.close()


@pytest.fixture
async def hdb(db_url: str):  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL."""
    harness = await _harness(db_url)
    yield harness
    await harness.close()


async def command(h: Harness, who: str, text: str, chat: str | None = None) -> list[str]:
    record: dict[str, Any] = {"type": "command", "user": PEOPLE.get(who, who), "text": text}
    if chat:
        record["chat"] = chat
    handled = await h.record(record)
    return [reply for x in handled for reply in x.replies]


async def press(h: Harness, who: str, filing_id: int, verb: str) -> str:
    handled = await h.record(
        {
            "type": "button",
            "user": PEOPLE[who],
            "data": f"wf:gov:{filing_id}:{verb}",
            "id": f"cb-{who}",
            "chat": who,
        }
    )
    return handled[-1].replies[0]


async def filing(h: Harness, filing_id: int = 1):  # type: ignore[no-untyped-def]
    return await h.app.store.read(lambda r: FilingRepository(r.c).get(filing_id))


async def registry(h: Harness, chat: str = GROUP):  # type: ignore[no-untyped-def]
    return await h.app.store.read(lambda r: DirectoryRepository(r.c).group("console", chat))


async def refusals(h: Harness) -> list[dict]:
    return [row for row in await h.audit() if row.get("outcome") == "refused"]


async def test_an_internal_filing_runs_the_three_step_chain(hdb: Harness) -> None:
    h = hdb
    replies = await command(h, "zhao", FORM)
    assert "分管主任审核 → 主任签批 → 报信息技术部备案" in replies[0]
    assert (await registry(h)).status == "pending"
    # Step 1 goes to the deputy director privately, with 通过/退回.
    assert any("第 1/3 步「分管主任审核」" in t for t in h.sent_to("lee"))
    assert "已通过" in await press(h, "lee", 1, "approve")
    assert any("第 2/3 步「主任签批」" in t for t in h.sent_to("wang"))
    assert "已通过" in await press(h, "wang", 1, "approve")
    assert any("第 3/3 步「报信息技术部备案」" in t for t in h.sent_to("qian"))
    await press(h, "qian", 1, "approve")
    done = await filing(h)
    assert done.status == "approved"
    assert (await registry(h)).status == "filed"
    assert any("已登记备案" in t for t in h.sent_to(GROUP))
    # Every step is on record with who and when; /filing shows it in words.
    steps = await h.app.store.read(lambda r: FilingRepository(r.c).steps(1))
    assert [(s.role, s.approver, s.decision) for s in steps] == [
        ("deputy_director", "李副主任", "approved"),
        ("director", "王主任", "approved"),
        ("registrar", "钱工", "approved"),
    ]
    status = (await command(h, "zhao", "/filing"))[0]
    assert "备案状态：已备案" in status and "✔ 主任签批：王主任 通过" in status
    kinds = [row["kind"] for row in await h.audit()]
    assert kinds.count("gov:step_approved") == 3


async def test_an_external_filing_needs_the_office_meeting(h: Harness) -> None:
    await command(h, "zhao", FORM + "\n群组性质：对外")
    await press(h, "lee", 1, "approve")
    assert (await filing(h)).steps[1] == "office_meeting"
    assert any("第 2/4 步「主任办公会讨论通过」" in t for t in h.sent_to("sun"))
    # The director cannot sign before the office meeting has passed it.
    assert "无权" in await press(h, "wang", 1, "approve")
    for who in ("sun", "wang", "qian"):
        await press(h, who, 1, "approve")
    assert (await filing(h)).status == "approved"


async def test_a_non_approver_pressing_approve_is_refused_and_journaled(h: Harness) -> None:
    await command(h, "zhao", FORM)
    answer = await press(h, "zhao", 1, "approve")  # the submitter, not the deputy director
    assert "不是本步「分管主任审核」的审批人" in answer
    assert (await filing(h)).step == 0
    refused = await refusals(h)
    assert refused and refused[-1]["kind"] == "button:wf:gov:1:approve"
    assert refused[-1]["actor"] == "zhao"


async def test_a_return_needs_a_reason_and_goes_back_to_the_submitter(h: Harness) -> None:
    await command(h, "zhao", FORM)
    assert "须写明理由" in (await command(h, "lee", "/reject 1"))[0]
    reply = (await command(h, "lee", "/reject 1 成员范围写得不清楚"))[0]
    assert "已退回" in reply
    assert (await filing(h)).status == "rejected"
    told = h.sent_to("private:zhao") + h.sent_to(GROUP)
    assert any("理由：成员范围写得不清楚" in t for t in told)
    assert (await registry(h)).status == "unfiled"


async def test_missing_fields_are_named_in_one_line(h: Harness) -> None:
    reply = await command(h, "zhao", "/filing\n使用部门：党群工作部\n群组名称：工作群")
    assert reply == ["备案表缺少：群组负责人、成员范围、建群目的。"]


async def test_fields_in_any_order_with_half_width_colons_on_one_line(h: Harness) -> None:
    text = (
        "/filing 群组名称: 工作群；使用部门: 党群工作部；群组负责人: 赵六；"
        "成员范围: 全体职工；建群目的: 工作交流"
    )
    assert "#1" in (await command(h, "zhao", text))[0]


async def test_a_temporary_group_of_sixteen_days_is_refused(h: Harness) -> None:
    reply = await command(h, "zhao", FORM + "\n使用期限：16天")
    assert "不得超过 15 天" in reply[0] and "本次为 16 天" in reply[0]
    assert await filing(h) is None
    reply = await command(h, "zhao", FORM + "\n使用期限：15天")
    assert "审批流程：使用部门填报 → 分管主任审核。" in reply[0]


async def test_a_temporary_group_is_reminded_then_reported_at_expiry(h: Harness) -> None:
    await command(h, "zhao", FORM + "\n使用期限：5天")
    await press(h, "lee", 1, "approve")  # the deputy director alone approves (R2 Art.10)
    group = await registry(h)
    assert (group.status, group.term) == ("approved", "temporary")
    await h.advance(timedelta(days=5))
    assert any("将于" in t and "到期" in t for t in h.sent_to("private:zhao"))
    await h.advance(timedelta(days=1))
    assert any("已于" in t and "注销" in t for t in h.sent_to("private:zhao"))
    assert not any("仍未注销" in t for t in h.sent_to("tier1-分管负责人"))
    await h.advance(timedelta(days=3))
    assert any("仍未注销" in t for t in h.sent_to("tier1-分管负责人"))


async def test_an_unfiled_groups_admins_are_told_once(h: Harness) -> None:
    other = "other-group"
    h.adapter.chat(other).admins.add("zhou")
    await h.record({"type": "message", "user": PEOPLE["zhou"], "text": "大家好", "chat": other})
    await h.record({"type": "message", "user": PEOPLE["zhou"], "text": "开会", "chat": other})
    told = [t for t in h.sent_to("private:zhou") if "尚未备案" in t]
    assert len(told) == 1 and "群组负责人：" in told[0]
    assert (await registry(h, other)).status == "unfiled"
    assert any(r["kind"] == "gov:unfiled_notice" for r in await h.audit())


async def test_a_hand_over_is_recorded_and_the_unit_told(h: Harness) -> None:
    await command(h, "zhao", FORM)
    for who in ("lee", "wang", "qian"):
        await press(h, who, 1, "approve")
    reply = await command(h, "zhao", f"/handover @{PEOPLE['zhou']}")
    assert reply == ["已记录交接：群组负责人 赵六 → 周七。"]
    assert (await registry(h)).responsible == "周七"
    rows = await h.app.store.read(lambda r: DirectoryRepository(r.c).handovers("console", GROUP))
    assert [(x.role, x.old, x.new, x.by) for x in rows] == [("responsible", "赵六", "周七", "zhao")]
    assert any("交接：赵六 → 周七" in t for t in h.sent_to("private:lee"))


async def test_a_change_filing_updates_the_registry(h: Harness) -> None:
    await command(h, "zhao", FORM)
    for who in ("lee", "wang", "qian"):
        await press(h, who, 1, "approve")
    await command(h, "zhao", "/filing\n备案类别：变更\n群组负责人：周七\n备案事项说明：负责人调岗")
    for who in ("lee", "wang", "qian"):
        await press(h, who, 2, "approve")
    assert (await registry(h)).responsible == "周七"
    rows = await h.app.store.read(lambda r: DirectoryRepository(r.c).handovers("console", GROUP))
    assert rows[-1].via == "filing:2"


async def test_an_inactive_group_is_reminded_then_service_stops(sqlite_url: str) -> None:
    h = await _harness(
        sqlite_url,
        groups=[
            {
                "platform": "console",
                "chat_id": GROUP,
                "name": "党群工作群",
                "unit": "党群工作部",
                "responsible": "赵六",
            }
        ],
    )
    try:
        await h.advance(timedelta(days=29))
        assert not any("无人发言" in t for t in h.sent_to("private:zhao"))
        await h.advance(timedelta(days=2))
        assert any("无人发言" in t for t in h.sent_to("private:zhao"))
        await h.advance(timedelta(days=7))
        assert (await registry(h)).status == "dissolved"
        assert any("停止服务" in t for t in h.sent_to("tier1-分管负责人"))
        handled = await h.record(
            {"type": "message", "user": "张三-党群工作部", "text": "加我微信带你赌博"}
        )
        assert all(not x.decisions for x in handled)
    finally:
        await h.close()


async def test_activity_after_the_reminder_keeps_the_group(sqlite_url: str) -> None:
    h = await _harness(
        sqlite_url,
        groups=[
            {"platform": "console", "chat_id": GROUP, "name": "党群工作群", "unit": "党群工作部"}
        ],
    )
    try:
        await h.advance(timedelta(days=31))
        h.clock.advance(timedelta(hours=2))
        await h.record({"type": "message", "user": PEOPLE["zhao"], "text": "还在用"})
        await h.advance(timedelta(days=8))
        assert (await registry(h)).status == "filed"
    finally:
        await h.close()


async def test_step_reminders_survive_a_restart(sqlite_url: str) -> None:
    h = await _harness(sqlite_url)
    await command(h, "zhao", FORM)
    before = len(h.sent_to("lee"))
    await h.close()
    h = await _harness(sqlite_url)
    h.clock.set(h.clock.now())
    try:
        await h.advance(timedelta(days=2, minutes=1))
        assert any("仍待您审批" in t for t in h.sent_to("lee"))
        assert before == 1
        await h.advance(timedelta(days=2))
        assert any("已等待" in t for t in h.sent_to("private:wang"))  # escalated to the director
    finally:
        await h.close()


async def test_approve_as_text_command_for_button_less_platforms(h: Harness) -> None:
    await command(h, "zhao", FORM)
    assert "/approve <备案编号>" in (await command(h, "lee", "/approve x"))[0]
    assert "已通过" in (await command(h, "lee", "/approve 1"))[0]
    assert (await filing(h)).step == 1


async def test_seeded_groups_and_directory_come_from_config(sqlite_url: str) -> None:
    h = await _harness(
        sqlite_url,
        groups=[
            {
                "platform": "console",
                "chat_id": GROUP,
                "name": "党群工作群",
                "unit": "党群工作部",
                "responsible": "赵六",
                "class": "external",
                "admins": ["zhao"],
            }
        ],
    )
    try:
        group = await registry(h)
        assert (group.name, group.unit, group.group_class, group.status) == (
            "党群工作群",
            "党群工作部",
            "external",
            "filed",
        )
        holder = await h.app.governance.directory.holder("director", "党群工作部")
        assert holder is not None and holder.person.name == "王主任"
    finally:
        await h.close()


def test_the_example_config_documents_every_governance_key() -> None:
    from pathlib import Path

    import yaml

    from bot.config import GroupSettings
    from bot.governance_settings import GovernanceSettings, PersonSettings, UnitSettings

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "config.example.yaml").read_text(encoding="utf-8"))
    assert set(data["governance"]) == set(GovernanceSettings.model_fields)
    assert set(data["directory"]["units"][0]) == set(UnitSettings.model_fields)
    assert set(data["directory"]["people"][0]) == set(PersonSettings.model_fields)
    documented = set(data["groups"][0])
    assert {f.alias or name for name, f in GroupSettings.model_fields.items()} == documented


def test_the_command_line_files_approves_and_exports(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import yaml
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from bot.cli import main

    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"},
                "directory": DIRECTORY,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.delenv("GROUPGUARD_DATABASE_URL", raising=False)
    runner = CliRunner()
    blank = tmp_path / "blank.xlsx"
    assert runner.invoke(main, ["filing", "template", "-o", str(blank)]).exit_code == 0
    book = load_workbook(blank)
    labels = [row[0].value for row in book.active.iter_rows(min_row=2)]
    assert labels[:9] == [
        "使用部门",
        "备案日期",
        "备案类别",
        "平台类别",
        "群组名称",
        "群组负责人",
        "成员范围",
        "建群目的",
        "备案事项说明",
    ]
    for row in book.active.iter_rows(min_row=2):
        row[1].value = {
            "使用部门": "党群工作部",
            "备案类别": "创建",
            "平台类别": "微信",
            "群组名称": "党群工作部工作群",
            "群组负责人": "赵六",
            "成员范围": "部门职工",
            "建群目的": "工作交流",
            "群组ID": "123@chatroom",
        }.get(row[0].value)
    book.save(blank)
    c = ["-c", str(config)]
    submitted = runner.invoke(main, ["filing", "submit", *c, str(blank), "--by", "赵六"])
    assert "已收到创建备案 #1" in submitted.output, submitted.output
    refused = runner.invoke(main, ["filing", "approve", *c, "1", "--as", "王主任"])
    assert refused.exit_code == 1 and "无权" in refused.output
    for name in ("李副主任", "王主任", "钱工"):
        assert runner.invoke(main, ["filing", "approve", *c, "1", "--as", name]).exit_code == 0
    listed = runner.invoke(main, ["registry", "list", *c, "--status", "filed"])
    assert "党群工作部工作群" in listed.output
    out = tmp_path / "备案表.xlsx"
    assert (
        runner.invoke(main, ["filing", "export", *c, "--format", "xlsx", "-o", str(out)]).exit_code
        == 0
    )
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "使用部门", "备案日期", "备案类别")
    assert rows[1][1] == "党群工作部" and rows[1][3] == "创建" and "钱工 通过" in rows[1][15]


async def test_escalations_and_status_show_the_registered_name_and_unit(sqlite_url: str) -> None:
    h = await _harness(
        sqlite_url,
        groups=[
            {
                "platform": "console",
                "chat_id": GROUP,
                "name": "党群工作群",
                "unit": "党群工作部",
                "responsible": "赵六",
            }
        ],
    )
    try:
        await h.record({"type": "message", "user": "张三-党群工作部", "text": "加我微信带你赌博"})
        assert any("党群工作群（党群工作部）" in t for t in h.sent_to("tier1-分管负责人"))
        status = (await command(h, "zhao", "/status"))[0]
        assert "群组登记：党群工作群" in status and "备案状态：已备案" in status
    finally:
        await h.close()


def test_external_groups_get_their_class_policy() -> None:
    from datetime import timedelta as td

    from bot.config import Settings

    settings = Settings.model_validate(
        {
            "governance": {"class_policy": {"external": {"nickname": {"grace_period": "12h"}}}},
            "groups": [
                {"platform": "console", "chat_id": "a", "class": "external"},
                {"platform": "console", "chat_id": "b"},
                {
                    "platform": "console",
                    "chat_id": "c",
                    "class": "external",
                    "policy": {"nickname": {"grace_period": "6h"}},
                },
            ],
        }
    )
    assert settings.policy_for("console", "a").nickname.grace_period == td(hours=12)
    assert settings.policy_for("console", "b").nickname.grace_period == td(hours=24)
    assert settings.policy_for("console", "c").nickname.grace_period == td(hours=6)


async def test_the_example_transcript_files_a_group_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.config import load_settings
    from bot.console_runner import replay

    root = ROOT
    settings = load_settings(root / "examples" / "governance.yaml")
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    settings = settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": url})}
    )
    lines: list[str] = []
    stats = await replay(settings, root / "examples" / "governance.jsonl", lines.append)
    out = "\n".join(lines)
    assert stats["errors"] == 0
    assert "无权处理" in out  # the submitter's own press is refused
    assert "「党群工作部工作群」已登记备案" in out
    assert "本次为 16 天" in out
    assert "赵六 → 周七" in out
    assert "无人发言" in out and "停止服务" in out


async def test_an_approver_asks_what_awaits_them(h: Harness) -> None:
    await command(h, "zhao", FORM)
    other = "other-group"
    await h.record({"type": "message", "user": PEOPLE["zhou"], "text": "大家好", "chat": other})
    listing = (await command(h, "lee", "/filings"))[0]
    assert "备案 #1「党群工作部工作群」（党群工作部）：分管主任审核" in listing
    assert "未备案群组" in listing and other in listing
    assert "备案 #1" not in (await command(h, "wang", "/filings"))[0]  # not at his step yet
    assert "没有待您审批" in (await command(h, "zhou", "/filings"))[0]


async def test_an_approver_out_of_private_reach_is_asked_in_the_group(sqlite_url: str) -> None:
    directory = {
        **DIRECTORY,
        "people": [
            {**p, "accounts": []} if p["name"] == "李副主任" else p for p in DIRECTORY["people"]
        ],
    }
    h = await _harness(sqlite_url, directory=directory)
    try:
        await command(h, "zhao", FORM)
        assert any("@李副主任 无法私信联系到您" in t for t in h.sent_to(GROUP))
    finally:
        await h.close()
