"""Several ``groupguard run`` processes on one PostgreSQL, in Telegram webhook mode, behind a
test load balancer: each update goes to one instance, a share to two at once (a balancer's
retry after a timeout does that), and an instance that refuses connections is skipped."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from event_support import free_port
from fake_bot_api import FakeBotApi, message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

TOKEN_ENV = "GG_FLEET_TOKEN"


@dataclass
class Instance:
    name: str
    port: int
    config: Path
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"


@dataclass
class Fleet:
    api: FakeBotApi
    database_url: str
    folder: Path
    lease_seconds: float = 3.0
    both_share: float = 0.10
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    instances: list[Instance] = field(default_factory=list)
    update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    sent_to_both: int = 0

    def add(self, name: str, extra: str = "") -> Instance:
        """An instance's config (``extra``: more top-level YAML, e.g. a group list)."""
        port = free_port()
        config = self.folder / f"{name}.yaml"
        config.write_text(
            f"database:\n  url: {self.database_url}\n"
            f"instance:\n  id: {name}\n  lease: {self.lease_seconds}\n  changes_poll: 0.2\n"
            f"telegram:\n  token_env: {TOKEN_ENV}\n  base_url: {self.api.base_url}\n"
            f"  base_file_url: {self.api.base_file_url}\n  rate_limit: false\n"
            f"  mode: webhook\n  webhook_url: https://example.invalid/tg\n"
            f"  webhook_port: {port}\n{extra}",
            encoding="utf-8",
        )
        instance = Instance(name, port, config, self.folder / f"{name}.log")
        self.instances.append(instance)
        return instance

    async def start(self, instance: Instance, within: float = 60.0) -> None:
        env = dict(os.environ, **{TOKEN_ENV: self.api.token})
        with instance.log.open("ab") as sink:
            instance.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "from bot.cli import main; main()",
                "run",
                "--config",
                str(instance.config),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=sink,
            )
        await self._listening(instance, within)

    async def _listening(self, instance: Instance, within: float) -> None:
        async with aiohttp.ClientSession() as session:
            for _ in range(int(within / 0.02)):
                assert instance.process is not None
                if instance.process.returncode is not None:
                    raise AssertionError(instance.log.read_text()[-3000:])
                try:
                    async with session.post(instance.url, data=b"{}") as answer:
                        if answer.status == 400:  # up: a body that is no update is refused
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.02)
        raise AssertionError(f"{instance.name} never listened")

    def kill(self, instance: Instance) -> None:
        assert instance.process is not None
        instance.process.kill()

    async def stop_all(self) -> list[int | None]:
        codes = []
        for instance in self.instances:
            process = instance.process
            if process is None:
                continue
            if process.returncode is None:
                process.terminate()
            codes.append(await asyncio.wait_for(process.wait(), 60))
        return codes

    # -- the load balancer --------------------------------------------------------------------
    async def deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        """Post one update as Telegram would (again until answered 200), through the
        balancer: to one live instance, or to two at once for ``both_share`` of them."""
        live = [i for i in self.instances if i.process and i.process.returncode is None]
        order = self.rng.sample(live, len(live))
        if len(order) > 1 and self.rng.random() < self.both_share:
            self.sent_to_both += 1
            answers = await asyncio.gather(*(self.post_to(session, i, update) for i in order[:2]))
            if any(answers):
                return
        for _ in range(200):  # Telegram retries until some instance answers 200
            for instance in order:
                if await self.post_to(session, instance, update):
                    return
            await asyncio.sleep(0.05)
            order = [i for i in self.instances if i.process and i.process.returncode is None]
        raise AssertionError(f"no instance took update {update['update_id']}")

    async def post_to(
        self, session: aiohttp.ClientSession, instance: Instance, update: dict[str, Any]
    ) -> bool:
        try:
            async with session.post(instance.url, json=update) as answer:
                return answer.status == 200
        except aiohttp.ClientError:
            return False

    def update(self, chat: dict[str, Any], sender: dict[str, Any], words: str) -> dict[str, Any]:
        body = message(chat, sender, self.api.next_message_id(), words)
        return {"update_id": next(self.update_ids), "message": body}

    # -- what the record says -----------------------------------------------------------------
    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(text(sql))).all()]
        finally:
            await engine.dispose()
