"""Members as the regulations read (R1 Art.4, 14; R2 Art.11-12, 15; REQUIREMENTS M3-M6, A7,
A8), on the console adapter: the roster, strangers and invitations flagged with a decision on
record, the member cap, departures, the member audit, tasks and lost accounts."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from core_harness import Harness, make_harness
from openpyxl import Workbook, load_workbook

from bot.workflows.members.roster_file import RosterFileError, parse_rows, read_roster
from bot.workflows.members.roster_import import import_roster
from storage.roster import RosterRepository
from storage.tasks import TaskRepository

GROUP = "console-group"
ADMIN = ("zhao", "赵六-党群工作部")  # the group's admin and its responsible person
DIRECTORY = {
    "units": [
        {"name": "北京办事处"},
        {"name": "党群工作部", "parent": "北京办事处"},
        {"name": "信息技术部", "parent": "北京办事处"},
    ],
    "people": [
        {
            "name": "赵六",
            "unit": "党群工作部",
            "accounts": [{"platform": "console", "user_id": "zhao"}],
        },
    ],
}
GROUPS = [
    {
        "platform": "console",
        "chat_id": GROUP,
        "name": "党群工作部工作群",
        "unit": "党群工作部",
        "responsible": "赵六",
    }
]
ROSTER = [
    ["姓名", "单位", "部门", "职务", "手机", "console", "状态"],
    ["张三", "党群工作部", "", "科员", "13812345678", "", "在岗"],
    ["李四", "党群工作部", "宣传科", "", "", "u-li", "在岗"],
    ["钱七", "信息技术部", "", "", "", "", "在岗"],
    ["孙八", "党群工作部", "", "", "", "u-sun", "在岗"],
]


async def load_roster(h: Harness, rows: list[list[str]] = ROSTER) -> None:
    await import_roster(h.app.store, parse_rows(rows), h.clock.now())


async def _harness(url: str, **extra: Any) -> Harness:
    settings: dict[str, Any] = {"directory": DIRECTORY, "groups": GROUPS}
    settings.update(extra)
    h = await make_harness(url, **settings)
    h.script._remember(*ADMIN)
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


async def join(h: Harness, nickname: str, user_id: str, invited_by: str | None = None) -> None:
    record: dict[str, Any] = {"type": "join", "user": nickname, "id": user_id}
    if invited_by:
        record["invited_by"] = invited_by
    await h.record(record)


async def command(h: Harness, who: str, text: str, **extra: Any) -> list[str]:
    handled = await h.record({"type": "command", "user": who, "text": text, **extra})
    return [reply for x in handled for reply in x.replies]


async def press(h: Harness, who: str, data: str) -> str:
    handled = await h.record({"type": "button", "user": who, "data": data, "id": "cb-1"})
    return handled[-1].replies[0]


async def kinds(h: Harness) -> list[str]:
    return [row["kind"] for row in await h.audit()]


# ---------------------------------------------------------------------- roster files


def test_a_roster_csv_is_read_with_row_numbers_and_masked_phones(tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text(
        "姓名,单位,部门,职务,手机,telegram,状态\n"
        "张三,党群工作部,,科员,138-1234-5678,10001,在岗\n"
        ",党群工作部,,,,,\n"
        "李四,党群工作部,宣传科,,,abc,在岗\n"
        "王五,党群工作部,,,,,退休\n"
        "\n"
        "赵六,信息技术部,,,,,调离\n",
        encoding="gb18030",  # as Excel on a Chinese Windows saves it
    )
    parsed = read_roster(path)
    assert [(n, p.name, p.phone_masked, p.accounts) for n, p in parsed.people] == [
        (2, "张三", "138****5678", (("telegram", "10001"),)),
        (7, "赵六", None, ()),
    ]
    assert parsed.people[1][1].status == "transferred"
    assert [(r.row, r.key) for r in parsed.rejected] == [
        (3, "members.row_no_name"),
        (4, "members.row_bad_account"),
        (5, "members.row_bad_status"),
    ]


def test_roster_files_that_cannot_be_imported_say_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text("姓名,职务\n张三,科员\n", encoding="utf-8")
    with pytest.raises(RosterFileError) as exc:
        read_roster(missing)
    assert exc.value.key == "members.file_missing_columns"
    assert exc.value.params["columns"] == "单位、部门"
    duplicate = [["姓名", "单位", "部门"], ["张三", "党群工作部", ""], ["张三", "党群工作部", ""]]
    with pytest.raises(RosterFileError) as exc:
        parse_rows(duplicate)
    assert exc.value.key == "members.file_duplicate_person"
    assert (exc.value.params["first"], exc.value.params["second"]) == (2, 3)
    same_account = [
        ["姓名", "单位", "部门", "telegram"],
        ["张三", "党群工作部", "", "10001"],
        ["李四", "党群工作部", "", "10001"],
    ]
    with pytest.raises(RosterFileError, match="duplicate_account"):
        parse_rows(same_account)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RosterFileError) as exc:
        read_roster(broken)
    assert exc.value.key == "members.file_bad_xlsx"
    with pytest.raises(RosterFileError, match="suffix"):
        read_roster(tmp_path / "名册.txt")


def test_a_roster_xlsx_with_numbers_typed_as_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([])  # a blank first row: the header is the first row with text
    sheet.append(["姓名", "单位", "部门", "手机", "Telegram", "状态"])
    sheet.append(["张三", "党群工作部", None, 13812345678, 10001, "在岗"])
    path = tmp_path / "名册.xlsx"
    book.save(path)
    ((number, person),) = read_roster(path).people
    assert number == 3
    assert person.phone_masked == "138****5678" and person.accounts == (("telegram", "10001"),)


async def test_import_adds_then_updates_and_a_failure_leaves_nothing_half_imported(
    hdb: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = hdb
    rows = [["姓名", "单位", "部门", "职务", "状态"], ["张三", "党群工作部", "", "科员", "在岗"]]
    first = await import_roster(h.app.store, parse_rows(rows), h.clock.now())
    assert [i.person.name for i in first.added] == ["张三"]
    rows[1][3] = "副科长"
    rows.append(["李四", "党群工作部", "", "", "在岗"])
    second = await import_roster(h.app.store, parse_rows(rows), h.clock.now())
    assert [(i.person.name, i.changed) for i in second.changed] == [("张三", ("title",))]
    assert [i.person.name for i in second.added] == ["李四"]

    calls = 0
    original = RosterRepository.apply

    async def failing(self: RosterRepository, person: Any, at: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return await original(self, person, at)

    monkeypatch.setattr(RosterRepository, "apply", failing)
    rows.append(["王五", "党群工作部", "", "", "在岗"])
    rows[1][3] = "科长"
    with pytest.raises(RuntimeError):
        await import_roster(h.app.store, parse_rows(rows), h.clock.now())
    entries = await h.app.store.read(lambda r: RosterRepository(r.c).entries())
    assert [(e.name, e.title) for e in entries] == [("张三", "副科长"), ("李四", None)]


def test_the_cli_prints_added_changed_rejected_and_refuses_a_bad_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'gg.db'}\n")
    roster = tmp_path / "名册.csv"
    roster.write_text("姓名,单位,部门,状态\n张三,党群工作部,,在岗\n李四,,,在岗\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["roster", "import", "-c", str(config), str(roster)])
    assert result.exit_code == 0, result.output
    assert "新增 1 人" in result.output and "拒绝 1 行" in result.output
    assert "第 3 行：单位为空" in result.output
    roster.write_text("姓名,单位,部门,状态\n张三,党群工作部,,调离\n", encoding="utf-8")
    result = runner.invoke(main, ["roster", "import", "-c", str(config), str(roster)])
    assert "第 2 行 张三（党群工作部）：状态" in result.output
    assert "1 人在本次导入中标为调离/离职" in result.output
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"garbage")
    result = runner.invoke(main, ["roster", "import", "-c", str(config), str(bad)])
    assert result.exit_code == 1
    assert "无法读取 xlsx 文件" in result.output and "数据库未作任何改动" in result.output
    listing = runner.invoke(main, ["roster", "list", "-c", str(config)])
    assert "张三　党群工作部　—　—　—　调离" in listing.output


# ---------------------------------------------------------------------- strangers


async def test_a_stranger_is_flagged_and_the_admin_who_keeps_them_is_on_record(h: Harness) -> None:
    await load_roster(h)
    await join(h, "陌生人-某公司", "u-x")
    flags = h.sent_to("zhao")
    assert flags and "【无关人员 #1】陌生人-某公司" in flags[-1]
    # A non-admin cannot decide.
    await join(h, "张三-党群工作部", "u-zhang")
    assert "只有该群的管理员" in await press(h, "张三-党群工作部", "wf:mem:1:keep")
    assert "已确认保留" in await press(h, ADMIN[1], "wf:mem:1:keep")
    assert "已由其他管理员处理" in await press(h, ADMIN[1], "wf:mem:1:remove")
    rows = [r for r in await h.audit() if r["kind"] == "mem:flag_kept"]
    assert rows and rows[0]["actor"] == "zhao" and rows[0]["user_id"] == "u-x"
    # Kept means kept: a rename does not flag them again.
    await h.record({"type": "rename", "old": "陌生人-某公司", "new": "陌生人-另一公司"})
    assert len([t for t in h.sent_to("zhao") if "无关人员" in t]) == 1


async def test_remove_by_text_command_removes_the_member(h: Harness) -> None:
    await join(h, "路人甲", "u-y")
    assert not [t for t in h.sent_to("zhao") if "无关人员" in t]  # no roster yet: no flags
    await load_roster(h)
    await h.record({"type": "rename", "old": "路人甲", "new": "路人甲乙"})
    assert "u-y" in h.adapter.chat(GROUP).present
    replies = await command(h, ADMIN[1], "/remove 1")
    assert "已将 路人甲乙 移出" in replies[0]
    assert "u-y" not in h.adapter.chat(GROUP).present
    assert "mem:flag_removed" in await kinds(h) and "remove" in await kinds(h)


async def test_people_on_the_roster_are_matched_by_account_or_by_name_and_unit(
    h: Harness,
) -> None:
    await load_roster(h)
    await join(h, "小李", "u-li")  # by account, whatever the nickname
    await join(h, "张三-党群工作部", "u-zhang")  # by name and unit
    await join(h, "钱七（信息技术部）", "u-qian")
    assert not [t for t in h.sent_to("zhao") if "无关人员" in t]
    # The same name with another unit is not that person.
    await join(h, "张三-财务部", "u-other")
    assert any("张三-财务部" in t for t in h.sent_to("zhao"))


async def test_renaming_onto_the_roster_settles_the_flag(h: Harness) -> None:
    await load_roster(h)
    await join(h, "zs", "u-zhang")
    assert any("【无关人员 #1】zs" in t for t in h.sent_to("zhao"))
    await h.record({"type": "rename", "old": "zs", "new": "张三-党群工作部"})
    assert "mem:stranger_matched" in await kinds(h)
    assert "已由其他管理员处理" in await press(h, ADMIN[1], "wf:mem:1:remove")


async def test_external_groups_may_turn_stranger_flags_off(sqlite_url: str) -> None:
    groups = [{**GROUPS[0], "class": "external"}]
    h = await _harness(sqlite_url, groups=groups, members={"flag_strangers_external": False})
    try:
        await load_roster(h)
        await join(h, "社会公众", "u-p")
        assert not [t for t in h.sent_to("zhao") if "无关人员" in t]
    finally:
        await h.close()


async def test_an_invitation_by_someone_not_entitled_is_flagged(h: Harness) -> None:
    await load_roster(h)
    await join(h, "钱七-信息技术部", "u-qian")  # on the roster, but of another unit
    await join(h, "孙八-党群工作部", "u-sun")  # on the owning unit's roster
    await join(h, "客人甲-党群工作部", "u-g1", invited_by="钱七-信息技术部")
    invites = [t for t in h.sent_to("zhao") if "邀请核查" in t]
    assert len(invites) == 1 and "由 钱七-信息技术部 邀请" in invites[0]
    await join(h, "客人乙-党群工作部", "u-g2", invited_by="孙八-党群工作部")
    await join(h, "客人丙-党群工作部", "u-g3", invited_by=ADMIN[1])
    assert len([t for t in h.sent_to("zhao") if "邀请核查" in t]) == 1
    assert "mem:invite_flagged" in await kinds(h)


# ---------------------------------------------------------------------- cap, departures


async def test_a_join_beyond_the_cap_is_refused(sqlite_url: str) -> None:
    h = await _harness(sqlite_url, groups=[{**GROUPS[0], "member_cap": 2}])
    try:
        await load_roster(h)
        await join(h, "张三-党群工作部", "u-zhang")
        await join(h, "孙八-党群工作部", "u-sun")
        await join(h, "李四-党群工作部", "u-li")
        assert "u-li" not in h.adapter.chat(GROUP).present
        assert any("已达成员上限 2 人" in t for t in h.sent_to("private:zhao"))
        assert "mem:cap_refuse" in await kinds(h)
    finally:
        await h.close()


async def test_the_cap_can_be_report_only(sqlite_url: str) -> None:
    members = {"groups": [{"platform": "console", "chat_id": GROUP, "member_cap": 1}]}
    members["cap_action"] = "report"  # type: ignore[assignment]
    h = await _harness(sqlite_url, members=members)
    try:
        await load_roster(h)
        await join(h, "张三-党群工作部", "u-zhang")
        await join(h, "孙八-党群工作部", "u-sun")
        assert "u-sun" in h.adapter.chat(GROUP).present
        assert any("已超过上限 1 人" in t for t in h.sent_to("private:zhao"))
    finally:
        await h.close()


async def test_a_departure_is_journaled_and_the_owner_told_about_consent(h: Harness) -> None:
    await load_roster(h)
    await join(h, "张三-党群工作部", "u-zhang")
    await h.say("/leave 张三-党群工作部")
    told = h.sent_to("private:zhao")
    assert any(
        "张三-党群工作部 已退出「党群工作部工作群」" in t and "未记录群主同意" in t for t in told
    )
    rows = [r for r in await h.audit() if r["kind"] == "mem:left"]
    assert rows and rows[0]["user_id"] == "u-zhang" and rows[0]["article"] == "R2 Art.12"
    # With the owner's consent on record, the notice says so.
    await join(h, "孙八-党群工作部", "u-sun")
    assert "已记录群主同意" in (await command(h, ADMIN[1], "/consent @孙八-党群工作部"))[0]
    assert "没有使用" in (await command(h, "张三-党群工作部", "/consent @孙八-党群工作部"))[0]
    await h.say("/leave 孙八-党群工作部")
    last = h.sent_to("private:zhao")[-1]
    assert "孙八-党群工作部 已退出" in last and "记录群主同意" in last and "未记录" not in last


async def test_a_reimport_marking_someone_transferred_reminds_them_and_the_owner(
    h: Harness,
) -> None:
    await load_roster(h)
    await join(h, "孙八-党群工作部", "u-sun")
    moved = [list(r) for r in ROSTER]
    moved[4][6] = "调离"
    await load_roster(h, moved)
    await h.advance(timedelta(seconds=1))  # the running bot picks the import's timer up
    assert any("已调离" in t and "党群工作部工作群" in t for t in h.sent_to("private:u-sun"))
    assert any("孙八 已调离，但仍在「党群工作部工作群」" in t for t in h.sent_to("private:zhao"))


# ---------------------------------------------------------------------- the member audit


async def test_members_reports_to_the_admins_with_an_xlsx(hdb: Harness) -> None:
    h = hdb
    await load_roster(h)
    await join(h, "张三-党群工作部", "u-zhang")
    await join(h, "无名氏", "u-nn")
    await h.record({"type": "message", "user": "张三-党群工作部", "text": "收到"})
    await press(h, ADMIN[1], "wf:mem:1:keep")  # kept, but still not on the roster
    moved = [list(r) for r in ROSTER]
    moved[1][6] = "离职"
    await load_roster(h, moved)
    h.clock.advance(timedelta(days=31))
    await h.record({"type": "message", "user": "张三-党群工作部", "text": "好的"})
    replies = await command(h, ADMIN[1], "/members")
    assert "不在名册 1，未实名 1" in replies[0] and "调离/离职 1" in replies[0]
    report = [t for t in h.sent_to("private:zhao") if "【成员检查】" in t][-1]
    assert (
        "无名氏" in report
        and "离职" in report
        and "30 天以上未发言：1 人\n  · 无名氏（从未发言）" in report
    )
    ((where, name, data),) = h.adapter.files
    assert where == "zhao" and name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    findings = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert "不在名册" in findings and "调离/离职" in findings
    # Only admins may ask; the refusal is on record.
    assert "没有使用" in (await command(h, "张三-党群工作部", "/members"))[0]
    refused = [r for r in await h.audit() if r["kind"] == "command:members"]
    assert refused and refused[-1]["outcome"] == "refused"


async def test_the_audit_runs_monthly_from_a_persisted_timer(h: Harness) -> None:
    armed = await h.app.store.read(lambda r: r.armed_timers())
    (audit,) = [t for t in armed if t.kind == "mem_audit"]
    local = audit.due_at.astimezone(h.app.settings.zone)
    assert (local.day, local.hour, local.minute) == (1, 9, 0)
    h.clock.advance(audit.due_at - h.clock.now() + timedelta(minutes=1))
    await h.scheduler.tick()
    assert any("【成员检查】" in t for t in h.sent_to("private:zhao"))
    following = [
        t for t in await h.app.store.read(lambda r: r.armed_timers()) if t.kind == "mem_audit"
    ]
    assert following and following[0].due_at > audit.due_at + timedelta(days=27)


# ---------------------------------------------------------------------- tasks


async def test_a_task_is_assigned_reminded_done_and_listed(h: Harness) -> None:
    await load_roster(h)
    await join(h, "张三-党群工作部", "u-zhang")
    await join(h, "孙八-党群工作部", "u-sun")
    await command(h, ADMIN[1], "/task @张三-党群工作部 @孙八 3d 报送年度总结")
    announce = [t for t in h.sent_to(GROUP) if "【交办事项 #1】报送年度总结" in t]
    assert announce and "@张三-党群工作部 @孙八-党群工作部" in announce[0]
    assert any("交办事项 #1" in t for t in h.sent_to("private:u-zhang"))
    listing = (await command(h, ADMIN[1], "/tasks"))[0]
    assert "#1 报送年度总结" in listing and "完成 0/2" in listing
    assert "已记录" in await press(h, "张三-党群工作部", "wf:task:1:done")
    assert "不是交办给您的" in (await command(h, "陌生人", "/done 1"))[0]
    await h.advance(timedelta(days=2, hours=23))  # the reminder, 2 h before
    assert any("【交办提醒 #1】" in t and "孙八" in t for t in h.sent_to(GROUP))
    await h.advance(timedelta(hours=2))  # overdue: the owner is told
    assert any("【交办逾期 #1】" in t for t in h.sent_to("private:zhao"))
    await command(h, "孙八-党群工作部", "/done 1")
    task = await h.app.store.read(lambda r: TaskRepository(r.c).get(1))
    assert task.status == "done"
    assert {"mem:task_created", "mem:task_done", "mem:task_overdue", "mem:task_closed"} <= set(
        await kinds(h)
    )


async def test_a_task_with_an_unparseable_due_time_is_refused(h: Harness) -> None:
    await join(h, "张三-党群工作部", "u-zhang")
    replies = await command(h, ADMIN[1], "/task @张三-党群工作部 下个月吧 报送总结")
    assert "看不懂截止时间“下个月吧”" in replies[0]
    assert await h.app.store.read(lambda r: TaskRepository(r.c).get(1)) is None
    assert "用法" in replies[1] or "/task" in replies[1]
    # Not the owner nor an admin.
    assert "没有使用" in (await command(h, "张三-党群工作部", "/task @张三-党群工作部 3d 事项"))[0]


# ---------------------------------------------------------------------- lost accounts


async def test_a_lost_account_is_restricted_until_an_admin_confirms_recovery(h: Harness) -> None:
    await load_roster(h)
    await join(h, "张三-党群工作部", "u-zhang")
    await join(h, "张三-党群工作部（新号）", "u-zhang2")
    replies = await command(h, "张三-党群工作部（新号）", "/lost @张三-党群工作部")
    assert "已登记 张三-党群工作部 的账号丢失" in replies[0]
    assert "u-zhang" in h.adapter.chat(GROUP).muted_until
    assert any("【账号丢失】" in t for t in h.sent_to("private:zhao"))
    assert (
        "没有使用 /found"
        in (await command(h, "张三-党群工作部（新号）", "/found @张三-党群工作部"))[0]
    )
    replies = await command(h, ADMIN[1], "/found @张三-党群工作部")
    assert "已确认 张三-党群工作部 的账号找回" in replies[0]
    assert "u-zhang" not in h.adapter.chat(GROUP).muted_until
    assert {"mem:account_lost", "mem:account_found"} <= set(await kinds(h))


async def test_lost_by_a_non_member_is_refused_and_lending_is_a_violation(h: Harness) -> None:
    await join(h, "张三-党群工作部", "u-zhang")
    replies = await command(h, "外人", "/lost @张三-党群工作部")
    assert "只有本群成员" in replies[0]
    refused = [r for r in await h.audit() if r["kind"] == "mem:lost_refused"]
    assert refused and refused[0]["outcome"] == "refused"
    replies = await command(h, ADMIN[1], "/lost @张三-党群工作部 出借")
    assert "账号出借" in replies[0]
    offences = await h.app.store.read(
        lambda r: r.offence_counts("console", GROUP, "u-zhang", h.clock.now() - timedelta(days=1))
    )
    assert offences == {"account_lent": 1}
