"""Helpers shared by the adapter tests (a plain module: tests/ is on sys.path via its conftest)."""

from __future__ import annotations

import asyncio
import socket
import time

from bot.events import AnyEvent


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: all held open at once so the kernel cannot repeat one."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class EventRecorder:
    """The adapter's event sink in tests: keeps every event, lets a test wait for some."""

    def __init__(self) -> None:
        self.events: list[AnyEvent] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, event: AnyEvent) -> None:
        async with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    async def wait(self, count: int = 1, within: float = 5.0) -> list[AnyEvent]:
        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.events) >= count)

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            raise AssertionError(f"{len(self.events)}/{count} events: {self.events}") from None
        return self.events


class HandledRecorder:
    """An application listener: counts events the whole application has finished handling."""

    def __init__(self) -> None:
        self.handled: list[object] = []
        self._changed = asyncio.Event()

    def __call__(self, handled: object) -> None:
        self.handled.append(handled)
        self._changed.set()

    async def wait(self, count: int, within: float = 15.0) -> list[object]:
        async def enough() -> None:
            while len(self.handled) < count:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            raise AssertionError(f"{len(self.handled)}/{count} events handled") from None
        return self.handled


class HandledCounter:
    """Counts handled updates and wakes waiters, keeping nothing else: the benchmarks' sink,
    where holding every result would skew the memory figures."""

    def __init__(self) -> None:
        self.handled = 0
        self.changed = asyncio.Event()

    def tick(self) -> None:
        self.handled += 1
        self.changed.set()

    async def reach(self, target: int, within: float = 300.0) -> None:
        deadline = time.monotonic() + within
        while self.handled < target:
            self.changed.clear()
            if self.handled >= target:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"only {self.handled}/{target} updates handled")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue
