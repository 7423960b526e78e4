"""Fixtures for the WeChat tests.

No-Node tier: ``fake_service`` + ``adapter`` run the real python client over an in-process fake
stub. Real tier: ``puppet_service`` starts ``puppet_service/server.mjs`` (the pinned npm
wechaty-puppet-service + mock puppet) on loopback; it skips when ``npm ci`` has not been run
there, unless GROUPGUARD_REQUIRE_WECHAT=1 (CI), which turns the skip into a failure.

This directory has no ``__init__.py`` (as in tests/telegram), so helpers import by file name.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from event_support import EventRecorder, free_ports
from wechat_fakes import FakeStub, fake_puppet_factory
from wechat_harness import PuppetServiceControl, settings_for

from adapters.wechat.adapter import WeChatAdapter

SERVICE_DIR = Path(__file__).parent / "puppet_service"


@pytest_asyncio.fixture
async def endpoint() -> AsyncIterator[str]:
    """A loopback TCP listener, so the adapter's reachability check passes for the fake."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


@pytest.fixture
def fake_service() -> FakeStub:
    stub = FakeStub()
    stub.contact("bot", "GroupGuard")
    return stub


@pytest_asyncio.fixture
async def recorder() -> EventRecorder:
    return EventRecorder()


@pytest_asyncio.fixture
async def adapter(
    endpoint: str, fake_service: FakeStub, recorder: EventRecorder
) -> AsyncIterator[WeChatAdapter]:
    a = WeChatAdapter(settings_for(endpoint), puppet_factory=fake_puppet_factory(fake_service))
    await a.start(recorder)
    yield a
    try:
        await asyncio.wait_for(a.stop(), 10)
    except TimeoutError:
        stacks = [f"{t.get_name()}: {t.get_stack(limit=4)}" for t in asyncio.all_tasks()]
        raise AssertionError("adapter.stop() hung; tasks:\n" + "\n".join(stacks)) from None


# -- real tier ----------------------------------------------------------------------------


def _start_puppet_service(
    grpc_port: int, http_port: int, token: str
) -> tuple[subprocess.Popen[str] | None, list[str]]:
    """Start the test puppet service; the process once it says READY, else None and its output."""
    proc = subprocess.Popen(
        [
            "node",
            "server.mjs",
            "--grpc-port",
            str(grpc_port),
            "--http-port",
            str(http_port),
            "--token",
            token,
            "--bot-id",
            "bot",
        ],
        cwd=SERVICE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("READY "):
            return proc, lines
    proc.kill()
    proc.wait(10)
    return None, lines


@pytest.fixture(scope="module")
def puppet_service() -> Iterator[PuppetServiceControl]:
    required = os.environ.get("GROUPGUARD_REQUIRE_WECHAT") == "1"
    problem = None
    if shutil.which("node") is None:
        problem = "node is not installed"
    elif not (SERVICE_DIR / "node_modules" / "wechaty-puppet-service").is_dir():
        problem = f"run `npm ci` in {SERVICE_DIR} to install the test puppet service"
    if problem:
        if required:
            pytest.fail(f"GROUPGUARD_REQUIRE_WECHAT=1 but {problem}")
        pytest.skip(problem)
    token = "insecure_groupguard_test"
    # A port found free can be taken again before node binds it (the kernel hands the same
    # ephemeral ports to outgoing connections); on EADDRINUSE start again on new ports.
    for _attempt in range(5):
        grpc_port, http_port = free_ports(2)
        proc, lines = _start_puppet_service(grpc_port, http_port, token)
        if proc is not None:
            break
        if not any("EADDRINUSE" in line for line in lines):
            pytest.fail("the puppet service did not start:\n" + "".join(lines[-30:]))
    else:
        pytest.fail("the puppet service found no free port:\n" + "".join(lines[-30:]))
    assert proc is not None and proc.stdout is not None
    # Keep reading its output so a chatty service never blocks on a full pipe.
    tail: deque[str] = deque(lines, maxlen=200)
    reader = threading.Thread(target=lambda: tail.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        yield PuppetServiceControl(grpc_port, http_port, token, "bot")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        reader.join(5)
