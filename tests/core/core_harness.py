"""Builds a full application on the console adapter with a manual clock, for scenario tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from adapters.console import ConsoleAdapter
from adapters.console.script import ConsoleScript
from bot.app import Application, Handled
from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import build
from bot.scheduler import Scheduler

SUPERVISORS = {
    1: [{"platform": "console", "chat_id": "tier1-分管负责人", "user_ids": ["sup-1"]}],
    2: [{"platform": "console", "chat_id": "tier2-网信办"}],
}


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Harness:
    app: Application
    adapter: ConsoleAdapter
    clock: ManualClock
    script: ConsoleScript
    scheduler: Scheduler

    async def say(self, line: str) -> list[Handled]:
        handled = [await self.app.handle(step) for step in self.script.parse_line(line)]
        await self.app.executor.settle()  # bans fanned out to other groups
        return handled

    async def record(self, record: dict[str, Any]) -> list[Handled]:
        import json

        handled = [await self.app.handle(s) for s in self.script.parse_record(json.dumps(record))]
        await self.app.executor.settle()
        return handled

    async def advance(self, delta: timedelta) -> int:
        self.clock.advance(delta)
        return await self.scheduler.tick()

    async def audit(self, **filters: Any) -> list[dict[str, Any]]:
        return await self.app.store.read(lambda r: r.audit(**filters))

    def sent_to(self, chat: str) -> list[str]:
        return [text for where, text in self.adapter.sent if where == chat]

    async def close(self) -> None:
        await self.app.stop()
        await self.app.store.close()


async def make_harness(url: str, **settings: Any) -> Harness:
    data: dict[str, Any] = {
        "database": {"url": url, "retry_for": "5s"},
        "escalation": {"tiers": SUPERVISORS},
        # No monthly report timer unless a test asks for the schedule (tests/supervision).
        "supervision": {"reports": []},
    }
    data.update(settings)
    parsed = Settings.model_validate(data)
    adapter = ConsoleAdapter(output=lambda _: None)
    clock = ManualClock()
    runtime = await build(parsed, {"console": adapter}, clock)
    runtime.app.executor._sleep = _no_sleep
    await runtime.app.start()
    await runtime.app.executor.settle()  # what reconcile() fanned out
    script = ConsoleScript(adapter)
    return Harness(runtime.app, adapter, clock, script, runtime.app.scheduler())
