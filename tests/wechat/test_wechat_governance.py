"""Governance on WeChat (real tier: the pinned puppet service): no buttons, so approvers get
the filing privately with the text verbs and answer ``/approve 1`` in a room the bot is in;
anyone else's ``/approve`` is refused and journaled."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from event_support import HandledRecorder
from wechat_harness import PuppetServiceControl

from adapters.wechat.adapter import WeChatAdapter
from adapters.wechat.settings import WeChatSettings
from adapters.wechat.throttle import ThrottleLimits

pytestmark = [pytest.mark.slow, pytest.mark.wechat]
QUICK = ThrottleLimits(per_minute=6000, chat_interval=0.01, burst=100)


async def test_a_filing_is_approved_with_text_verbs_and_a_stranger_is_refused(
    puppet_service: PuppetServiceControl, tmp_path: Path
) -> None:
    from bot.config import Settings
    from bot.runtime import build
    from storage.directory import DirectoryRepository

    svc, p = puppet_service, uuid.uuid4().hex[:8]
    room, owner, deputy, director, registrar, other = (
        f"{p}-room@chatroom",
        f"{p}-zhao",
        f"{p}-lee",
        f"{p}-wang",
        f"{p}-qian",
        f"{p}-other",
    )
    for cid, name in ((owner, "赵六"), (deputy, "李副主任"), (director, "王主任")):
        svc.contact(cid, name, friend=True)
    svc.contact(registrar, "钱工", friend=True)
    svc.contact(other, "李四")
    svc.room(
        room, "党群工作部工作群", owner, [svc.bot_id, owner, deputy, director, registrar, other]
    )
    for cid, alias in ((owner, "赵六-党群工作部"), (other, "李四-党群工作部")):
        svc.alias(room, cid, alias)

    def person(name: str, cid: str) -> dict:
        return {
            "name": name,
            "unit": "党群工作部",
            "accounts": [{"platform": "wechat", "user_id": cid}],
        }

    settings = Settings.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"},
            "directory": {
                "units": [
                    {"name": "北京办事处", "roles": {"director": "王主任", "registrar": "钱工"}},
                    {
                        "name": "党群工作部",
                        "parent": "北京办事处",
                        "roles": {"deputy_director": "李副主任"},
                    },
                ],
                "people": [
                    person("赵六", owner),
                    person("李副主任", deputy),
                    person("王主任", director),
                    person("钱工", registrar),
                ],
            },
        }
    )
    adapter = WeChatAdapter(
        WeChatSettings(endpoint=svc.endpoint, token=svc.token, throttle=QUICK, start_timeout=5.0)
    )
    runtime = await build(settings, {"wechat": adapter})
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()

    def texts_to(conversation: str) -> list[str]:
        return [
            c["args"]["text"]
            for c in svc.calls("messageSendText")
            if c["args"]["conversationId"] == conversation
        ]

    try:
        form = (
            "/filing\n使用部门：党群工作部\n平台类别：微信\n群组名称：党群工作部工作群\n"
            "群组负责人：赵六\n成员范围：部门职工\n建群目的：工作交流"
        )
        svc.say(owner, room, form)
        await handled.wait(1)
        await adapter.drain()
        assert any("/approve 1" in t for t in texts_to(deputy)), "the deputy got the verbs"
        svc.say(other, room, "/approve 1")
        await handled.wait(2)
        rows = await runtime.app.store.read(lambda r: r.audit(category="refused"))
        assert [r["kind"] for r in rows] == ["command:approve"]
        for number, approver in enumerate((deputy, director, registrar), start=3):
            svc.say(approver, room, "/approve 1")
            await handled.wait(number)
        group = await runtime.app.store.read(
            lambda r: DirectoryRepository(r.c).group("wechat", room)
        )
        assert group is not None and group.status == "filed"
        await adapter.drain()
        assert any("已登记备案" in t for t in texts_to(room))
    finally:
        await runtime.app.stop()
        await runtime.close()
