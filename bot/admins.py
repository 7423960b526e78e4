"""Who may act in a group: the platform's admins (cached) plus the people named in config.

Asking the platform on every command is slow and rate-limited; reading once goes stale. The
cache lives for a TTL and is dropped when a member update says the admin list changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.events import Member
from bot.ports import Adapter, AdminInfo, PlatformError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Entry:
    admins: dict[str, AdminInfo]
    fetched_at: datetime


class AdminDirectory:
    def __init__(
        self, settings: Settings, adapters: dict[str, Adapter], clock: Clock, ttl: timedelta
    ) -> None:
        self._settings = settings
        self._adapters = adapters
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], _Entry] = {}

    def invalidate(self, platform: str, chat_id: str) -> None:
        self._cache.pop((platform, chat_id), None)

    async def platform_admins(self, platform: str, chat_id: str) -> dict[str, AdminInfo]:
        key = (platform, chat_id)
        entry = self._cache.get(key)
        now = self._clock.now()
        if entry is not None and now - entry.fetched_at < self._ttl:
            return entry.admins
        adapter = self._adapters.get(platform)
        if adapter is None:
            return {}
        try:
            admins = {a.user_id: a for a in await adapter.get_admins(chat_id)}
        except PlatformError as exc:
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

    async def can(self, platform: str, chat_id: str, member: Member, right: str | None) -> bool:
        """Config-named admins and anonymous/owner admins may do anything; platform admins need
        the matching right (e.g. can_restrict_members for /mute)."""
        if member.is_platform_admin or member.user_id in self.config_admins(platform, chat_id):
            return True
        info = (await self.platform_admins(platform, chat_id)).get(member.user_id)
        if info is None:
            return False
        return right is None or info.can(right)

    async def admin_ids(self, platform: str, chat_id: str) -> list[str]:
        """People to tell: never the bot itself, which is usually an admin too."""
        ids = set(self.config_admins(platform, chat_id))
        ids.update(await self.platform_admins(platform, chat_id))
        own = getattr(self._adapters.get(platform), "self_user_id", None)
        ids.discard(own)
        return sorted(ids)
