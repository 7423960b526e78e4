"""End to end on QQ: the whole application (rules, executor, SQLite, timers) driven by a fake
OneBot v11 implementation over real WebSockets, in both transports, acting back through it."""

from __future__ import annotations

import re
from datetime import timedelta

from fake_onebot import FakeOneBot
from qq_harness import (
    ADMIN,
    GROUP_A,
    GROUP_B,
    MEMBER,
    OTHER,
    STRANGER,
    TIER1_PERSON,
    TIER2_GROUP,
    Bot,
)

ILLEGAL = "有没有人一起去网络赌博，赌资我出"


def private_texts(fake: FakeOneBot, user: int) -> list[str]:
    return [
        "".join(s["data"].get("text", "") for s in c.params["message"] if s["type"] == "text")
        for c in fake.calls_to("send_private_msg")
        if int(c.params["user_id"]) == user
    ]


def group_texts(fake: FakeOneBot, group: int) -> list[str]:
    out = []
    for call in fake.calls_to("send_group_msg"):
        if int(call.params["group_id"]) == group:
            message = call.params["message"]
            out.append("".join(s["data"].get("text", "") for s in message if s["type"] == "text"))
    return out


async def test_join_with_a_bad_card_is_reminded_then_removed_at_the_deadline(fake, bot: Bot):
    await fake.join(GROUP_A, STRANGER)
    await bot.handled.wait(1)
    (reminder,) = [
        c for c in fake.calls_to("send_private_msg") if c.params["user_id"] == STRANGER.user_id
    ]
    assert reminder.params["group_id"] == GROUP_A  # a temporary session through the group
    assert "实名" in reminder.params["message"][0]["data"]["text"]
    assert not fake.calls_to("set_group_kick")
    bot.clock.advance(timedelta(hours=24, seconds=1))
    assert await bot.tick() == 1
    (kick,) = await fake.wait_for("set_group_kick")
    assert int(kick.params["group_id"]) == GROUP_A
    assert int(kick.params["user_id"]) == STRANGER.user_id
    assert kick.params["reject_add_request"] is False  # removed, may rejoin once renamed


async def test_illegal_message_is_recalled_kicked_for_good_and_escalated(fake, bot: Bot):
    await fake.post(GROUP_B, OTHER.user_id, "收到")  # the bot now manages group B too
    message_id = await fake.post(GROUP_A, MEMBER.user_id, ILLEGAL)
    await bot.handled.wait(2)
    (recall,) = fake.calls_to("delete_msg")
    assert int(recall.params["message_id"]) == message_id
    kicks = fake.calls_to("set_group_kick")
    assert {int(k.params["group_id"]) for k in kicks} >= {GROUP_A, GROUP_B}
    assert all(k.params["reject_add_request"] is True for k in kicks)
    assert all(int(k.params["user_id"]) == MEMBER.user_id for k in kicks)
    assert private_texts(fake, int(TIER1_PERSON)), "tier 1 (a person) was not told privately"
    assert group_texts(fake, int(TIER2_GROUP)), "tier 2 (a supervisors' group) was not told"
    kinds = {kind for kind, _, _ in await bot.audit(user_id=str(MEMBER.user_id))}
    assert {"delete", "blacklist", "escalate"} <= kinds


async def test_admin_mute_10m_is_set_group_ban_for_600_seconds(fake, bot: Bot):
    await fake.post(GROUP_A, ADMIN.user_id, "/mute 10m 刷屏", at=(MEMBER.user_id,))
    await bot.handled.wait(1)
    (ban,) = await fake.wait_for("set_group_ban")
    assert int(ban.params["group_id"]) == GROUP_A
    assert int(ban.params["user_id"]) == MEMBER.user_id
    assert ban.params["duration"] == 600


async def test_admin_mute_by_replying_to_the_message(fake, bot: Bot):
    target = await fake.post(GROUP_A, MEMBER.user_id, "大家好")
    await fake.post(GROUP_A, ADMIN.user_id, "/mute 1h", reply_to=target)
    await bot.handled.wait(2)
    (ban,) = await fake.wait_for("set_group_ban")
    assert int(ban.params["user_id"]) == MEMBER.user_id
    assert ban.params["duration"] == 3600


async def test_non_admin_mute_is_refused_and_recorded(fake, bot: Bot):
    await fake.post(GROUP_A, OTHER.user_id, "/mute 10m", at=(MEMBER.user_id,))
    await bot.handled.wait(1)
    assert not fake.calls_to("set_group_ban")
    assert len(group_texts(fake, GROUP_A)) == 1  # the one-line refusal
    records = await bot.audit(chat_id=str(GROUP_A))
    assert [(kind, outcome) for kind, outcome, _ in records] == [("command:mute", "refused")]


async def test_blacklisted_persons_join_request_is_refused_in_another_group(fake, bot: Bot):
    await fake.post(GROUP_A, MEMBER.user_id, ILLEGAL)
    await bot.handled.wait(1)
    flag = await fake.request_join(GROUP_B, MEMBER.user_id, "我是张三")
    await bot.handled.wait(2)
    (answer,) = await fake.wait_for("set_group_add_request")
    assert answer.params["flag"] == flag
    assert answer.params["approve"] is False
    assert answer.params["sub_type"] == "add"
    assert "黑名单" in answer.params["reason"]
    records = await bot.audit(chat_id=str(GROUP_B), user_id=str(MEMBER.user_id))
    assert ("join_request:refuse", "done") in [(k, o) for k, o, _ in records]


async def test_join_request_of_someone_not_blacklisted_is_left_to_the_admins(fake, bot: Bot):
    await fake.request_join(GROUP_B, STRANGER.user_id, "新同事")
    await bot.handled.wait(1)
    assert not fake.calls_to("set_group_add_request")


