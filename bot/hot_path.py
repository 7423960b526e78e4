"""The per-message hot path: a per-process cache and group commit.

Nearly every message is ordinary: known sender, same nickname, nothing to do. Paying a
database round trip (or five) for each would cap the bot at a few hundred messages a second.
Instead the member, group and blacklist state this process has seen is cached, and the two
writes every message still needs (its update id; a member change) are queued and committed
in batches — at most ``max_batch`` rows or ``max_delay`` seconds later.

Durability: before any action is taken the queue is flushed, so everything a decision rests
on is committed first. A crash can lose at most ``max_delay`` of update ids of messages that
needed no action; handling such a message again is harmless. Repeats are detected in memory
against the most recent ``recent_ids`` update ids, preloaded from the database on start.

Several instances (PostgreSQL): each caches what it has seen. Every change to cached state
(a quiet flag, a blacklisting, a member's mute or removal) is written with its action's
outcome as a row of ``state_changes``; each instance reads the rows after the last it saw
every ``changes_poll`` seconds (one indexed query) and drops or re-reads what they name, so a
change made through one instance holds in the others within that time. The whole blacklist
is still re-read every ``refresh_every`` seconds, in case a row was written some other way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.actions.spec import GROUP_STATE, LISTING, MEMBER_STATE
from storage.db import is_transient
from storage.repository import BulkRepository, MemberRow, Repository
from storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _MemberSave:
    previous: MemberRow | None
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fresh:
    """A member's row and blacklisting as just read, for the cache."""

    member: MemberRow | None
    blacklisted: bool


