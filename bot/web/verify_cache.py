"""The record page's chain check without re-reading the whole journal on every view.

``journal.verify`` reads every entry and every kept row: seconds on a large record. The
result is kept per console (in ``WebDeps``, never module-wide) with the chain head it was
computed at, and reused while the head is unchanged and the result is younger than
``max_age``. A new entry moves the head and so forces a fresh check; ``max_age`` bounds how
long an edit made behind the journal's back (which does not move the head) can go unseen on
this page — ``groupguard audit verify`` always checks afresh. Views arriving during a check
wait for it rather than starting their own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import journal


@dataclass(frozen=True, slots=True)
class Checked:
    head: journal.Head
    found: journal.Break | None
    at: datetime
    reused: bool = False


class VerifyCache:
    def __init__(self, max_age: timedelta = timedelta(minutes=10)) -> None:
        self.max_age = max_age
        self._last: Checked | None = None
        self._lock = asyncio.Lock()

    async def status(
        self,
        head: Callable[[], Awaitable[journal.Head]],
        verify: Callable[[], Awaitable[journal.Break | None]],
        now: datetime,
    ) -> Checked:
        """The chain's state: the kept one when still valid, else a fresh ``verify``."""
        async with self._lock:
            current = await head()
            last = self._last
            if last is not None and last.head == current and now - last.at < self.max_age:
                return Checked(last.head, last.found, last.at, reused=True)
            found = await verify()
            # The head read before the walk: entries appended meanwhile force the next check.
            self._last = Checked(current, found, now)
            return self._last
