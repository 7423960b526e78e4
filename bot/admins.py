"""Who may act in a group: the platform's admins (cached) plus the people named in config.

Asking the platform on every message is slow and rate-limited; reading once goes stale. The
cache lives for a TTL and is dropped when a member update says the admin list changed. That is
good enough for exempting admins from the rules, not for granting power: a command asks the
platform afresh (a demotion within the TTL must count at once), and when the platform cannot
answer the command is refused (fail closed) rather than judged on a stale list.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.events import Member
from bot.ports import Adapter, AdminInfo, PlatformError

log = logging.getLogger(__name__)


class RightsUnknown(Exception):
    """The platform could not say who its admins are right now."""


@dataclass(slots=True)
class _Entry:
    admins: dict[str, AdminInfo]
    fetched_at: datetime


class AdminDirectory:
    def __init__(
        self,
        settings: Settings,
        adapters: dict[str, Adapter],
        clock: Clock,
        ttl: timedelta,
        filed: Callable[[str, str], Awaitable[bool]] | None = None,
    ) -> None:
        self._settings = settings
        self._filed = filed
        self._adapters = adapters
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], _Entry] = {}

    def invalidate(self, platform: str, chat_id: str) -> None:
        self._cache.pop((platform, chat_id), None)

    async def platform_admins(
        self, platform: str, chat_id: str, *, fresh: bool = False, strict: bool = False
    ) -> dict[str, AdminInfo]:
        """The platform's admins of a chat. ``fresh`` asks the platform even within the TTL;
        ``fresh`` or ``strict`` raise RightsUnknown when the platform cannot answer, instead of
        falling back to the last known list."""
        key = (platform, chat_id)
        entry = self._cache.get(key)
        now = self._clock.now()
        if not fresh and entry is not None and now - entry.fetched_at < self._ttl:
            return entry.admins
        adapter = self._adapters.get(platform)
        if adapter is None:
            return {}
        try:
            admins = {a.user_id: a for a in await adapter.get_admins(chat_id)}
        except PlatformError as exc:
            if fresh or strict:
                raise RightsUnknown(f"{platform}:{chat_id}: {exc}") from exc
            log.warning(
                "cannot read admins of %s:%s (%s); using last known", platform, chat_id, exc
            )
            return entry.admins if entry is not None else {}
        self._cache[key] = _Entry(admins, now)
        return admins

    def config_admins(self, platform: str, chat_id: str) -> set[str]:
        named = {a.user_id for a in self._settings.admins if a.platform == platform}
        group = self._settings.group(platform, chat_id)
        if group is not None:
            named.update(group.admins)
        return named

    async def is_admin(self, platform: str, chat_id: str, member: Member) -> bool:
        if member.is_platform_admin or member.user_id in self.config_admins(platform, chat_id):
            return True
        return member.user_id in await self.platform_admins(platform, chat_id)

    def is_global_admin(self, platform: str, user_id: str) -> bool:
        """Named under top-level ``admins``: entitled in every managed group."""
        return any(a.platform == platform and a.user_id == user_id for a in self._settings.admins)

    async def is_registered(self, platform: str, chat_id: str) -> bool:
        """A group on record: listed in config ``groups``, or filed through the approval chain
        (G2, G3). An unregistered group's admins act in that group only: owning some chat the
        bot was added to grants nothing elsewhere."""
        if self._settings.group(platform, chat_id) is not None:
            return True
        return self._filed is not None and await self._filed(platform, chat_id)

    async def can(self, platform: str, chat_id: str, member: Member, right: str | None) -> bool:
        """Config-named admins and anonymous/owner admins may do anything; platform admins need
        the matching right (e.g. can_restrict_members for /mute), confirmed with the platform
        now. Raises RightsUnknown when the platform cannot confirm it (fail closed)."""
        if member.is_platform_admin or member.user_id in self.config_admins(platform, chat_id):
            return True
        info = (await self.platform_admins(platform, chat_id, fresh=True)).get(member.user_id)
        if info is None:
            return False
        return right is None or info.can(right)

    async def is_admin_anywhere(self, platform: str, user_id: str) -> bool:
        """Named in config for any group, or an admin of any registered group on the platform.
        Used before a blacklisting, which reaches every group: raises RightsUnknown when a
        registered group's admins cannot be read."""
        if self.is_global_admin(platform, user_id):
            return True
        for group in self._settings.groups:
            if group.platform != platform:
                continue
            if user_id in group.admins:
                return True
            # The cache within its TTL is enough here: demotions only make this answer safer.
            if user_id in await self.platform_admins(platform, group.chat_id, strict=True):
                return True
        return False

    async def admin_ids(self, platform: str, chat_id: str) -> list[str]:
        """People to tell: never the bot itself, which is usually an admin too."""
        ids = set(self.config_admins(platform, chat_id))
        ids.update(await self.platform_admins(platform, chat_id))
        own = getattr(self._adapters.get(platform), "self_user_id", None)
        ids.discard(own)
        return sorted(ids)
