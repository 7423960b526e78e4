"""Dry-run as a wrapper around the adapter: reads pass through, acts are recorded only.

The specs run unchanged, so a dry run exercises the same decisions, fallbacks and journal
rows as a real one; only the platform is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.ports import Adapter

log = logging.getLogger(__name__)

_ACTS = frozenset(
    {
        "send_message",
        "send_private",
        "delete_message",
        "mute",
        "unmute",
        "remove",
        "ban",
        "unban",
        "set_quiet",
        "answer_button",
        "answer_join_request",
        "set_nickname",
    }
)


class DryRunAdapter:
    def __init__(self, inner: Adapter) -> None:
        self._inner = inner
        self.platform = inner.platform
        self.capabilities = inner.capabilities
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        if name in _ACTS:

            async def recorded(*args: Any, **kwargs: Any) -> None:
                self.calls.append((name, args))
                log.info("dry run: %s%r not sent", name, args)
                return None

            return recorded
        return getattr(self._inner, name)
