"""Each member's recent messages, counted for the flood rule.

The engine is pure, so the counting lives here and the counts reach it with the member's
record. The window is process memory, not the database: a flood is seconds long, and a restart
in the middle of one only lets a few more messages through before the rule sees it again.
Memory stays bounded: at most ``cap`` messages per member, and members silent for longer than
the longest window are swept out now and then.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_SWEEP_EVERY = 4096


@dataclass(slots=True)
class _Recent:
    seen: deque[tuple[datetime, int]] = field(default_factory=deque)


class FloodCounter:
    def __init__(self, cap: int = 512) -> None:
        self._cap = cap
        self._members: dict[tuple[str, str, str], _Recent] = {}
        self._calls = 0
        self._horizon = timedelta(0)

    def observe(
        self,
        key: tuple[str, str, str],
        at: datetime,
        fingerprint: str,
        window: timedelta,
        repeat_window: timedelta,
    ) -> tuple[int, int]:
        """Count this message; returns (messages in ``window``, messages with the same
        fingerprint in ``repeat_window``), both including this one."""
        horizon = max(window, repeat_window)
        self._horizon = max(self._horizon, horizon)
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(at)
        recent = self._members.get(key)
        if recent is None:
            recent = self._members[key] = _Recent()
        seen = recent.seen
        while seen and (at - seen[0][0] > horizon or len(seen) >= self._cap):
            seen.popleft()
        mark = hash(fingerprint)
        seen.append((at, mark))
        messages = repeats = 0
        for when, other in reversed(seen):
            age = at - when
            if age <= window:
                messages += 1
            if age <= repeat_window and other == mark:
                repeats += 1
            if age > horizon:
                break
        return messages, repeats

    def _sweep(self, now: datetime) -> None:
        stale = [
            key
            for key, recent in self._members.items()
            if not recent.seen or now - recent.seen[-1][0] > self._horizon
        ]
        for key in stale:
            del self._members[key]


def fingerprint(text: str, media_kind: str | None) -> str:
    """What counts as "the same message": the text without surrounding space and case, or the
    kind of media when there is no text (the same sticker again and again)."""
    body = " ".join(text.split()).casefold()
    return body or f"[{media_kind or ''}]"
