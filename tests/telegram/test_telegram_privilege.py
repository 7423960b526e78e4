"""Only entitled people act (issue 10, items 1, 3, 4, 5): powers are the group's own.

A group's admins act in their group; a blacklisting, which reaches every managed group, needs an
admin of a registered group acting on someone seen there, or a person named in config. Every
refusal is journaled. Driven through PTB's real stack against the fake Bot API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from event_support import HandledRecorder
from fake_bot_api import FakeBotApi, administrator, group, owner, user
from telegram_harness import settings_for

from adapters.telegram import TelegramAdapter
from bot.clock import ManualClock
from bot.config import AdminEntry, DatabaseSettings, GroupSettings, Settings
from bot.runtime import Runtime, build

CHAT_A = group(-1001000000001, "党群工作部工作群")  # registered
CHAT_B = group(-1001000000002, "综治办工作群")  # registered
ROGUE_CHAT = group(-1009000000009, "某人自建群")  # not registered
ADMIN_A = user(10002, "赵六-党群工作部")
ADMIN_B = user(10003, "钱七-综治办")
CONFIG_ADMIN = user(10005, "孙主任-信息技术部")  # named in config for every group
MEMBER = user(20001, "张三-党群工作部")
ROGUE = user(30001, "王五")  # owns an unmanaged group the bot was added to
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _settings(db: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db}"),
        admins=(AdminEntry(platform="telegram", user_id=str(CONFIG_ADMIN["id"])),),
        groups=(
            GroupSettings(platform="telegram", chat_id=str(CHAT_A["id"]), name="党群工作部工作群"),
            GroupSettings(platform="telegram", chat_id=str(CHAT_B["id"]), name="综治办工作群"),
        ),
    )


class Bot:
    def __init__(self, api: FakeBotApi, runtime: Runtime, handled: HandledRecorder) -> None:
        self.api, self.runtime, self.handled = api, runtime, handled
        self.count = 0

    async def post(self, chat: dict, sender: dict, text: str, **extra: object) -> dict:
        body = await self.api.post(chat, sender, text, **extra)
        self.count += 1
        await self.handled.wait(self.count)
        return body

    async def refusals(self) -> list[str]:
        rows = await self.runtime.app.store.read(lambda r: r.audit(category="command"))
        return [row["detail"] for row in rows if row["outcome"] == "refused"]

    def bans(self) -> list[tuple[str, str]]:
        return [
            (c.params["chat_id"], c.params["user_id"]) for c in self.api.calls_to("banChatMember")
        ]


@pytest_asyncio.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Bot]:
    for chat, admin in ((CHAT_A, ADMIN_A), (CHAT_B, ADMIN_B)):
        api.set_admins(
            chat["id"],
            administrator(admin, "can_restrict_members", "can_delete_messages"),
            administrator(api.bot, "can_restrict_members", "can_delete_messages"),
        )
    api.set_admins(
        ROGUE_CHAT["id"],
        owner(ROGUE),
        administrator(api.bot, "can_restrict_members", "can_delete_messages"),
    )
    adapter = TelegramAdapter(settings_for(api))
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    runtime = await build(_settings(tmp_path / "gg.db"), {"telegram": adapter}, clock=clock)
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    try:
        yield Bot(api, runtime, handled)
    finally:
        await runtime.app.stop()
        await runtime.close()


def last_reply(api: FakeBotApi, chat: dict) -> str:
    texts = [
        c.params["text"]
        for c in api.calls_to("sendMessage")
        if c.params["chat_id"] == str(chat["id"])
    ]
    return texts[-1]


async def test_owner_of_an_unmanaged_group_cannot_blacklist_anyone(api, bot):
    await bot.post(CHAT_A, MEMBER, "大家好")
    await bot.post(ROGUE_CHAT, MEMBER, "你好")
    await bot.post(ROGUE_CHAT, ROGUE, f"/ban {MEMBER['id']}")
    assert bot.bans() == []
    assert "尚未登记" in last_reply(api, ROGUE_CHAT)
    assert "group not registered" in await bot.refusals()


async def test_a_blacklisted_member_cannot_lift_it_from_his_own_group(api, bot):
    await bot.post(CHAT_A, MEMBER, "大家好")
    await bot.post(CHAT_A, ADMIN_A, f"/ban {MEMBER['id']} 传播谣言")
    assert (str(CHAT_A["id"]), str(MEMBER["id"])) in bot.bans()
    api.set_admins(ROGUE_CHAT["id"], owner(MEMBER), administrator(api.bot, "can_restrict_members"))
    await bot.post(ROGUE_CHAT, MEMBER, f"/unban {MEMBER['id']}")
    assert not api.calls_to("unbanChatMember")
    assert "target is the sender" in await bot.refusals()
    store = bot.runtime.app.store
    assert await store.read(lambda r: r.is_blacklisted("telegram", str(MEMBER["id"])))


async def test_an_admin_of_one_group_cannot_be_blacklisted_from_another(api, bot):
    await bot.post(CHAT_B, ADMIN_A, "我也在综治办群")
    await bot.post(CHAT_B, ADMIN_B, f"/ban {ADMIN_A['id']}")
    assert bot.bans() == []
    assert "不能对管理员" in last_reply(api, CHAT_B)
    assert "target is an admin of a group" in await bot.refusals()


async def test_a_group_admin_blacklists_only_someone_seen_in_his_group(api, bot):
    await bot.post(CHAT_B, MEMBER, "只在综治办群说过话")
    await bot.post(CHAT_A, ADMIN_A, "大家好")
    await bot.post(CHAT_A, ADMIN_A, f"/ban {MEMBER['id']}")
    assert bot.bans() == []
    assert "未在本群出现过" in last_reply(api, CHAT_A)
    await bot.post(CHAT_B, ADMIN_B, f"/ban {MEMBER['id']} 发广告")
    assert {(str(CHAT_A["id"]), str(MEMBER["id"])), (str(CHAT_B["id"]), str(MEMBER["id"]))} <= set(
        bot.bans()
    )


async def test_a_config_named_admin_may_blacklist_someone_never_seen(api, bot):
    await bot.post(CHAT_A, CONFIG_ADMIN, "/ban 20099 外部诈骗账号")
    assert (str(CHAT_A["id"]), "20099") in bot.bans()


async def test_telegram_service_accounts_are_never_targets(api, bot):
    for service_id in ("777000", "1087968824"):
        await bot.post(CHAT_A, CONFIG_ADMIN, f"/ban {service_id}")
    channel = {"id": -1005, "type": "channel", "title": "单位公众号"}
    forward = await bot.post(
        CHAT_A, user(777000, "Telegram"), "频道推送", sender_chat=channel, is_automatic_forward=True
    )
    await bot.post(CHAT_A, ADMIN_A, "/ban", reply_to_message=forward)
    assert bot.bans() == [] and not api.calls_to("banChatSenderChat")
    assert (await bot.refusals()).count("target is a service account") == 3


async def test_digits_of_other_scripts_are_the_same_account(api, bot):
    protected = str(CONFIG_ADMIN["id"])
    await bot.post(CHAT_A, ADMIN_A, f"/ban {protected.translate(ARABIC_INDIC)}")
    await bot.post(CHAT_A, ADMIN_A, f"/mute {protected.translate(FULL_WIDTH)} 10m")
    await bot.post(CHAT_A, ADMIN_A, f"/kick {str(api.bot['id']).translate(FULL_WIDTH)}")
    assert bot.bans() == [] and not api.calls_to("restrictChatMember")
    assert "不能对机器人自身" in last_reply(api, CHAT_A)
    await bot.post(CHAT_A, MEMBER, "大家好")
    await bot.post(CHAT_A, ADMIN_A, f"/ban {str(MEMBER['id']).translate(FULL_WIDTH)}")
    assert (str(CHAT_A["id"]), str(MEMBER["id"])) in bot.bans()
    store = bot.runtime.app.store
    assert await store.read(lambda r: r.is_blacklisted("telegram", str(MEMBER["id"])))


async def test_a_demoted_admin_loses_his_power_at_once(api, bot):
    await bot.post(CHAT_A, MEMBER, "大家好")
    await bot.post(CHAT_A, ADMIN_A, f"/mute {MEMBER['id']} 10m")
    assert len(api.calls_to("restrictChatMember")) == 1
    # Demoted with no member update reaching the bot: the cached list would still say admin.
    api.set_admins(CHAT_A["id"], administrator(api.bot, "can_restrict_members"))
    await bot.post(CHAT_A, ADMIN_A, f"/mute {MEMBER['id']} 10m")
    assert len(api.calls_to("restrictChatMember")) == 1
    assert "没有" in last_reply(api, CHAT_A)


async def test_rights_that_cannot_be_confirmed_refuse_the_command(api, bot):
    await bot.post(CHAT_A, MEMBER, "大家好")
    api.fail("getChatAdministrators", times=20, status=500, description="Internal Server Error")
    await bot.post(CHAT_A, ADMIN_A, f"/mute {MEMBER['id']} 10m")
    assert not api.calls_to("restrictChatMember")
    assert "暂时无法确认权限" in last_reply(api, CHAT_A)
    assert any(d.startswith("rights unknown") for d in await bot.refusals())


async def test_a_group_filed_through_the_approval_chain_is_registered(api, bot):
    from storage.directory import DirectoryRepository

    await bot.post(ROGUE_CHAT, MEMBER, "你好")
    chat_id = str(ROGUE_CHAT["id"])

    async def file_it(r) -> None:  # type: ignore[no-untyped-def]
        repo = DirectoryRepository(r.c)
        await repo.add_seen_group("telegram", chat_id, "某人自建群", bot.runtime.app.clock.now())
        await repo.update_group("telegram", chat_id, status="filed")

    await bot.runtime.app.store.write(file_it)
    await bot.post(ROGUE_CHAT, ROGUE, f"/ban {MEMBER['id']} 发布违法信息")
    assert (chat_id, str(MEMBER["id"])) in bot.bans()
