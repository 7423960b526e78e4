"""Test helpers shared by the QQ tests and the benchmark (a plain module, importable by name):
the adapter's settings for a fake implementation, and the whole application on top of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from event_support import HandledRecorder, free_port
from fake_onebot import FakeOneBot, Person

from adapters.qq.adapter import QQAdapter
from adapters.qq.settings import QQSettings
from bot.app import Application
from bot.clock import ManualClock
from bot.config import DatabaseSettings, EscalationSettings, Settings
from bot.runtime import Runtime, build
from rules.policy import EscalationTarget

REVERSE_PATH = "/onebot/v11/ws"
TIER1_PERSON = "7001"  # a supervisor reached in a private chat
TIER2_GROUP = "880002"  # a supervisors' group the bot is in
TIER2_USERS = ("7002",)


GROUP_A = 100_001
GROUP_B = 100_002
OWNER = Person(30001, "老王", "王主任-党群工作部", "owner")
ADMIN = Person(30002, "赵六", "赵六-党群工作部", "admin")
MEMBER = Person(40001, "张三", "张三-党群工作部")
OTHER = Person(40002, "李四", "李四-办公室")
STRANGER = Person(40003, "小明")  # no card: the QQ nickname is not a real name


def populate(fake: FakeOneBot) -> None:
    for gid, name in ((GROUP_A, "党群工作部工作群"), (GROUP_B, "综治办工作群")):
        fake.add_group(gid, name, OWNER, ADMIN, MEMBER, OTHER)
    fake.friends.add(int(TIER1_PERSON))
    fake.add_group(int(TIER2_GROUP), "网信办通报群", Person(7002, "网信办-李", "网信办-李"))


def settings_for(fake: FakeOneBot, **overrides: Any) -> QQSettings:
    values: dict[str, Any] = {
        "transport": fake.transport,
        "token": fake.token,
        "call_timeout": 5.0,
        "start_timeout": 5.0,
        "reconnect_initial": 0.05,
        "reconnect_max": 0.2,
    }
    if fake.transport == "forward":
        values["url"] = fake.url
    else:
        values["listen_port"] = free_port()
        values["path"] = REVERSE_PATH
    values.update(overrides)
    return QQSettings(**values)


async def start_reverse(fake: FakeOneBot, adapter: QQAdapter) -> None:
    """Reverse transport: the fake dials the adapter's server; wait until it is connected."""
    s = adapter.settings
    fake.dial(f"ws://127.0.0.1:{s.listen_port}{s.path}")
    assert await adapter.client.wait_connected(10.0), "the fake never connected"


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Bot:
    fake: FakeOneBot
    runtime: Runtime
    adapter: QQAdapter
    handled: HandledRecorder
    clock: ManualClock

    @property
    def app(self) -> Application:
        return self.runtime.app

    async def stop(self) -> None:
        await self.app.stop()
        await self.runtime.close()

    async def audit(self, **filters: Any) -> list[tuple[str, str | None, str | None]]:
        """(action kind, latest outcome, its detail) for each journal row matching."""
        rows = await self.app.store.read(lambda r: r.audit(**filters))
        return [(_kind(row), row["outcome"], row["detail"]) for row in rows]

    async def tick(self) -> int:
        return await self.app.scheduler().tick()


def _kind(row: dict[str, Any]) -> str:
    # The audit rows carry the action record (under its class name) plus outcome columns.
    if "kind" in row:
        return row["kind"]
    return next(v for v in row.values() if hasattr(v, "kind")).kind


def app_settings(db: Path, **more: Any) -> Settings:
    return Settings(
        **more,
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db}"),
        escalation=EscalationSettings(
            tiers={
                1: (EscalationTarget(platform="qq", chat_id=TIER1_PERSON, name="分管负责人"),),
                2: (
                    EscalationTarget(
                        platform="qq", chat_id=TIER2_GROUP, name="网信办", user_ids=TIER2_USERS
                    ),
                ),
            }
        ),
    )


async def start_bot(
    fake: FakeOneBot,
    db: Path,
    clock: ManualClock,
    app: dict[str, Any] | None = None,
    **overrides: Any,
) -> Bot:
    adapter = QQAdapter(settings_for(fake, **overrides), now=clock.now)
    runtime = await build(app_settings(db, **(app or {})), {"qq": adapter}, clock=clock)
    # Retries (risk control, reconnects) without real pauses; reconnects are awaited anyway.
    runtime.app.executor._sleep = _no_sleep
    handled = HandledRecorder()
    runtime.app.listeners.append(handled)
    await runtime.app.start()
    if fake.transport == "reverse":
        await start_reverse(fake, adapter)
    return Bot(fake, runtime, adapter, handled, clock)
