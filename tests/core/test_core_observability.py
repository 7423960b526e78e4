"""The operators' side (issue 16): /healthz, /readyz against a database that is there, slow or
gone, the metrics registry per application, and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import pytest_asyncio
from core_harness import make_harness

from adapters.console import ConsoleAdapter
from bot.clock import ManualClock
from bot.config import Settings
from bot.log_format import use_json_logs
from bot.metrics import Metrics
from bot.observability import ObservabilityServer, ObservabilityStartError
from bot.runtime import Runtime, build
from storage.db import make_engine
from storage.store import Store


@dataclass
class Served:
    runtime: Runtime
    server: ObservabilityServer
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as response:
            return response.status, await response.text()


def _settings(tmp_path: Path, **observability: object) -> Settings:
    return Settings.model_validate(
        {
            "language": "en",
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'gg.db'}", "retry_for": "30s"},
            "supervision": {"reports": []},
            "observability": {"port": 0, "ready_timeout": "1s", **observability},
        }
    )


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    settings = _settings(tmp_path)
    runtime = await build(
        settings, {"console": ConsoleAdapter(output=lambda _: None)}, ManualClock()
    )
    server = ObservabilityServer(settings.observability, runtime.app)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(runtime, server, http)
    finally:
        await server.stop()
        await runtime.app.stop()
        await runtime.close()


async def test_healthz_answers_and_readyz_waits_for_the_start(served: Served) -> None:
    assert await served.get("/healthz") == (200, "alive\n")
    assert await served.get("/readyz") == (503, "not running: starting or stopping\n")
    await served.runtime.app.start()
    assert await served.get("/readyz") == (200, "ready\n")
    await served.runtime.app.stop()
    assert (await served.get("/readyz"))[0] == 503


async def test_readyz_is_503_while_the_database_is_unreachable(
    served: Served, tmp_path: Path
) -> None:
    app = served.runtime.app
    await app.start()
    store = app.store
    # A PostgreSQL server that is not there: the store keeps retrying (retry_for 30 s), so
    # the probe gives up at ready_timeout and says so.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.store = Store(make_engine(f"postgresql+asyncpg://gg@127.0.0.1:{closed_port}/gg"))
    try:
        assert await served.get("/readyz") == (503, "database did not answer within 1s\n")
        # /metrics still answers (its database gauges are skipped) and says not ready.
        status, body = await served.get("/metrics")
        assert status == 200
        assert "groupguard_ready 0.0" in body
        await app.store.close()
        # A store that fails at once (this one was closed): the reason names it, on one line.
        app.store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
        await app.store.close()
        status, reason = await served.get("/readyz")
        assert status == 503
        assert reason.startswith("database unreachable: ")
        assert reason.count("\n") == 1
    finally:
        app.store = store
    assert await served.get("/readyz") == (200, "ready\n")
    status, body = await served.get("/metrics")
    assert "groupguard_ready 1.0" in body
    assert "groupguard_timers_overdue 0.0" in body


async def test_a_taken_port_is_one_line_not_a_traceback(served: Served, tmp_path: Path) -> None:
    settings = _settings(tmp_path, port=served.server.port)
    second = ObservabilityServer(settings.observability, served.runtime.app)
    with pytest.raises(ObservabilityStartError, match=r"could not listen on 127\.0\.0\.1:\d+"):
        await second.start()


def test_each_application_has_its_own_registry() -> None:
    first, second = Metrics("a"), Metrics("b")
    first.updates.labels("console", "message").inc()
    assert b'groupguard_updates_total{kind="message",platform="console"} 1.0' in (
        first.exposition()
    )
    assert b"groupguard_updates_total{" not in second.exposition()
    assert b'instance_id="b"' in second.exposition()


def test_json_logs_are_one_parseable_object_per_line_in_the_configured_zone() -> None:
    logger = logging.getLogger("groupguard.test.json")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    out = io.StringIO()
    logger.handlers = [logging.StreamHandler(out)]
    try:
        use_json_logs(ZoneInfo("Asia/Shanghai"), logger)
        logger.info("群 %s 已处理", "工会工作群")
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError:
            logger.exception("handling failed\nsecond line")
    finally:
        logger.handlers = []
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "群 工会工作群 已处理"
    assert first["level"] == "INFO"
    assert first["logger"] == "groupguard.test.json"
    assert first["time"].endswith("+08:00")
    assert "exception" not in first
    assert second["level"] == "ERROR"
    assert second["message"] == "handling failed\nsecond line"
    assert "ZeroDivisionError: boom" in second["exception"]


async def test_timers_fired_and_their_lateness_are_measured(sqlite_url: str) -> None:
    h = await make_harness(sqlite_url)
    try:
        await h.say("/admin 管理员-办公室")
        await h.say("李明-财务科: 大家好")
        await h.say("管理员-办公室: /mute @李明-财务科 10m")
        # Simulated time: the mute's expiry is due at +10 min and fires on a tick at +11 min.
        assert await h.advance(timedelta(minutes=11)) >= 1
        sample = h.app.metrics.registry.get_sample_value
        expiry = {"kind": "mute_expiry"}
        assert sample("groupguard_timers_fired_total", expiry) == 1
        assert sample("groupguard_timer_lateness_seconds_count", expiry) == 1
        assert sample("groupguard_timer_lateness_seconds_sum", expiry) == 60
        assert sample("groupguard_timer_lateness_seconds_bucket", {**expiry, "le": "30.0"}) == 0
        assert sample("groupguard_timer_lateness_seconds_bucket", {**expiry, "le": "60.0"}) == 1
        console = {"platform": "console"}
        assert sample("groupguard_actions_total", {**console, "kind": "mute", "outcome": "done"})
        assert (
            sample("groupguard_actions_total", {**console, "kind": "unmute", "outcome": "done"})
            == 1
        )
        assert sample("groupguard_updates_total", {**console, "kind": "command"}) == 1
        assert sample("groupguard_updates_total", {**console, "kind": "message"}) == 1
    finally:
        await h.close()
