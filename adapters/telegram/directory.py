"""Usernames and names learned from seen updates, so ``/mute @name`` can find a user id.

The Bot API cannot look a user up by @username, so the adapter remembers every user it sees.
Usernames are unique across Telegram, so one map serves every chat; it is bounded so a busy
bot does not grow without limit (the least recently seen users are forgotten first).
"""

from __future__ import annotations

from collections import OrderedDict

from bot.events import Member


class UserDirectory:
    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._by_id: OrderedDict[str, Member] = OrderedDict()
        self._id_by_username: dict[str, str] = {}

    def learn(self, member: Member) -> None:
        old = self._by_id.pop(member.user_id, None)
        if old is not None and old.username:
            self._id_by_username.pop(old.username.lower(), None)
        self._by_id[member.user_id] = member
        if member.username:
            self._id_by_username[member.username.lower()] = member.user_id
        while len(self._by_id) > self._capacity:
            _, evicted = self._by_id.popitem(last=False)
            if evicted.username:
                key = evicted.username.lower()
                if self._id_by_username.get(key) == evicted.user_id:
                    del self._id_by_username[key]

    def by_username(self, username: str) -> Member | None:
        user_id = self._id_by_username.get(username.lstrip("@").lower())
        return self._by_id.get(user_id) if user_id is not None else None

    def by_id(self, user_id: str) -> Member | None:
        return self._by_id.get(user_id)

    def __len__(self) -> int:
        return len(self._by_id)
