"""Every message the bot sends, through one place: retried as the platform asks, and
self-deleting reminders armed as persisted timers so a restart does not leave them behind."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.admins import AdminDirectory
from bot.clock import Clock
from bot.ports import Adapter, Button, PlatformError
from storage.store import Store

log = logging.getLogger(__name__)

# A raid: more than this many blacklistings in one group within the window. From then on the
# group is not told of each one (the journal and the admins are); a real group sees three.
RAID_NOTICES = 3
RAID_WINDOW = timedelta(minutes=10)

AdapterFor = Callable[[str], Adapter | None]
Retry = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


class Messenger:
    def __init__(
        self,
        adapter_for: AdapterFor,
        store: Store,
        clock: Clock,
        admins: AdminDirectory,
        retry: Retry,
        reminder_delete_after: Any,
    ) -> None:
        self._adapter_for = adapter_for
        self._store = store
        self._clock = clock
        self._admins = admins
        self._retry = retry
        self._delete_after = reminder_delete_after
        # Per process: a missing right is reported to a group's admins once, not per message.
        self._reported_missing: set[tuple[str, str, str]] = set()
        # Per process: when each group was last told of a blacklisting (raid detection).
        self._group_notices: dict[tuple[str, str, str], deque] = {}

    def crowded(self, platform: str, chat_id: str, kind: str, limit: int = RAID_NOTICES) -> bool:
        """Whether the group has already been told of ``limit`` ``kind`` events within
        RAID_WINDOW; counts this one when it is not."""
        now = self._clock.now()
        seen = self._group_notices.setdefault((platform, chat_id, kind), deque())
        while seen and now - seen[0] > RAID_WINDOW:
            seen.popleft()
        if len(seen) >= limit:
            return True
        seen.append(now)
        return False

    async def send(
        self,
        platform: str,
        chat_id: str,
        text: str,
        *,
        mention: Sequence[str] = (),
        buttons: Sequence[Button] = (),
        reply_to: str | None = None,
        ephemeral: bool = False,
    ) -> str | None:
        adapter = self._adapter_for(platform)
        if adapter is None:
            return None
        message_id = await self._retry(
            lambda: adapter.send_message(
                chat_id, text, mention=list(mention), buttons=list(buttons), reply_to=reply_to
            )
        )
        if ephemeral and message_id and adapter.capabilities.delete_own_messages:
            now = self._clock.now()
            due = now + self._delete_after
            await self._store.write(
                lambda r: r.arm_timer(
                    "delete_message",
                    platform,
                    chat_id,
                    None,
                    due,
                    now,
                    {"message_id": message_id},
                    replace=False,
                )
            )
        return message_id

    async def private(
        self, platform: str, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        adapter = self._adapter_for(platform)
        if adapter is None or not adapter.capabilities.private_message:
            return False
        try:
            return bool(
                await self._retry(
                    lambda: adapter.send_private(user_id, text, buttons=list(buttons))
                )
            )
        except PlatformError:
            return False

    async def admin_ids(self, platform: str, chat_id: str) -> list[str]:
        """Whom a text for the group's admins goes to (never the bot itself)."""
        return await self._admins.admin_ids(platform, chat_id)

    async def notify_admins(self, platform: str, chat_id: str, text: str) -> list[str]:
        """Privately where possible; otherwise one message in the group."""
        adapter = self._adapter_for(platform)
        if adapter is None:
            return []
        told = [
            admin_id
            for admin_id in await self._admins.admin_ids(platform, chat_id)
            if await self.private(platform, admin_id, text)
        ]
        if not told:
            await self.send(platform, chat_id, text)
            told.append(f"group:{chat_id}")
        return told

    async def answer_button(self, platform: str, callback_id: str | None, text: str) -> None:
        adapter = self._adapter_for(platform)
        if adapter is None or not callback_id:
            return
        try:
            await self._retry(lambda: adapter.answer_button(callback_id, text))
        except PlatformError as exc:
            # An expired callback must not lose the press, which is already recorded.
            log.info("could not answer button %s: %s", callback_id, exc)

    async def edit(self, platform: str, chat_id: str, message_id: str, text: str) -> None:
        """Replace a sent message's text and remove its buttons, where the adapter can."""
        adapter = self._adapter_for(platform)
        edit = getattr(adapter, "edit_message", None)
        if edit is None:
            return
        try:
            await self._retry(lambda: edit(chat_id, message_id, text))
        except PlatformError as exc:
            # The answer is recorded and the presser was told; a stale keyboard is cosmetic.
            log.info("could not edit message %s in %s: %s", message_id, chat_id, exc)

    async def report_missing_right(
        self, platform: str, chat_id: str, text: str, right: str
    ) -> None:
        key = (platform, chat_id, right)
        if key in self._reported_missing:
            return
        self._reported_missing.add(key)
        try:
            # Privately to the admins (the group need not read about the bot's rights); the
            # group only when no admin can be written to privately.
            await self.notify_admins(platform, chat_id, text)
        except PlatformError as exc:
            log.warning("could not tell admins of %s about a missing right: %s", chat_id, exc)
