"""Public-opinion incidents on the console pipeline: opened by an admin's /incident reply or
automatically on a risk signal, walked through every stage, reaching the right tiers."""

from __future__ import annotations

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


async def incident(h: Harness, incident_id: int) -> records.IncidentRow:
    found = await h.app.store.read(lambda r: records.get(r, incident_id))
    assert found is not None
    return found


async def steps(h: Harness, incident_id: int) -> list[records.StepRow]:
    return await h.app.store.read(lambda r: records.steps(r, incident_id))


async def test_an_incident_walks_every_stage_and_reaches_the_right_tiers(h: Harness) -> None:
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
        "confirm",
        "confirm",
        "handle",
        "handle",
        "report",
    ]
    assert all(s.actor == "u1" for s in walked) and walked[2].note == "核实：补贴延迟一周发放"
    assert "已结案" in await say("/incident 1 报告 again")
    notices = await h.audit(category="incident")
    assert [r["outcome"] for r in notices] == ["done"] * 4  # opened, proposal, major, report
    assert notices[-1]["notified"] == [f"console:{TIER1}", f"console:{TIER2}"]
    assert await h.app.store.read(lambda r: journal.verify(r.c)) is None


async def test_only_admins_handle_incidents_and_refusals_are_journaled(h: Harness) -> None:
    *_, handled = await h.say("李明-财务科: /incident 有人要去上访")
    assert "只有管理员" in handled.replies[0]
    assert await h.app.store.read(lambda r: records.listing(r)) == []
    refused = await h.audit(category="refused")
    assert refused and refused[0]["kind"] == "command:incident"


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
