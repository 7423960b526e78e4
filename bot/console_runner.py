"""The local group chat (``groupguard run`` without a token) and transcript replay."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from adapters.console import ConsoleAdapter
from adapters.console.script import ConsoleScript, Note, ScriptError, Tick, transcript_lines
from bot.app import Handled
from bot.clock import Clock, ManualClock, OffsetClock
from bot.config import Settings
from bot.runtime import build
from bot.scheduler import Scheduler


def _describe(handled: Handled) -> Iterable[str]:
    for d in handled.decisions:
        actions = ", ".join(str(a) for a in d.actions) or "record"
        evidence = "; ".join(f"{e.match}[{e.start}:{e.end}] {e.kind}" for e in d.evidence)
        yield (
            f"   ↳ {d.rule} · {d.category} · {d.article} · {d.severity} → {actions}"
            + (f" · {evidence}" if evidence else "")
        )


async def _run_steps(
    steps_source,
    script: ConsoleScript,
    app,
    scheduler: Scheduler,
    clock: Clock,
    out: Callable[[str], None],
    stats: Counter,
) -> None:
    for steps in steps_source:
        for step in steps:
            if isinstance(step, Note):
                out(app.catalogue.t(step.key, **step.params))
            elif isinstance(step, Tick):
                clock.advance(timedelta(seconds=step.seconds))  # type: ignore[attr-defined]
                fired = await scheduler.tick()
                out(app.catalogue.t("console.tick", seconds=int(step.seconds), fired=fired))
            else:
                handled = await app.handle(step)
                stats["events"] += 1
                for d in handled.decisions:
                    stats[d.category] += 1
                for line in _describe(handled):
                    out(line)
        await scheduler.tick()


async def run_console(
    settings: Settings, out: Callable[[str], None] = print, lines: Iterable[str] | None = None
) -> None:
    adapter = ConsoleAdapter(output=out)
    clock = OffsetClock()
    runtime = await build(settings, {"console": adapter}, clock)
    app = runtime.app
    script = ConsoleScript(adapter)
    for admin in settings.admins:
        if admin.platform == "console" and admin.name:
            script._remember(admin.user_id, admin.name)
    scheduler = app.scheduler()
    await app.start()
    out(app.catalogue.t("console.banner", chat=script.chat_id))
    stats: Counter = Counter()
    background = asyncio.create_task(scheduler.run())
    try:
        source = lines if lines is not None else _stdin_lines()
        async for line in _aiter(source):
            if line.strip() in ("/quit", "/exit"):
                break
            try:
                steps = script.parse_line(line)
            except (ScriptError, ValueError) as exc:
                out(f"! {exc}")
                continue
            await _run_steps([steps], script, app, scheduler, clock, out, stats)
    finally:
        background.cancel()
        await app.stop()
        await runtime.close()


async def _aiter(source):  # type: ignore[no-untyped-def]
    if hasattr(source, "__aiter__"):
        async for item in source:
            yield item
    else:
        for item in source:
            yield item


async def _stdin_lines():  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line


async def replay(settings: Settings, path: Path, out: Callable[[str], None] = print) -> Counter:
    """Run a JSON Lines transcript through the full pipeline; print decisions and a summary."""
    adapter = ConsoleAdapter(output=out)
    clock = ManualClock()
    runtime = await build(settings, {"console": adapter}, clock)
    app = runtime.app
    script = ConsoleScript(adapter, zone=settings.zone)
    scheduler = app.scheduler()
    stats: Counter = Counter()
    await app.start()
    try:
        with path.open("rb") as handle:
            # A bad line is reported ("! line N: …"), counted under "errors" and skipped;
            # the replay goes on with the next line.
            for number, line in transcript_lines(handle):
                if isinstance(line, ScriptError):
                    out(f"! {line}")
                    stats["errors"] += 1
                    continue
                if not line.strip() or line.lstrip().startswith("//"):
                    continue
                try:
                    steps = script.parse_record(line, number)
                except ScriptError as exc:
                    out(f"! {exc}")
                    stats["errors"] += 1
                    continue
                # Simulated time advances a second per record; "tick" records jump further.
                clock.advance(timedelta(seconds=1))
                await _run_steps([steps], script, app, scheduler, clock, out, stats)
    finally:
        await app.stop()
        await runtime.close()
    out("")
    t = app.catalogue.t
    out(t("console.summary"))
    out(f"{t('console.summary_category'):<14}{t('console.summary_decisions'):>10}")
    for key, value in sorted(stats.items()):
        if key != "events":
            out(f"{key:<14}{value:>10}")
    out(f"{'events':<14}{stats['events']:>10}")
    return stats
