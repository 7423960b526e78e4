"""Time as a dependency, so tests can move it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """A clock tests (and ``groupguard replay``) advance by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, value: datetime) -> None:
        self._now = value


class OffsetClock(Clock):
    """Real time plus a shift: the console's ``/tick 25h`` jumps ahead without waiting."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


def local_minute(moment: datetime, zone: tzinfo) -> str:
    """A moment as people in the configured zone read it in a workflow's text: 2026-12-05 17:30."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
