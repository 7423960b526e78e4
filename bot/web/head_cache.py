"""Results that only change when the record does, kept per console (in ``WebDeps``, never
module-wide) with the journal head they were computed at.

Every kept record moves the journal's head, so a result computed at head H is still right
while the head is H: the record page's chain check (``journal.verify`` reads every entry and
every kept row — seconds on a large record) and the report (an aggregate over a period's
actions) are computed once per head instead of once per view. ``max_age`` bounds how long a
result may be reused even so: an edit made behind the journal's back does not move the head,
and the chain check exists to find exactly that (``groupguard audit verify`` always checks
afresh). Views arriving during a computation wait for it rather than starting their own."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from storage import journal

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Kept(Generic[V]):
    value: V
    head: journal.Head
    at: datetime  # when it was computed
    reused: bool = False


class HeadCache(Generic[V]):
    def __init__(self, *, max_age: timedelta | None = None, size: int = 16) -> None:
        self.max_age = max_age
        self.size = size  # results kept (the least recently used go first)
        self._kept: OrderedDict[Hashable, Kept[V]] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(
        self,
        key: Hashable,
        head: Callable[[], Awaitable[journal.Head]],
        compute: Callable[[], Awaitable[V]],
        now: datetime,
    ) -> Kept[V]:
        async with self._lock:
            current = await head()
            last = self._kept.get(key)
            fresh = self.max_age is None or (last is not None and now - last.at < self.max_age)
            if last is not None and last.head == current and fresh:
                self._kept.move_to_end(key)
                return Kept(last.value, last.head, last.at, reused=True)
            value = await compute()
            # The head read before computing: entries written meanwhile force a recompute.
            kept = Kept(value, current, now)
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return kept
