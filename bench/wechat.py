"""WeChat throughput: room messages/s through the python client + puppet service, two ways.

    python bench/wechat.py [--messages 3000] [--rooms 20]

Needs ``npm ci`` in tests/wechat/puppet_service. Starts that loopback service (mock puppet),
then measures, first, the adapter delivering to a do-nothing handler (the client and service
alone), then the same path into the whole application: full rules and SQLite. The service
emits the whole burst from one control request, so HTTP round trips are not measured. Prints
figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.wechat.adapter import WeChatAdapter  # noqa: E402
from adapters.wechat.settings import WeChatSettings  # noqa: E402
from adapters.wechat.throttle import ThrottleLimits  # noqa: E402

SERVICE_DIR = ROOT / "tests" / "wechat" / "puppet_service"
TOKEN = "insecure_groupguard_bench"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self) -> None:
        if not (SERVICE_DIR / "node_modules").is_dir():
            sys.exit(f"run `npm ci` in {SERVICE_DIR} first")
        self.grpc, self.http = _port(), _port()
        self.proc = subprocess.Popen(
            [
                "node",
                "server.mjs",
                "--grpc-port",
                str(self.grpc),
                "--http-port",
                str(self.http),
                "--token",
                TOKEN,
            ],
            cwd=SERVICE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY "):
                break
        else:
            sys.exit("the puppet service did not start")
        threading.Thread(target=lambda: [*self.proc.stdout], daemon=True).start()  # type: ignore[misc]

    def post(self, path: str, **body: Any) -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http}{path}", method="POST", data=json.dumps(body).encode()
        )
        with urllib.request.urlopen(req, timeout=60) as answer:
            return json.loads(answer.read())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _seed(svc: Service, prefix: str, rooms: int) -> list[dict[str, str]]:
    messages = []
    for r in range(rooms):
        room = f"{prefix}r{r}@chatroom"
        members = [f"{prefix}r{r}u{i}" for i in range(5)]
        for i, m in enumerate(members):
            svc.post("/contact", id=m, name=f"成员{i}")
        svc.post(
            "/room", id=room, topic=f"工作群{r}", ownerId=members[0], memberIds=["bot", *members]
        )
        for i, m in enumerate(members):
            svc.post("/alias", roomId=room, contactId=m, alias=f"张{'一二三四五'[i]}-综合办公室")
            messages.append({"talkerId": m, "roomId": room, "text": f"收到，今天下午三点开会 {i}"})
    return messages


async def _measure(
    svc: Service,
    messages: list[dict[str, str]],
    count: int,
    make_sink: Callable[
        [WeChatAdapter],
        Awaitable[tuple[Callable[..., Any], Callable[[], int], Callable[[], Awaitable[None]]]],
    ],
) -> tuple[float, float]:
    settings = WeChatSettings(
        endpoint=f"127.0.0.1:{svc.grpc}",
        token=TOKEN,
        start_timeout=15,
        throttle=ThrottleLimits(per_minute=100_000, chat_interval=0.0, burst=100_000),
    )
    adapter = WeChatAdapter(settings)
    sink, seen, close = await make_sink(adapter)
    await adapter.start(sink)
    try:
        started = time.perf_counter()
        svc.post("/say-many", count=count, messages=messages)
        while seen() < count:  # noqa: ASYNC110 - polling a counter keeps the sinks trivial
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
    finally:
        await adapter.stop()
        await close()
    return count / elapsed, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=20)
    args = parser.parse_args()

    svc = Service()
    try:

        async def nothing(adapter: WeChatAdapter):
            box = [0]

            async def sink(event: object) -> None:
                box[0] += 1

            async def close() -> None:
                return None

            return sink, lambda: box[0], close

        messages = _seed(svc, "a", args.rooms)
        rate, took = await _measure(svc, messages, args.messages, nothing)
        print(f"do-nothing handler : {rate:8.0f} messages/s ({args.messages} in {took:.2f}s)")

        from bot.config import DatabaseSettings, Settings
        from bot.runtime import build

        tmp = tempfile.TemporaryDirectory()

        async def full_app(adapter: WeChatAdapter):
            settings = Settings(
                database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp.name}/bench.db")
            )
            runtime = await build(settings, {"wechat": adapter})
            box = [0]
            runtime.app.listeners.append(lambda handled: box.__setitem__(0, box[0] + 1))
            await runtime.app.hot.start()

            async def close() -> None:
                await runtime.app.hot.stop()
                await runtime.close()

            return runtime.app.handle, lambda: box[0], close

        messages = _seed(svc, "b", args.rooms)
        rate, took = await _measure(svc, messages, args.messages, full_app)
        print(f"full rules + SQLite: {rate:8.0f} messages/s ({args.messages} in {took:.2f}s)")
        tmp.cleanup()
    finally:
        svc.close()


if __name__ == "__main__":
    asyncio.run(main())
