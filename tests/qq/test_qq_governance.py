"""Governance on QQ (OneBot v11, no buttons): each approver is asked privately with the text
verbs and answers ``/approve 1`` in the private chat; anyone else's ``/approve`` is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from event_support import HandledRecorder
from fake_onebot import FakeOneBot
from qq_harness import ADMIN, GROUP_A, MEMBER, populate, settings_for

from adapters.qq.adapter import QQAdapter
from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import Runtime, build
from storage.directory import DirectoryRepository

DEPUTY, DIRECTOR, REGISTRAR = 7101, 7102, 7103
FORM = (
    "/filing\n使用部门：党群工作部\n平台类别：QQ\n群组名称：党群工作部工作群\n"
    "群组负责人：赵六\n成员范围：部门职工\n建群目的：工作交流"
)


def _person(name: str, qq: int) -> dict:
    return {
        "name": name,
        "unit": "党群工作部",
        "accounts": [{"platform": "qq", "user_id": str(qq)}],
    }


@pytest_asyncio.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[FakeOneBot, Runtime, HandledRecorder]]:
    async with FakeOneBot(transport="forward") as fake:
        populate(fake)
        fake.friends.update({DEPUTY, DIRECTOR, REGISTRAR})
        settings = Settings.model_validate(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}"},
                "directory": {
                    "units": [
                        {
                            "name": "北京办事处",
                            "roles": {"director": "王主任", "registrar": "钱工"},
                        },
                        {
                            "name": "党群工作部",
                            "parent": "北京办事处",
                            "roles": {"deputy_director": "李副主任"},
                        },
                    ],
                    "people": [
                        _person("赵六", ADMIN.user_id),
                        _person("李副主任", DEPUTY),
                        _person("王主任", DIRECTOR),
                        _person("钱工", REGISTRAR),
                    ],
                },
            }
        )
        clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        adapter = QQAdapter(settings_for(fake), now=clock.now)
        runtime = await build(settings, {"qq": adapter}, clock=clock)
        handled = HandledRecorder()
        runtime.app.listeners.append(handled)
        await runtime.app.start()
        try:
            yield fake, runtime, handled
        finally:
            await runtime.app.stop()
            await runtime.close()


def private_texts(fake: FakeOneBot, user: int) -> list[str]:
    return [
        "".join(s["data"].get("text", "") for s in c.params["message"] if s["type"] == "text")
        for c in fake.calls_to("send_private_msg")
        if int(c.params["user_id"]) == user
    ]


async def test_a_filing_runs_its_chain_with_text_verbs_in_private_chats(running):
    fake, runtime, handled = running
    await fake.post(GROUP_A, ADMIN.user_id, FORM)
    await handled.wait(1)
    assert any("/approve 1" in t for t in private_texts(fake, DEPUTY))
    await fake.post(GROUP_A, MEMBER.user_id, "/approve 1")  # not the deputy director
    await handled.wait(2)
    rows = await runtime.app.store.read(lambda r: r.audit(category="refused"))
    assert [r["kind"] for r in rows] == ["command:approve"]
    for number, (qq, name) in enumerate(
        ((DEPUTY, "李副主任"), (DIRECTOR, "王主任"), (REGISTRAR, "钱工")), start=3
    ):
        await fake.post_private(qq, name, "/approve 1")
        await handled.wait(number)
    group = await runtime.app.store.read(
        lambda r: DirectoryRepository(r.c).group("qq", str(GROUP_A))
    )
    assert group is not None and group.status == "filed"
