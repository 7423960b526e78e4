"""Who and what internal ids are, for people reading the record: members' nicknames and
groups' registered names and units. Used by reports and incident notices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from bot.config import GroupSettings, Settings
from storage.models import Group, Member
from storage.repository import Repository


@dataclass(frozen=True, slots=True)
class Names:
    """Who and what the internal ids are: members' nicknames and groups' registered names
    (config ``groups[].name``, the name filed for the group), with the owning unit."""

    settings: Settings
    nicknames: dict[tuple[str, str, str], str]
    titles: dict[tuple[str, str], str]

    def registered(self, platform: str, chat_id: str) -> GroupSettings | None:
        return self.settings.group(platform, chat_id)

    def group(self, platform: str, chat_id: str) -> str:
        entry = self.registered(platform, chat_id)
        if entry is not None and entry.name:
            return entry.name
        return self.titles.get((platform, chat_id)) or f"{platform}:{chat_id}"

    def unit(self, platform: str, chat_id: str, unknown: str = "-") -> str:
        entry = self.registered(platform, chat_id)
        return entry.unit if entry is not None and entry.unit else unknown

    def nickname(self, platform: str, chat_id: str, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        return self.nicknames.get((platform, chat_id, user_id))

    def member(self, platform: str, chat_id: str, user_id: str | None) -> str:
        if user_id is None:
            return "-"
        name = self.nickname(platform, chat_id, user_id)
        return f"{name} ({user_id})" if name else user_id


async def load_names(
    repo: Repository, settings: Settings, chats: Iterable[tuple[str, str]] | None = None
) -> Names:
    """Names for the given chats (every chat when None)."""
    wanted = None if chats is None else set(chats)
    members = select(Member.platform, Member.chat_id, Member.user_id, Member.nickname)
    groups = select(Group.platform, Group.chat_id, Group.title)
    nicknames = {
        (p, c, u): n
        for p, c, u, n in (await repo.c.execute(members)).all()
        if wanted is None or (p, c) in wanted
    }
    titles = {(p, c): t for p, c, t in (await repo.c.execute(groups)).all() if t}
    return Names(settings, nicknames, titles)
