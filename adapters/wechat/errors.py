"""Translate puppet-service failures into the neutral ``PlatformError`` kinds.

The executor decides from the kind alone (retry, record, tell the admins once), so every
reading of a gRPC status lives here. A 1.x service wraps most puppet exceptions as UNKNOWN
with the message in ``details``; those are refusals, not outages, so they do not retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from bot.ports import PlatformError

T = TypeVar("T")

_KINDS = {
    Status.UNAVAILABLE: "transient",
    Status.DEADLINE_EXCEEDED: "transient",
    Status.ABORTED: "transient",
    Status.INTERNAL: "transient",
    Status.RESOURCE_EXHAUSTED: "rate_limited",
    Status.PERMISSION_DENIED: "forbidden",
    Status.UNAUTHENTICATED: "forbidden",
    Status.NOT_FOUND: "not_found",
}


def to_platform_error(exc: BaseException, what: str) -> PlatformError:
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, GRPCError):
        kind = _KINDS.get(exc.status, "bad_request")
        detail = exc.message or exc.status.name
        if kind == "bad_request" and "not in the room" in detail.lower():
            kind = "not_found"
        return PlatformError(kind, f"wechat {what}: {detail}")
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return PlatformError("transient", f"wechat {what}: no answer from the puppet service")
    if isinstance(exc, StreamTerminatedError | ConnectionError | OSError):
        return PlatformError("transient", f"wechat {what}: connection lost ({exc})")
    return PlatformError("bad_request", f"wechat {what}: {exc!r}")


async def call(awaitable: Awaitable[T], what: str, limit: float) -> T:
    """Await a service call with a bound; every failure comes out as ``PlatformError``."""
    try:
        return await asyncio.wait_for(awaitable, limit)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise to_platform_error(exc, what) from exc
