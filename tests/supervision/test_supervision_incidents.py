"""Public-opinion incidents on the console pipeline: opened by an admin's /incident reply or
automatically on a risk signal, walked through every stage, reaching the right tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_harness import Harness, make_harness

from bot.workflows.incident import records
from rules.opinion import OpinionLexicon
from storage import journal

TIER1, TIER2 = "tier1-分管负责人", "tier2-网信办"


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(sqlite_url)
    yield harness
    await harness.close()


@pytest.fixture
async def hdb(db_url: str):  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL."""
    harness = await make_harness(db_url)
    yield harness
    await harness.close()


async def incident(h: Harness, incident_id: int) -> records.IncidentRow:
    found = await h.app.store.read(lambda r: records.get(r, incident_id))
    assert found is not None
    return found


async def steps(h: Harness, incident_id: int) -> list[records.StepRow]:
    return await h.app.store.read(lambda r: records.steps(r, incident_id))


async def test_an_incident_walks_every_stage_and_reaches_the_right_tiers(hdb: Harness) -> None:
    h = hdb
    await h.say("/admin 管理员-办公室")
    await h.record(
        {"type": "message", "user": "李明-财务科", "text": "这个月补贴又没发", "id": "m1"}
    )
    (handled,) = await h.record(
        {
            "type": "command",
            "user": "管理员-办公室",
            "text": "/incident 群内反映补贴问题",
            "reply_to": "m1",
        }
    )
    assert "#1" in handled.replies[0]
    opened = await incident(h, 1)
    assert (opened.stage, opened.source, opened.user_id, opened.major) == (
        "record",
        "admin",
        "u2",
        False,
    )
    assert len(h.sent_to(TIER1)) == 1 and "舆情事件 #1" in h.sent_to(TIER1)[0]
    assert h.sent_to(TIER2) == []  # not major: the cyberspace office is not involved

    async def say(text: str) -> str:
        (done,) = await h.say(f"管理员-办公室: {text}")
        return done.replies[0]

    assert "下一步应为“分析研判”" in await say("/incident 1 确认 还没分析")  # out of order
    assert "分析研判" in await say("/incident 1 分析 多人转发，影响较大")
    assert "备注已记录" in await say("/incident 1 备注 已联系财务科")  # nobody is told
    assert len(h.sent_to(TIER1)) == 1
    assert "确认事实" in await say("/incident 1 确认 核实：补贴延迟一周发放")
    assert "处置意见" in await say("/incident 1 处置 直接处理")  # needs a proposal first
    assert "分管主任" in await say("/incident 1 意见 财务科说明原因并公布发放时间")
    assert len(h.sent_to(TIER1)) == 2 and "财务科说明原因" in h.sent_to(TIER1)[-1]
    assert "妥善处理" in await say("/incident 1 处置 已在群内说明")
    assert "网信办" in await say("/incident 1 重大")
    assert len(h.sent_to(TIER2)) == 1 and "重大舆情风险" in h.sent_to(TIER2)[0]
    assert "报告" in await say("/incident 1 报告 事件已平息")
    assert len(h.sent_to(TIER1)) == 3 and len(h.sent_to(TIER2)) == 2  # the report, to both
    closed = await incident(h, 1)
    assert closed.closed_at is not None and closed.stage == "report" and closed.major
    walked = await steps(h, 1)
    assert [s.stage for s in walked] == [
        "record",
        "analyse",
        "analyse",
        "confirm",
        "confirm",
        "handle",
        "handle",
        "report",
    ]
    assert all(s.actor == "u1" for s in walked) and walked[3].note == "核实：补贴延迟一周发放"
    assert "已结案" in await say("/incident 1 报告 again")
    notices = await h.audit(category="incident")
    assert [r["outcome"] for r in notices] == ["done"] * 4  # opened, proposal, major, report
    assert notices[-1]["notified"] == [f"console:{TIER1}", f"console:{TIER2}"]
    assert await h.app.store.read(lambda r: journal.verify(r.c)) is None


async def test_only_admins_handle_incidents_and_refusals_are_journaled(h: Harness) -> None:
    *_, handled = await h.say("李明-财务科: /incident 有人要去上访")
    assert "/incident" in handled.replies[0] and "权限" in handled.replies[0]
    assert await h.app.store.read(lambda r: records.listing(r)) == []
    refused = [r for r in await h.audit(category="command") if r["outcome"] == "refused"]
    assert refused and refused[0]["kind"] == "command:incident"
    await h.say("/admin 管理员-办公室")
    await h.say("管理员-办公室: /incident 群内有人扬言上访")
    (early,) = await h.say("管理员-办公室: /incident 1 报告 太早")
    assert "分析研判" in early.replies[0]
    refused = [r for r in await h.audit(category="command") if r["outcome"] == "refused"]
    assert len(refused) == 2  # the step out of order is journaled too
    (helped,) = await h.say("管理员-办公室: /help")
    assert "/incident" in helped.replies[0]


