"""The operators' endpoints (issue 16): `groupguard run` against the fake Bot API with the
metrics server on, scraped over HTTP like Prometheus would."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from fake_bot_api import FakeBotApi, administrator, group, owner, user
from prometheus_client.parser import text_string_to_metric_families

from bot.config import load_settings
from bot.runtime import platform_adapters
from bot.service import serve

CHAT = group(-1001000000016, "办公室工作群")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One series' value; 0 for a series not exported yet (a counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


async def _until(
    http: aiohttp.ClientSession, url: str, done: Callable[[int, str], bool], within: float = 15
) -> tuple[int, str]:
    """GET ``url`` until ``done(status, body)``; a deadline, not a timing assertion."""

    last: list[tuple[int, str]] = []

    async def poll() -> tuple[int, str]:
        while True:
            try:
                async with http.get(url) as response:
                    last[:] = [(response.status, await response.text())]
                if done(*last[0]):
                    return last[0]
            except aiohttp.ClientConnectionError:
                pass  # the server is not listening yet
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(poll(), within)
    except TimeoutError:
        raise AssertionError(f"{url} never got there; last answer: {last}") from None


async def test_metrics_count_updates_decisions_actions_retries_and_latency(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    monkeypatch.setenv("GG_TEST_TOKEN", api.token)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'gg.db'}\n"
        f"telegram:\n  token_env: GG_TEST_TOKEN\n  base_url: {api.base_url}\n"
        f"  base_file_url: {api.base_file_url}\n  rate_limit: false\n"
        f"observability:\n  host: 127.0.0.1\n  port: {port}\ninstance:\n  id: gg-test-1\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    adapters = platform_adapters(settings)
    api.set_admins(
        CHAT["id"],
        owner(user(1, "王主任-办公室")),
        administrator(api.bot, "can_restrict_members", "can_delete_messages"),
    )
    # The offending message's delete is refused once with a 429: one error, one retry, two calls.
    api.rate_limit("deleteMessage", retry_after=1)
    base = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    running = asyncio.create_task(serve(settings, adapters, stop))
    try:
        async with aiohttp.ClientSession() as http:
            await _until(http, f"{base}/readyz", lambda status, _: status == 200)
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            await api.post(CHAT, user(6, "赵六-办公室"), "明天上午九点在三楼开会")
            await api.post(CHAT, user(6, "赵六-办公室"), "收到")
            await api.post(CHAT, user(5, "李四-办公室"), "加我微信带你赌博，稳赚不赔")
            await api.wait_for("banChatMember", within=10)

            def all_handled(status: int, body: str) -> bool:
                samples = _parse(body)
                return (
                    total(samples, "groupguard_handling_seconds_count", platform="telegram") >= 3
                    and total(samples, "groupguard_actions_total", kind="blacklist") >= 1
                )

            _, body = await _until(http, f"{base}/metrics", all_handled)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
    m = _parse(body)
    assert value(m, "groupguard_updates_total", platform="telegram", kind="message") == 3
    assert total(m, "groupguard_updates_total") == 3
    # The two ordinary messages needed nothing; the third was decided on and acted upon.
    assert value(m, "groupguard_handling_seconds_count", platform="telegram", result="none") == 2
    decided = value(m, "groupguard_handling_seconds_count", platform="telegram", result="decided")
    assert decided == 1
    assert (
        value(
            m, "groupguard_handling_seconds_bucket", platform="telegram", result="none", le="+Inf"
        )
        == 2
    )
    assert value(m, "groupguard_handling_seconds_sum", platform="telegram", result="decided") > 0
    decisions = {
        dict(labels)["category"]: v
        for (name, labels), v in m.items()
        if name == "groupguard_decisions_total"
    }
    assert decisions == {"illegal": 1}
    actions = total(m, "groupguard_actions_total", platform="telegram", kind="delete")
    assert actions == value(
        m, "groupguard_actions_total", platform="telegram", kind="delete", outcome="done"
    )
    assert actions == 1
    blacklist = {"platform": "telegram", "kind": "blacklist"}
    assert value(m, "groupguard_actions_total", **blacklist, outcome="done") == 1
    # No supervisor is configured: the ladder's escalations are skipped, and counted so.
    assert value(m, "groupguard_actions_total", platform="telegram", kind="escalate") == 0
    assert total(m, "groupguard_actions_total", kind="escalate", outcome="skipped") == 2
    assert total(m, "groupguard_actions_total", outcome="failed") == 0
    delete = {"platform": "telegram", "method": "delete_message"}
    assert value(m, "groupguard_platform_calls_total", **delete) == 2
    assert value(m, "groupguard_platform_errors_total", **delete, kind="rate_limited") == 1
    assert value(m, "groupguard_platform_retries_total", **delete, kind="rate_limited") == 1
    assert value(m, "groupguard_platform_calls_total", platform="telegram", method="ban") >= 1
    # The gauges read at scrape time are there (their values depend on the moment).
    assert ("groupguard_lane_waiting", frozenset({("platform", "telegram")})) in m
    assert ("groupguard_hot_path_pending_rows", frozenset()) in m
    assert ("groupguard_timers_overdue", frozenset()) in m
    assert value(m, "groupguard_ready") == 1
    (info,) = [labels for name, labels in m if name == "groupguard_instance_info"]
    assert dict(info)["instance_id"] == "gg-test-1"