class HotPath:
    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 500,
        max_delay: float = 0.05,
        recent_ids: int = 100_000,
        refresh_every: float = 60.0,
        changes_poll: float = 0.5,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.recent_capacity = recent_ids
        self.refresh_every = refresh_every
        self.changes_poll = changes_poll
        self._last_change = 0
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._members: dict[tuple[str, str, str], MemberRow] = {}
        self._groups: dict[tuple[str, str], bool] = {}
        # Chats whose members were all loaded at once: a cache miss there means a new member.
        self._loaded_chats: set[tuple[str, str]] = set()
        self._blacklist: set[tuple[str, str]] = set()
        self._pending_updates: list[dict[str, Any]] = []
        self._pending_members: list[_MemberSave] = []
        self._oldest_pending: float | None = None
        self._flush_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        ids, blacklist, self._last_change = await self.store.read(self._preload)
        for key in reversed(ids):
            self._recent[key] = None
        self._blacklist = blacklist
        self._task = asyncio.create_task(self._flusher())

    async def _preload(self, repo: Repository) -> tuple[list[tuple[str, str]], set, int]:
        bulk = BulkRepository(repo.c)
        return (
            await bulk.recent_update_ids(self.recent_capacity),
            await bulk.active_blacklist(),
            await bulk.last_change(),
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self.flush()

    async def _flusher(self) -> None:
        last_refresh = last_changes = time.monotonic()
        while True:
            # Wake when the oldest queued row has waited max_delay, not on a fixed beat: a
            # younger row may still ride with the flush that precedes an action, and a beat
            # falling between its arrival and that flush would cost the message a transaction.
            await asyncio.sleep(max(self._due_in(), self.max_delay / 10))
            try:
                if self._due_in() <= 0:
                    await self.flush()
                if time.monotonic() - last_changes >= self.changes_poll:
                    last_changes = time.monotonic()
                    await self.follow_changes()
                if time.monotonic() - last_refresh > self.refresh_every:
                    self._blacklist = await self.store.read(
                        lambda r: BulkRepository(r.c).active_blacklist()
                    )
                    last_refresh = time.monotonic()
            except Exception:
                log.exception("background flush failed; will retry")

    async def follow_changes(self) -> int:
        """Apply the changes recorded since the last seen (by any instance); returns how
        many were read."""
        changes = await self.store.read(lambda r: r.changes_since(self._last_change))
        seen: set[tuple[str, str, str | None, str | None]] = set()
        for change in changes:
            key = (change.scope, change.platform, change.chat_id, change.user_id)
            if key not in seen:
                seen.add(key)
                await self.invalidate(
                    change.platform, change.chat_id or "", change.user_id, {change.scope}
                )
            self._last_change = change.id
        return len(changes)

    # ------------------------------------------------------------------ updates
    def claim(self, platform: str, update_id: str, at: datetime) -> bool:
        """False for an update id already seen; otherwise remembered and queued."""
        if not self.first_sight(platform, update_id):
            return False
        self.queue_claim(platform, update_id, at)
        return True

    def first_sight(self, platform: str, update_id: str) -> bool:
        """False for an update id already seen; otherwise remembered (not yet written: an
        update that leads to actions is claimed with their intents, see Executor.apply)."""
        if (platform, update_id) in self._recent:
            return False
        self.remember(platform, update_id)
        return True

    def queue_claim(self, platform: str, update_id: str, at: datetime) -> None:
        """Claim an update that needed no action, in the next group commit."""
        self._pending_updates.append({"platform": platform, "update_id": update_id, "at": at})
        self._mark_pending()

    def remember(self, platform: str, update_id: str) -> None:
        self._recent[(platform, update_id)] = None
        if len(self._recent) > self.recent_capacity:
            self._recent.popitem(last=False)

    @property
    def pending(self) -> int:
        """Rows queued for the next group commit (a gauge of the metrics endpoint)."""
        return len(self._pending_updates) + len(self._pending_members)

    def _mark_pending(self) -> None:
        if self._oldest_pending is None:
            self._oldest_pending = time.monotonic()

    # ------------------------------------------------------------------ state
    async def group_quiet(
        self, platform: str, chat_id: str, title: str | None, at: datetime
    ) -> bool:
        key = (platform, chat_id)
        quiet = self._groups.get(key)
        if quiet is None:
            load_members = key not in self._loaded_chats

            async def touch(repo: Repository) -> tuple[bool, list[MemberRow]]:
                flag = await repo.touch_group(platform, chat_id, title, at)
                rows = await repo.members_of(platform, chat_id) if load_members else []
                return flag, rows

            quiet, rows = await self.store.write(touch)
            self._groups[key] = quiet
            if load_members:
                # One query per chat instead of one per member on first sight.
                for row in rows:
                    self._members.setdefault((platform, chat_id, row.user_id), row)
                self._loaded_chats.add(key)
        return quiet

    async def member(self, platform: str, chat_id: str, user_id: str) -> MemberRow | None:
        key = (platform, chat_id, user_id)
        row = self._members.get(key)
        if row is None and (platform, chat_id) not in self._loaded_chats:
            row = await self.store.read(lambda r: r.member(platform, chat_id, user_id))
            if row is not None:
                self._members[key] = row
        return row

    def is_blacklisted(self, platform: str, user_id: str) -> bool:
        return (platform, user_id) in self._blacklist

    def save_member(
        self,
        previous: MemberRow | None,
        *,
        platform: str,
        chat_id: str,
        user_id: str,
        nickname: str,
        username: str | None,
        at: datetime,
    ) -> MemberRow:
        """Queue a new member or a changed name; the cache reflects it at once."""
        row = MemberRow(
            platform=platform,
            chat_id=chat_id,
            user_id=user_id,
            nickname=nickname,
            username=username,
            status=previous.status if previous else "active",
            restricted_until=previous.restricted_until if previous else None,
            nickname_deadline=previous.nickname_deadline if previous else None,
        )
        self._members[(platform, chat_id, user_id)] = row
        self._pending_members.append(
            _MemberSave(
                previous,
                {
                    "platform": platform,
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "nickname": nickname,
                    "username": username,
                    "at": at,
                },
            )
        )
        self._mark_pending()
        return row

    async def invalidate(
        self,
        platform: str,
        chat_id: str,
        user_id: str | None,
        scopes: Collection[str] | None = None,
        fresh: Fresh | None = None,
    ) -> None:
        """Re-read cached state an action changed; ``scopes`` (what the action specs declare
        they invalidate) narrows it, None means everything. A delete or a warning changes
        nothing cached, so it costs nothing here. ``fresh`` is what ``reread`` already read
        inside the caller's transaction (the outcomes'), saving a round trip."""
        touched = {GROUP_STATE, MEMBER_STATE, LISTING} if scopes is None else set(scopes)
        if GROUP_STATE in touched:
            self._groups.pop((platform, chat_id), None)
        if user_id is None or not touched & {MEMBER_STATE, LISTING}:
            return
        if fresh is None:
            fresh = await self.store.read(
                lambda r: self.reread(r, platform, chat_id, user_id, touched)
            )
        if MEMBER_STATE in touched:
            if fresh.member is None:
                self._members.pop((platform, chat_id, user_id), None)
            else:
                self._members[(platform, chat_id, user_id)] = fresh.member
        if LISTING in touched:
            if fresh.blacklisted:
                self._blacklist.add((platform, user_id))
            else:
                self._blacklist.discard((platform, user_id))

    @staticmethod
    async def reread(
        repo: Repository, platform: str, chat_id: str, user_id: str, scopes: Collection[str]
    ) -> Fresh:
        """Read (not apply) what ``invalidate`` needs, in the caller's transaction."""
        member = await repo.member(platform, chat_id, user_id) if MEMBER_STATE in scopes else None
        listed = await repo.is_blacklisted(platform, user_id) if LISTING in scopes else False
        return Fresh(member, listed)

    async def refresh_blacklisted(self, platform: str, user_id: str) -> None:
        await self.invalidate(platform, "", user_id, {LISTING})

    # ------------------------------------------------------------------ group commit
    def _due_in(self) -> float:
        """Seconds until the oldest queued row has waited ``max_delay`` (≤ 0: it has); with
        nothing queued, ``max_delay``."""
        if self._oldest_pending is None:
            return self.max_delay
        return self._oldest_pending + self.max_delay - time.monotonic()

    async def maybe_flush(self) -> None:
        pending = len(self._pending_updates) + len(self._pending_members)
        if pending >= self.max_batch or self._due_in() <= 0:
            await self.flush()

    async def flush(
        self, also: Callable[[Repository], Awaitable[T]] | None = None, *, also_writes: bool = False
    ) -> T | None:
        """Commit the queue; ``also`` runs in the same transaction (one round trip for the
        flush that precedes an action, the history query it needs and its intents);
        ``also_writes`` says it writes, so it commits even when the queue is empty."""
        alone = self.store.write if also_writes else self.store.read
        async with self._flush_lock:
            if not self._pending_updates and not self._pending_members:
                return await alone(also) if also is not None else None
            updates, members = self._pending_updates, self._pending_members
            self._pending_updates, self._pending_members = [], []
            self._oldest_pending = None

            async def write(repo: Repository) -> T | None:
                await _write_batch(repo, updates, members)
                return await also(repo) if also is not None else None

            try:
                return await self.store.write(write)
            except Exception as exc:
                if is_transient(exc):
                    # The database is away: keep the batch for the next attempt.
                    self._requeue(updates, members)
                    raise
                # A row the database refuses must not take the good rows with it, nor fail
                # every later batch: write row by row and drop (and log) only what fails.
                log.exception(
                    "a batched write failed; writing its %d rows one by one",
                    len(updates) + len(members),
                )
                await self._write_each(updates, members)
                return await alone(also) if also is not None else None
            except BaseException:
                self._requeue(updates, members)
                raise

    def _requeue(self, updates: list[dict[str, Any]], members: list[_MemberSave]) -> None:
        self._pending_updates = updates + self._pending_updates
        self._pending_members = members + self._pending_members
        self._mark_pending()

    async def _write_each(self, updates: list[dict[str, Any]], members: list[_MemberSave]) -> None:
        singles: list[tuple[list[dict[str, Any]], list[_MemberSave]]] = [
            ([u], []) for u in updates
        ] + [([], [m]) for m in members]
        for rows, saves in singles:
            try:
                await self.store.write(lambda r, u=rows, m=saves: _write_batch(r, u, m))
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.error("dropped a row the database refuses: %r (%s)", rows or saves, exc)


async def _write_batch(
    repo: Repository, updates: list[dict[str, Any]], members: list[_MemberSave]
) -> None:
    bulk = BulkRepository(repo.c)
    await bulk.claim_updates_bulk(updates)
    # New members in one statement first; name changes (which may follow an insert in the
    # same batch) after, in the order they happened.
    await bulk.insert_members_bulk([m.values for m in members if m.previous is None])
    for save in members:
        if save.previous is not None:
            await repo.save_member(save.previous, **save.values)