async def test_a_risk_signal_opens_an_incident_explained_and_major_goes_to_tier_2(
    h: Harness,
) -> None:
    await h.say("李明-财务科: 明天大家一起去街道办门口讨说法")
    opened = await incident(h, 1)
    assert opened.source == "auto" and opened.major
    assert opened.signals[0]["kind"] == "gathering"
    text = h.sent_to(TIER2)[0]
    assert "“一起去”与“门口”同现" in text and "重大舆情风险" in text
    assert len(h.sent_to(TIER1)) == 1
    # A further signal in the same group within the hour joins the open incident.
    await h.say("王芳-民政科: 再不解决我就发到网上曝光")
    assert len(await h.app.store.read(lambda r: records.listing(r))) == 1
    assert len(await steps(h, 1)) == 2


async def test_a_later_signal_that_makes_an_incident_major_goes_to_tier_2_only(
    h: Harness,
) -> None:
    await h.say("李明-财务科: 再不解决我就发到网上曝光")
    assert len(h.sent_to(TIER1)) == 1 and h.sent_to(TIER2) == []
    await h.say("王芳-民政科: 明天大家一起去街道办门口讨说法")
    assert (await incident(h, 1)).major
    assert len(h.sent_to(TIER1)) == 1 and len(h.sent_to(TIER2)) == 1
    assert "讨说法" in h.sent_to(TIER2)[0]


def test_the_lexicon_explains_its_hits_and_leaves_ordinary_talk_alone() -> None:
    lexicon = OpinionLexicon.load()
    for text in (
        "今天的新闻曝光了一家黑作坊",
        "请把通知转发给居民",
        "我去发朋友圈了",
        "记者节快乐",
    ):
        assert lexicon.scan(text) == [], text
    (hit,) = lexicon.scan("听说要裁员了，大家赶紧转发，传出去")
    assert (hit.kind, hit.term, hit.cue) == ("mass_forward", "转发", "听说")
    (hit,) = lexicon.scan("不给说法就发 微博 曝光")
    assert hit.kind == "going_public"


def test_the_command_line_opens_walks_lists_shows_and_exports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import json

    from click.testing import CliRunner

    from bot.cli import main
    from storage.store import Store

    db = tmp_path / "gg.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{db}\n"
        "groups:\n  - {platform: console, chat_id: g1, name: 社区服务群, unit: 社区工作站}\n",
        encoding="utf-8",
    )

    async def create() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{db}")
        await store.close()

    asyncio.run(create())

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, [args[0], args[1], "-c", str(config), *args[2:]])

    opened = run(
        "incident",
        "open",
        "--group",
        "g1",
        "--summary",
        "居民称要找记者 13812345678",
        "--by",
        "张主任",
    )
    assert opened.exit_code == 0 and "#1" in opened.output
    for step, note in (("analyse", "研判"), ("confirm", "属实"), ("proposal", "上门解释")):
        done = run("incident", "advance", "1", step, "--note", note, "--by", "张主任")
        assert done.exit_code == 0, done.output
    early = run("incident", "advance", "1", "report", "--by", "张主任")
    assert early.exit_code == 1 and "妥善处理" in early.output
    listed = run("incident", "list")
    assert "社区服务群" in listed.output and "确认事实" in listed.output
    shown = run("incident", "show", "1")
    assert "上门解释" in shown.output and "张主任" in shown.output
    exported = json.loads(run("incident", "export", "1").output)
    assert exported[0]["summary"].endswith("138****5678")  # masked
    assert [s["stage"] for s in exported[0]["steps"]] == ["record", "analyse", "confirm", "confirm"]
    assert exported[0]["steps"][1]["by"] == "张**"

    # Notices are left for the running bot: timer rows, one per step that tells a tier.
    async def timers() -> list[str]:
        store = await Store.open(f"sqlite+aiosqlite:///{db}", migrate=False)
        try:
            return [t.kind for t in await store.read(lambda r: r.armed_timers())]
        finally:
            await store.close()

    assert asyncio.run(timers()) == ["incident_tell", "incident_tell"]


async def test_notices_left_by_the_command_line_are_sent_by_the_bot(h: Harness) -> None:
    from bot.workflows.incident.desk import IncidentDesk

    await h.say("李明-财务科: 今天开会")
    offline = IncidentDesk(h.app.settings, h.app.store, h.clock, h.app.catalogue)
    result = await offline.open(
        platform="console",
        chat_id="console-group",
        source="cli",
        by="cli:张主任",
        summary="有人拉横幅",
    )
    assert result.ok and h.sent_to(TIER1) == []
    await h.advance(timedelta(seconds=1))
    assert len(h.sent_to(TIER1)) == 1 and "有人拉横幅" in h.sent_to(TIER1)[0]
    notices = await h.audit(category="incident")
    assert notices[0]["notified"] == [f"console:{TIER1}"]