async def test_whole_group_quiet_on_and_off(fake, bot: Bot):
    await fake.post(GROUP_A, ADMIN.user_id, "/quiet on")
    await bot.handled.wait(1)
    (on,) = await fake.wait_for("set_group_whole_ban")
    assert int(on.params["group_id"]) == GROUP_A and on.params["enable"] is True
    assert fake.groups[GROUP_A].whole_ban is True
    await fake.post(GROUP_A, ADMIN.user_id, "/quiet off")
    await bot.handled.wait(2)
    calls = await fake.wait_for("set_group_whole_ban", 2)
    assert calls[1].params["enable"] is False
    assert fake.groups[GROUP_A].whole_ban is False


async def test_connection_dropped_mid_burst_reconnects_and_loses_nothing(fake, bot: Bot):
    # The first recall gets no answer: the implementation goes away in the middle of a burst.
    fake.drop_on("delete_msg")
    posted = []
    for i in range(30):
        text = ILLEGAL if i in (5, 20) else f"第{i}条工作消息"
        user = MEMBER.user_id if i == 5 else OTHER.user_id if i == 20 else ADMIN.user_id
        posted.append(await fake.post(GROUP_A, user, text))
    await bot.handled.wait(30, within=30)
    assert fake.connections >= 2, "the adapter did not reconnect"
    assert bot.adapter.client.connections >= 2
    recalled = {int(c.params["message_id"]) for c in fake.calls_to("delete_msg")}
    assert {posted[5], posted[20]} <= recalled  # the dropped recall was retried
    records = await bot.audit(chat_id=str(GROUP_A))
    deletes = [(o, d) for k, o, d in records if k == "delete"]
    assert [o for o, _ in deletes] == ["done", "done"], deletes
    handled_ids = {h.event.update_id for h in bot.handled.handled}
    assert all(f"msg:{GROUP_A}:{m}" in handled_ids for m in posted)


async def test_a_card_change_notice_is_a_nickname_change(fake, bot: Bot):
    await fake.post(GROUP_A, OTHER.user_id, "早上好")
    await fake.set_card(GROUP_A, OTHER.user_id, "随便叫", notice=True)
    await bot.handled.wait(2)
    changed = bot.handled.handled[1].event
    assert type(changed).__name__ == "NicknameChanged"
    assert changed.member.nickname == "随便叫" and changed.old_nickname == OTHER.card
    assert any("实名" in t for t in private_texts(fake, OTHER.user_id))


async def test_a_card_change_without_notice_is_seen_on_the_next_message(fake, bot: Bot):
    await fake.post(GROUP_A, OTHER.user_id, "早上好")
    await fake.set_card(GROUP_A, OTHER.user_id, "随便叫", notice=False)
    await fake.post(GROUP_A, OTHER.user_id, "今天开会吗")
    await bot.handled.wait(3)
    events = [type(h.event).__name__ for h in bot.handled.handled]
    assert events == ["MessagePosted", "NicknameChanged", "MessagePosted"]
    assert any("实名" in t for t in private_texts(fake, OTHER.user_id)), "not reminded"


async def test_a_supervisor_answers_an_escalation_in_a_private_chat(fake, bot: Bot):
    await fake.post(GROUP_A, MEMBER.user_id, ILLEGAL)
    await bot.handled.wait(1)
    (told, *_) = private_texts(fake, int(TIER1_PERSON))
    verb = re.search(r"/ack (\d+)", told)
    assert verb, told  # no buttons on QQ: the verbs are offered as text commands
    await fake.post_private(int(TIER1_PERSON), "分管负责人", verb.group(0))
    await bot.handled.wait(2)
    answer = bot.handled.handled[1]
    assert type(answer.event).__name__ == "CommandIssued" and answer.replies
    assert len(private_texts(fake, int(TIER1_PERSON))) == 2  # the answer, in the same chat
    records = await bot.audit()
    assert not any(o == "refused" for _, o, _ in records)


def all_texts(fake: FakeOneBot) -> list[str]:
    return [
        "".join(s["data"].get("text", "") for s in c.params["message"] if s["type"] == "text")
        for c in fake.calls
        if c.action in ("send_group_msg", "send_private_msg")
    ]


async def test_a_card_changed_away_from_a_real_name_is_proposed_back_to_the_admins(fake, bot):
    await fake.post(GROUP_A, OTHER.user_id, "早上好")
    await fake.set_card(GROUP_A, OTHER.user_id, "随便叫", notice=True)
    await bot.handled.wait(2)
    assert any("建议改回原名片：李四-办公室" in t for t in all_texts(fake))
    assert not fake.calls_to("set_group_card")  # not without qq.set_card
    records = await bot.audit(user_id=str(OTHER.user_id))
    assert ("propose_nickname", "done", "proposed to the admins") in records


async def test_with_set_card_on_the_bot_sets_the_compliant_card_back(fake, tmp_path, clock):
    from qq_harness import start_bot

    running = await start_bot(fake, tmp_path / "cards.db", clock, set_card=True)
    try:
        await fake.post(GROUP_A, OTHER.user_id, "早上好")
        await fake.set_card(GROUP_A, OTHER.user_id, "随便叫", notice=False)
        await fake.post(GROUP_A, OTHER.user_id, "我改了名片")
        await running.handled.wait(3)
        (card,) = await fake.wait_for("set_group_card")
        assert card.params["card"] == OTHER.card and int(card.params["user_id"]) == OTHER.user_id
        assert fake.groups[GROUP_A].members[OTHER.user_id].card == OTHER.card
        assert any("已改回原名片" in t for t in all_texts(fake))
    finally:
        await running.stop()
