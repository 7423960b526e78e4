"""Opening an existing record for reading, and naming what it refers to.

``audit`` and ``report`` read a record; they must never create one. Opening a database
that is not there would otherwise give an empty SQLite file and "0 action(s)", which reads
as "nothing happened" rather than "wrong database".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from bot.config import GroupSettings, Settings
from storage.models import Group, Member
from storage.repository import Repository
from storage.store import Store


class RecordUnavailable(Exception):
    """The database is missing, unreachable, or holds no GroupGuard record."""


def _missing(database: str) -> bool:
    # A quick stat before any connection: SQLite would create the file on connect.
    return database in ("", ":memory:") or not Path(database).is_file()


async def open_existing(settings: Settings, *, need_journal: bool = False) -> Store:
    url = settings.database.resolved_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if _missing(database):
            raise RecordUnavailable(
                f"no database at {database or ':memory:'} — nothing was created; check "
                f"database.url or {settings.database.url_env}"
            )
    try:
        store = await Store.open(url, retry_for=5, migrate=False)
        async with store.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    except RecordUnavailable:
        raise
    except Exception as exc:  # unreachable server, unknown database, bad password
        raise RecordUnavailable(
            f"cannot open the database {parsed.render_as_string(hide_password=True)}: "
            f"{type(exc).__name__}"
        ) from None
    if "actions" not in tables:
        await store.close()
        raise RecordUnavailable("this database holds no GroupGuard record (no actions table)")
    if need_journal and "journal" not in tables:
        await store.close()
        raise RecordUnavailable(
            "this database predates the journal: run `groupguard db upgrade` first"
        )
    return store


@dataclass(frozen=True, slots=True)
class Directory:
    """Who and what the internal ids are: members' nicknames and groups' registered names
    (config ``groups[].name``, the name filed for the group), with the owning unit."""

    settings: Settings
    nicknames: dict[tuple[str, str, str], str]
    titles: dict[tuple[str, str], str]

    def registered(self, platform: str, chat_id: str) -> GroupSettings | None:
        return next(
            (g for g in self.settings.groups if (g.platform, g.chat_id) == (platform, chat_id)),
            None,
        )

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


async def load_directory(
    repo: Repository, settings: Settings, chats: Iterable[tuple[str, str]] | None = None
) -> Directory:
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
    return Directory(settings, nicknames, titles)
