"""The admins' review of the classifier's unsure band (issue 17, item 2): each admin of the
group is asked privately, with buttons 确认违规 / 误报 or text verbs; the first answer decides,
a confirmation punishes by the ladder and counts, a 误报 is recorded and touches nobody."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from core_harness import Harness, make_harness

from bot.ports import PlatformError

# A COLD dev comment the shipped model scores ~0.903: its review band (0.9–0.92).
UNSURE = "白人是上等人，黑人不是"
GROUP = "console-group"
ADMIN, ADMIN_2, MEMBER, BYSTANDER = "管理员-办公室", "书记-办公室", "李明-财务科", "王五-后勤科"


@pytest.fixture
async def h(sqlite_url: str):  # type: ignore[no-untyped-def]
    harness = await make_harness(sqlite_url, groups=[{"platform": "console", "chat_id": GROUP}])
    harness.lines = []  # type: ignore[attr-defined]
    harness.adapter.output = harness.lines.append  # type: ignore[attr-defined]
    await harness.say(f"/admin {ADMIN}")  # u1
    await harness.say(f"/admin {ADMIN_2}")  # u2
    yield harness
    await harness.close()


def press(data: str, by: str, chat: str = "private", callback: str = "cb") -> dict:
    return {"type": "button", "user": by, "chat": chat, "data": data, "id": callback}


async def offences(h: Harness, user_id: str) -> dict[str, int]:
    since = h.clock.now() - timedelta(days=1)
    return await h.app.store.read(lambda r: r.offence_counts("console", GROUP, user_id, since))


async def answers(h: Harness) -> list[dict]:
    return [r for r in await h.audit() if r["kind"] == "review_answer"]


async def refusals(h: Harness) -> list[str]:
    return [r["detail"] for r in await h.audit() if r["outcome"] == "refused"]


async def test_each_admin_is_asked_privately_with_buttons(h: Harness) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")
    assert h.adapter.calls == []  # nothing done to the member yet
    private = {where: text for where, text in h.adapter.sent if where.startswith("private:")}
    assert set(private) == {"private:u1", "private:u2"}
    assert all("待复核" in t and MEMBER in t and "/confirm" not in t for t in private.values())
    shown = [line for line in h.lines if "私信" in line]  # type: ignore[attr-defined]
    assert any(
        "[确认违规](/press wf:review:1:confirm)" in s and "[误报](/press wf:review:1:dismiss)" in s
        for s in shown
    )
    assert any("wf:review:2:confirm" in line for line in shown)
    assert not h.sent_to(GROUP)
    (row,) = [r for r in await h.audit() if r["kind"] == "review"]
    assert row["outcome"] == "done" and set(row["notified"]) == {"u1", "u2"}


async def test_confirm_applies_the_ladder_and_counts_as_an_offence(h: Harness) -> None:
    posted = (await h.say(f"{MEMBER}: {UNSURE}"))[-1]
    (handled,) = await h.record(press("wf:review:1:confirm", ADMIN))
    assert "确认违规" in handled.replies[0] and ADMIN in handled.replies[0]
    told = [t for where, t in h.adapter.sent if where == "private:u2"]
    assert len(told) == 2 and told[-1] == handled.replies[0]  # the other admin learns it
    assert len([w for w, _ in h.adapter.sent if w == "private:u1"]) == 1  # the decider not twice
    assert ("delete_message", GROUP, posted.event.message_id) in h.adapter.calls
    assert any(MEMBER in t for t in h.sent_to(GROUP))  # the ladder's warning
    assert h.sent_to("tier1-分管负责人")  # harmful's first step also escalates
    assert await offences(h, "u3") == {"harmful": 1}
    (answer,) = await answers(h)
    assert answer["outcome"] == "confirmed" and answer["actor"] == "u1"
    acted = [r for r in await h.audit() if r["rule"] == "review" and r["kind"] == "delete"]
    assert acted and acted[0]["actor"] == "u1" and acted[0]["user_id"] == "u3"


async def test_false_positive_is_recorded_and_the_member_untouched(h: Harness) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")
    (handled,) = await h.record(press("wf:review:2:dismiss", ADMIN_2))
    assert "误报" in handled.replies[0] and ADMIN_2 in handled.replies[0]
    assert h.adapter.calls == [] and not h.sent_to(GROUP)
    assert await offences(h, "u3") == {}
    (answer,) = await answers(h)
    assert (answer["outcome"], answer["user_id"], answer["category"]) == (
        "false_positive",
        "u3",
        "harmful",
    )


async def test_the_first_answer_decides_and_later_ones_are_told_who(h: Harness) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")
    await h.record(press("wf:review:1:dismiss", ADMIN))
    (later,) = await h.record(press("wf:review:2:confirm", ADMIN_2, callback="cb2"))
    assert "已由" in later.replies[0] and ADMIN in later.replies[0] and "误报" in later.replies[0]
    assert h.adapter.calls == [] and await offences(h, "u3") == {}
    assert await refusals(h) == ["already answered"]


async def test_the_member_a_non_admin_and_forged_ids_are_refused_and_journaled(
    h: Harness,
) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")
    await h.say(f"{BYSTANDER}: 收到")
    await h.say("/join 赵六")
    forged = [
        press("wf:review:1:confirm", MEMBER),  # the member concerned
        press("wf:review:1:confirm", MEMBER, chat=GROUP),
        press("wf:review:1:confirm", BYSTANDER),  # not an admin of the group
        press("wf:review:99:confirm", ADMIN),  # no such review
        press("wf:review:01:confirm", ADMIN),  # not canonical
        press("wf:review:1:ban", ADMIN),  # no such verb
    ]
    for record in forged:
        await h.record(record)
    assert h.adapter.calls == [] and await offences(h, "u3") == {}
    assert await refusals(h) == [
        "member concerned",
        "member concerned",
        "not an admin of the group",
        "no such review",
        "malformed",
        "malformed",
    ]
    assert not await answers(h)


async def test_an_escalation_id_is_not_a_review_nor_the_reverse(h: Harness) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")
    await h.record(press("wf:review:1:confirm", ADMIN))  # escalates: record 3 is tier 1
    await h.say(f"{BYSTANDER}: {UNSURE}")  # a new review, records 4 and 5
    await h.record(press("wf:review:3:dismiss", ADMIN_2))
    assert (await refusals(h))[-1] == "no such review"
    await h.record(press("wf:esc:4:fp", ADMIN_2))  # nor is a review an escalation
    assert (await refusals(h))[-1] == "no such"


async def test_rights_the_platform_cannot_confirm_are_refused(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await h.say(f"{MEMBER}: {UNSURE}")

    async def down(chat_id: str) -> list:
        raise PlatformError("transient", "admin list unavailable")

    monkeypatch.setattr(h.adapter, "get_admins", down)
    (handled,) = await h.record(press("wf:review:1:confirm", ADMIN))
    assert "无法" in handled.replies[0]
    assert await refusals(h) == ["admin rights unknown"] and h.adapter.calls == []


async def test_text_verbs_on_a_console_without_buttons(h: Harness) -> None:
    h.adapter.capabilities = replace(h.adapter.capabilities, buttons=False)  # type: ignore[misc]
    await h.say(f"{MEMBER}: {UNSURE}")
    notice = dict(h.adapter.sent)["private:u1"]
    assert "/confirm 1" in notice and "/dismiss 1" in notice
    assert not any("wf:review" in line for line in h.lines)  # type: ignore[attr-defined]
    await h.say(f"{ADMIN}: /confirm")
    assert "/confirm <复核编号>" in h.sent_to(GROUP)[-1]
    await h.say(f"{ADMIN}: /dismiss 1")
    assert "误报" in h.sent_to(GROUP)[-1]
    await h.say(f"{ADMIN_2}: /confirm 2")
    assert "已由" in h.sent_to(GROUP)[-1]
    assert not any(c[0] == "delete_message" for c in h.adapter.calls)
    assert [a["outcome"] for a in await answers(h)] == ["false_positive"]


async def test_with_no_admin_reachable_privately_the_group_is_asked_and_told_why(
    sqlite_url: str,
) -> None:
    h = await make_harness(sqlite_url, groups=[{"platform": "console", "chat_id": GROUP}])
    try:
        await h.say(f"{MEMBER}: {UNSURE}")
        (notice,) = h.sent_to(GROUP)
        assert "待复核" in notice and "无法私信" in notice
        (row,) = [r for r in await h.audit() if r["kind"] == "review"]
        assert row["outcome"] == "fallback" and row["notified"] == [f"group:{GROUP}"]
    finally:
        await h.close()


async def test_a_sure_leak_guess_is_held_down_while_the_admins_decide(h: Harness) -> None:
    # The work-chat model names 涉密 for a request to pass meeting papers outside, with a score
    # above the acting line. A 涉密 guess must not blacklist or escalate by itself, but the
    # message does not stay up meanwhile: it is held (taken down), and the admins decide.
    leak = "那个会议的材料你拍给我，我转给外面的朋友参考一下"
    posted = (await h.say(f"{MEMBER}: {leak}"))[-1]
    assert h.adapter.calls == [("delete_message", GROUP, posted.event.message_id)]
    assert not h.sent_to(GROUP) and await offences(h, "u3") == {}  # no warning, no offence
    private = [t for where, t in h.adapter.sent if where == "private:u1"]
    assert len(private) == 1 and "已先行撤回" in private[0] and MEMBER in private[0]
    (handled,) = await h.record(press("wf:review:1:confirm", ADMIN))
    assert "确认违规" in handled.replies[0]
    # The ladder's step without a second delete: the warning and the report still happen.
    deletes = [c for c in h.adapter.calls if c[0] == "delete_message"]
    assert deletes == [("delete_message", GROUP, posted.event.message_id)]
    assert any(MEMBER in t for t in h.sent_to(GROUP))
    assert await offences(h, "u3") == {"secret": 1}


async def test_a_held_message_marked_false_positive_punishes_nobody(h: Harness) -> None:
    leak = "那个会议的材料你拍给我，我转给外面的朋友参考一下"
    await h.say(f"{MEMBER}: {leak}")
    (handled,) = await h.record(press("wf:review:1:dismiss", ADMIN))
    assert "误报" in handled.replies[0] and "重新发送" in handled.replies[0]
    assert [c[0] for c in h.adapter.calls] == ["delete_message"]  # the hold, nothing after
    assert await offences(h, "u3") == {} and not h.sent_to(GROUP)
    (answer,) = await answers(h)
    assert answer["outcome"] == "false_positive" and answer["category"] == "secret"


# Round 10: a short listed word in what the work-chat gate reads as plainly ordinary work talk.
NOTICE = "本周的拉票行为已经被评选委员会制止，请大家遵守规则。"  # 拉票 (offtopic), gate ~0.0001


async def test_a_listed_word_in_ordinary_talk_goes_to_the_admins_and_says_why(h: Harness) -> None:
    await h.say(f"{MEMBER}: {NOTICE}")
    assert h.adapter.calls == [] and not h.sent_to(GROUP)  # not deleted, nobody warned
    private = [t for where, t in h.adapter.sent if where == "private:u1"]
    assert len(private) == 1
    assert "「拉票」" in private[0] and "正常工作沟通" in private[0] and MEMBER in private[0]
    (row,) = [r for r in await h.audit() if r["kind"] == "review"]
    assert row["category"] == "offtopic" and row["outcome"] == "done"


async def test_a_doubted_word_confirmed_is_an_offence_and_dismissed_is_a_false_positive(
    h: Harness,
) -> None:
    await h.say(f"{MEMBER}: {NOTICE}")
    await h.say(f"{BYSTANDER}: {NOTICE}")  # reviews 3 and 4
    (handled,) = await h.record(press("wf:review:1:confirm", ADMIN))
    assert "第 1 次违规" in handled.replies[0] and "提醒" in handled.replies[0]  # offtopic's step 1
    assert await offences(h, "u3") == {"offtopic": 1}
    await h.record(press("wf:review:3:dismiss", ADMIN, callback="cb2"))
    assert await offences(h, "u4") == {}
    outcomes = sorted((a["user_id"], a["outcome"]) for a in await answers(h))
    assert outcomes == [("u3", "confirmed"), ("u4", "false_positive")]
