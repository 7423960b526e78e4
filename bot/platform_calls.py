"""Calling a platform: retry what is worth retrying, and report a missing right once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.ports import PlatformError

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is recorded as a failure rather than awaited


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_retry: Callable[[PlatformError], None] | None = None,
) -> T:
    """429 → wait what the platform says; 5xx/network → back off; anything else → raise."""
    delay = 0.5
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await call()
        except PlatformError as exc:
            if not exc.retryable or attempt == MAX_ATTEMPTS:
                raise
            wait = exc.retry_after if exc.kind == "rate_limited" and exc.retry_after else delay
            if wait > MAX_RETRY_AFTER:
                raise
            # One line, no traceback: a handled 429 is the platform pacing us, not a fault.
            level = logging.WARNING if exc.kind == "rate_limited" else logging.INFO
            log.log(level, "platform said %s; retry %d in %.1fs", exc.kind, attempt, wait)
            if on_retry is not None:
                on_retry(exc)
            await sleep(wait)
            delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")
