"""Translate python-telegram-bot errors into the neutral ``PlatformError`` kinds.

The executor decides what to do from the kind alone (retry, record, tell the admins once), so
every Telegram-specific reading of an error message lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.ports import PlatformError

# Telegram answers 400, not 403, when the bot is an admin without the right it needs; these
# fragments (lower-cased) are how such refusals read. "message can't be deleted" is what a
# group answers when the bot lacks can_delete_messages.
_RIGHTS_FRAGMENTS = (
    "not enough rights",
    "need administrator rights",
    "chat_admin_required",
    "have no rights",
    "message can't be deleted",
    "not an administrator",
    "method is available only for supergroups",
)
# The thing acted on is gone: nothing to retry, nothing to report to the admins.
_NOT_FOUND_FRAGMENTS = (
    "message to delete not found",
    "message to edit not found",
    "user not found",
    "chat not found",
    "participant_id_invalid",
    "user_not_participant",
    "member not found",
    "query is too old",
    "query id is invalid",
)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def to_platform_error(exc: TelegramError) -> PlatformError:
    """Map one PTB exception to a ``PlatformError`` (the caller chains the original)."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return PlatformError("rate_limited", text, retry_after=_seconds(exc.retry_after))
    if isinstance(exc, ChatMigrated):
        # A group upgraded to a supergroup has a new id; retrying the old one never works.
        return PlatformError("bad_request", f"chat migrated to {exc.new_chat_id}")
    if isinstance(exc, Forbidden):
        return PlatformError("forbidden", text)
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest subclasses it
        if any(fragment in lowered for fragment in _RIGHTS_FRAGMENTS):
            return PlatformError("forbidden", text)
        if any(fragment in lowered for fragment in _NOT_FOUND_FRAGMENTS):
            return PlatformError("not_found", text)
        return PlatformError("bad_request", text)
    if isinstance(exc, InvalidToken):
        return PlatformError("bad_request", f"invalid bot token: {text}")
    if isinstance(exc, Conflict):
        # Another instance is polling with the same token; it may stop, so try again later.
        return PlatformError("transient", text)
    if isinstance(exc, NetworkError):  # includes TimedOut and every 5xx
        return PlatformError("transient", text)
    return PlatformError("bad_request", text)


@asynccontextmanager
async def platform_errors() -> AsyncIterator[None]:
    """``async with platform_errors(): await bot.x(...)`` raises only ``PlatformError``."""
    try:
        yield
    except TelegramError as exc:
        raise to_platform_error(exc) from exc
