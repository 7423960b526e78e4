"""Fires persisted timers. Time lives in the database: every timer is a row; this loop reads
due rows, claims each (so two instances never fire one timer twice) and hands it to the app.
A restart simply resumes reading rows, which is the re-arming.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.config import QuietWindow
from rules.actions import Action, ActionKind
from rules.decisions import Decision

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, app, poll_seconds: float = 1.0) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.poll_seconds = poll_seconds
        # In front of the database's record, so a tick does not write once per second.
        self._windows_applied: set[tuple[str, str, str]] = set()

    async def tick(self) -> int:
        """Fire everything due now; returns how many timers fired."""
        now = self.app.clock.now()
        due = await self.app.store.read(lambda r: r.armed_timers(due_before=now))
        fired = 0
        for timer in due:
            claimed = await self.app.store.write(lambda r, t=timer.id: r.finish_timer(t))
            if not claimed:
                continue
            try:
                await self.app.on_timer(
                    timer.kind, timer.platform, timer.chat_id, timer.user_id, timer.payload
                )
                fired += 1
            except Exception:
                log.exception("timer %s (%s) failed", timer.id, timer.kind)
        await self._quiet_windows(now)
        return fired

    async def _quiet_windows(self, now: datetime) -> None:
        """Scheduled quiet mode (A6): on at a window's start, off by its quiet_end timer."""
        for window in self.app.settings.quiet_schedule:
            start, end = _window_bounds(window)
            if not start <= now < end:
                continue
            groups = await self.app.store.read(lambda r, w=window: r.groups(w.platform))
            for platform, chat_id, title in groups:
                if window.chats and chat_id not in window.chats:
                    continue
                key = (window.start, platform, chat_id)
                if key in self._windows_applied:
                    continue
                self._windows_applied.add(key)
                # The database remembers across restarts: an admin who lifted quiet mode by
                # hand inside the window is not overruled by a restart.
                first = await self.app.store.write(
                    lambda r, p=platform, c=chat_id, w=window.start: r.claim_quiet_window(
                        p, c, w, now
                    )
                )
                if not first:
                    continue
                from bot.executor import Target

                await self.app.executor.apply_one(
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
    from datetime import UTC

    start = datetime.fromisoformat(window.start)
    end = datetime.fromisoformat(window.end)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return start, end
