"""Fires persisted timers. Time lives in the database: every timer is a row; this loop reads
due rows, claims each (so two instances never fire one timer twice) and hands it to the
workflow kernel, which routes it by kind. A restart simply resumes reading rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.actions.spec import Target
from bot.clock import Clock
from bot.config import QuietWindow
from bot.executor import Executor
from bot.metrics import Metrics
from bot.workflows.kernel import Kernel, TimerDue
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from storage.store import Store

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        kernel: Kernel,
        executor: Executor,
        quiet_schedule: Sequence[QuietWindow] = (),
        poll_seconds: float = 1.0,
        metrics: Metrics | None = None,
        *,
        instance_id: str = "local",
        timer_lease: timedelta = timedelta(minutes=2),
        shared: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._kernel = kernel
        self._executor = executor
        self._quiet_schedule = tuple(quiet_schedule)
        self.poll_seconds = poll_seconds
        self.instance_id = instance_id
        self.timer_lease = timer_lease
        # False on an embedded database: a claim not finished is from a crashed run.
        self.shared = shared
        # Before the first tick nothing of this process is in flight: a claim under its
        # id is from a run that stopped before finishing it.
        self._started = False
        self._metrics = metrics if metrics is not None else Metrics()
        # In front of the database's record, so a tick does not write once per second.
        self._windows_applied: set[tuple[str, str, str]] = set()

    async def tick(self) -> int:
        """Fire everything due now; returns how many timers fired.

        A timer is claimed (with a lease) before it fires and finished after: a crash in
        between leaves it claimed, and once the lease runs out another instance — or this
        one after its restart — fires it. Firing twice is the price of never losing one;
        what timers do (lift a mute, remind, ban elsewhere) is safe to repeat."""
        now = self._clock.now()
        first, self._started = not self._started, True
        due = await self._store.write(
            lambda r: r.claim_due_timers(
                self.instance_id,
                now,
                now + self.timer_lease,
                any_claimer=not self.shared,
                own_claims=first,
            )
        )
        fired = 0
        for timer in due:
            self._metrics.timer_fired(timer.kind, self._clock.now() - timer.due_at)
            try:
                handled = await self._kernel.fire(
                    TimerDue(
                        timer.kind, timer.platform, timer.chat_id, timer.user_id, timer.payload
                    )
                )
                if not handled:
                    log.warning("timer %s has unknown kind %s", timer.id, timer.kind)
                else:
                    fired += 1
            except Exception:
                # Finished all the same: a timer that fails every time must not fire for ever.
                log.exception("timer %s (%s) failed", timer.id, timer.kind)
            await self._store.write(lambda r, t=timer.id: r.finish_timer(t))
        await self._quiet_windows(now)
        return fired

    async def _quiet_windows(self, now: datetime) -> None:
        """Scheduled quiet mode (A6): on at a window's start, off by its quiet_end timer."""
        for window in self._quiet_schedule:
            start, end = _window_bounds(window)
            if not start <= now < end:
                continue
            groups = await self._store.read(lambda r, w=window: r.groups(w.platform))
            for platform, chat_id, title in groups:
                if window.chats and chat_id not in window.chats:
                    continue
                key = (window.start, platform, chat_id)
                if key in self._windows_applied:
                    continue
                self._windows_applied.add(key)
                # The database remembers across restarts: an admin who lifted quiet mode by
                # hand inside the window is not overruled by a restart.
                first = await self._store.write(
                    lambda r, p=platform, c=chat_id, w=window.start: r.claim_quiet_window(
                        p, c, w, now
                    )
                )
                if not first:
                    continue
                await self._executor.apply_one(
                    Target(platform, chat_id, title, None, ""),
                    Decision(
                        rule="quiet_schedule",
                        article="R2 Art.22",
                        category="quiet",
                        severity="info",
                        actions=(Action(ActionKind.QUIET, duration=end - now),),
                        reason="reason.quiet_mode",
                    ),
                )

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed; retrying")
            await asyncio.sleep(self.poll_seconds)


def _window_bounds(window: QuietWindow) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(window.start)
    end = datetime.fromisoformat(window.end)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return start, end
