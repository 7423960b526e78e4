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
from bot.events import MessagePosted
from bot.i18n import Catalogue
from bot.runtime import build
from bot.scheduler import Scheduler
from bot.web.serving import beside_the_bot
from rules.policy import EscalationTarget


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
    show_numbers: bool = False,
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
                if isinstance(step, MessagePosted) and show_numbers:
                    # The number a command names to reply to this message: /warn #3 刷屏
                    out(app.catalogue.t("console_more.message_number", id=step.message_id))
                handled = await app.handle(step)
                stats["events"] += 1
                for d in handled.decisions:
                    stats[d.category] += 1
                for line in _describe(handled):
                    out(line)
        await scheduler.tick()


def with_simulated_supervisors(settings: Settings) -> Settings:
    """The console's own supervisors for every tier a ladder escalates to that has nobody,
    so the quick start's escalation reaches someone (a private chat per tier, answered with
    /press). A configured tier keeps its supervisors."""
    catalogue = Catalogue(settings.language)
    tiers = dict(settings.escalation.tiers)
    for tier in settings.unstaffed_tiers():
        name = catalogue.t("console_more.supervisor", tier=tier)
        tiers[tier] = (EscalationTarget(platform="console", chat_id=f"sup-{tier}", name=name),)
    escalation = settings.escalation.model_copy(update={"tiers": tiers})
    return settings.model_copy(update={"escalation": escalation})


def script_error(catalogue: Catalogue, exc: ValueError) -> str:
    key = getattr(exc, "key", "")
    if key:
        return "! " + catalogue.t(key, **getattr(exc, "params", {}))
    return catalogue.t("console_more.error", error=str(exc))


async def run_console(
    settings: Settings, out: Callable[[str], None] = print, lines: Iterable[str] | None = None
) -> None:
    settings = with_simulated_supervisors(settings)
    adapter = ConsoleAdapter(output=out)
    clock = OffsetClock()
    runtime = await build(settings, {"console": adapter}, clock)
    app = runtime.app
    # A run's update ids are its own: the bot drops ids it has seen, and a second run in the
    # same folder (same database) must not be taken for a repeat of the first.
    script = ConsoleScript(
        adapter, zone=settings.zone, update_prefix=f"c{clock.now():%Y%m%d%H%M%S%f}-"
    )
    # The same nickname is the same member from run to run (the database remembers them).
    known = await runtime.store.read(lambda r: r.members_of("console", script.chat_id))
    for row in known:
        script._remember(row.user_id, row.nickname)
    script.skip_user_ids(row.user_id for row in known)
    for admin in settings.admins:
        if admin.platform == "console" and admin.name:
            script._remember(admin.user_id, admin.name)
    for targets in settings.escalation.tiers.values():
        for target in targets:
            if target.platform == "console" and target.name:
                script._remember(target.chat_id, target.name)
    scheduler = app.scheduler()
    await app.start()
    out(app.catalogue.t("console.banner", chat=script.chat_id))
    for tier, targets in sorted(settings.escalation.tiers.items()):
        names = "、".join(t.name or t.chat_id for t in targets if t.platform == "console")
        if names:
            out(app.catalogue.t("console_more.supervisors", tier=tier, names=names))
    unstaffed = settings.unstaffed_tiers()
    if unstaffed:
        out(app.catalogue.t("words.tier_unstaffed", tiers="、".join(str(t) for t in unstaffed)))
    stats: Counter = Counter()
    background = asyncio.create_task(scheduler.run())
    try:
        async with beside_the_bot(app, out):
            source = lines if lines is not None else _stdin_lines()
            async for line in _aiter(source):
                if line.strip() in ("/quit", "/exit"):
                    break
                try:
                    steps = script.parse_line(line)
                except (ScriptError, ValueError) as exc:
                    out(script_error(app.catalogue, exc))
                    continue
                await _run_steps(
                    [steps], script, app, scheduler, clock, out, stats, show_numbers=True
                )
    finally:
        background.cancel()
        await app.stop()
        # Members the script named but the bot never stored (an admin made with /admin who
        # only gave commands) keep their ids in the next run too.
        now = clock.now()
        named = [(u, n) for u, n in script.nicknames.items() if u[:1] == "u" and u[1:].isdigit()]

        async def remember(r) -> None:  # type: ignore[no-untyped-def]
            for user_id, nickname in named:
                await r.ensure_member("console", script.chat_id, user_id, nickname, now)

        await runtime.store.write(remember)
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
