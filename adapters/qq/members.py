"""Who is who in QQ groups: member look-ups with a short cache, the group list, and the last
name seen per member (so a card change is noticed on the next message where the
implementation sends no ``group_card`` notice)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.qq.convert import display_name, ident, member_from_info, wire_id
from bot.events import Member
from bot.ports import PlatformError

Call = Callable[..., Awaitable[Any]]
# Bounds memory in a large deployment; an evicted entry only costs one look-up or one
# missed "card changed" on a message (the join or the next notice catches it again).
MAX_ENTRIES = 50_000


class _Bounded(OrderedDict[tuple[str, str], Any]):
    def put(self, key: tuple[str, str], value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_ENTRIES:
            self.popitem(last=False)


class MemberDirectory:
    def __init__(self, call: Call, ttl: float, self_id: Callable[[], str | None]) -> None:
        self._call = call
        self._ttl = ttl
        self._self_id = self_id
        self._info = _Bounded()  # (group, user) → (fetched at, info)
        self._names = _Bounded()  # (group, user) → the last display name seen
        self._titles: dict[str, str] = {}
        self._groups: set[str] = set()
        self._groups_read_at = 0.0

    # -- names ----------------------------------------------------------------------------

    def note_name(self, group: str, user: str, name: str) -> str | None:
        """Remember ``name``; returns the previous one when it differs (a card change)."""
        key = (group, user)
        previous = self._names.get(key)
        self._names.put(key, name)
        return previous if previous is not None and previous != name else None

    def last_name(self, group: str, user: str) -> str | None:
        return self._names.get((group, user))

    def shared_group(self, user: str) -> str | None:
        """A group where ``user`` was last seen: QQ lets a bot write to a member who is not a
        friend only through such a group (a temporary session)."""
        for group, member in reversed(self._names):
            if member == user:
                return group
        return None

    def forget(self, group: str, user: str) -> None:
        self._info.pop((group, user), None)
        self._names.pop((group, user), None)

    # -- look-ups -------------------------------------------------------------------------

    async def info(self, group: str, user: str, *, fresh: bool = False) -> Mapping[str, Any]:
        key = (group, user)
        hit = self._info.get(key)
        if hit is not None and not fresh and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        data = await self._call(
            "get_group_member_info",
            group_id=wire_id(group),
            user_id=wire_id(user),
            no_cache=fresh,
        )
        info = data if isinstance(data, Mapping) else {}
        self._info.put(key, (time.monotonic(), info))
        return info

    async def member(self, group: str, user: str, *, fresh: bool = False) -> Member:
        """The member as the rules see them; a failed look-up gives the last name seen."""
        try:
            info = await self.info(group, user, fresh=fresh)
        except PlatformError:
            info = {}
        if not info:
            return Member(user_id=user, nickname=self.last_name(group, user) or user)
        return member_from_info({**info, "user_id": user}, self._self_id())

    async def stranger_name(self, user: str) -> str:
        try:
            data = await self._call("get_stranger_info", user_id=wire_id(user))
        except PlatformError:
            return user
        if isinstance(data, Mapping):
            return display_name(None, data.get("nickname"), user)
        return user

    async def member_list(self, group: str) -> list[Mapping[str, Any]]:
        data = await self._call("get_group_member_list", group_id=wire_id(group))
        return [m for m in data or () if isinstance(m, Mapping)]

    # -- groups ---------------------------------------------------------------------------

    def note_group(self, group: str) -> None:
        self._groups.add(group)

    async def title(self, group: str) -> str | None:
        if group in self._titles:
            return self._titles[group]
        try:
            data = await self._call("get_group_info", group_id=wire_id(group))
        except PlatformError:
            return None
        name = data.get("group_name") if isinstance(data, Mapping) else None
        if isinstance(name, str) and name:
            self._titles[group] = name
            return name
        return None

    async def is_group(self, chat_id: str) -> bool:
        """Whether ``chat_id`` is a group of the bot's (else it is a person: a private chat).

        Group and account numbers are separate in QQ, so the same digits could name both;
        the bot's own group list decides, re-read at most once a minute on a miss."""
        if chat_id in self._groups:
            return True
        if time.monotonic() - self._groups_read_at > 60:
            self._groups_read_at = time.monotonic()
            try:
                data = await self._call("get_group_list")
            except PlatformError:
                data = None
            for group in data or ():
                if isinstance(group, Mapping) and (gid := ident(group.get("group_id"))):
                    self._groups.add(gid)
                    name = group.get("group_name")
                    if isinstance(name, str) and name:
                        self._titles[gid] = name
        return chat_id in self._groups
