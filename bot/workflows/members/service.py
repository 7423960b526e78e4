"""Members (issue 12, REQUIREMENTS M3-M6): who a member is by the roster, strangers (无关人员)
and invitations by the unentitled flagged to the admins, the member cap, departures, and the
member audit (on request and on a persisted schedule).

Everything that changes something or refuses someone is journaled through ``record`` /
``apply_one`` (the append-only ``actions`` table, shown by ``groupguard audit``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.actions.messenger import Messenger
from bot.actions.spec import Target
from bot.admins import AdminDirectory
from bot.clock import Clock, local_minute
from bot.config import Settings
from bot.directory.service import Directory
from bot.events import (
    AnyEvent,
    CommandIssued,
    JoinRequested,
    Member,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    NicknameChanged,
)
from bot.i18n import Catalogue
from bot.members_settings import GroupMembersPolicy
from bot.ports import Adapter, Button, PlatformError
from bot.workflows.kernel import Answer, Request, TimerDue, button
from bot.workflows.members.audit import MemberAudit
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from rules.nickname import clean_nickname
from storage.directory import DirectoryRepository, PersonRow, RegistryRow
from storage.repository import Repository
from storage.roster import ACTIVE, FlagRow, RosterRepository, RosterRow
from storage.store import Store

log = logging.getLogger(__name__)

WORKFLOW = "mem"  # buttons wf:mem:<flag id>:keep|remove
LEFT_POST = "mem_left_post"  # a roster import marked people 调离/离职: tell them and owners
ARTICLE_ROSTER = "R2 Art.12"
ARTICLE_INVITE = "R2 Art.11"
ARTICLE_CAP = "R1 Art.4"
ARTICLE_LEAVE = "R2 Art.12"
ARTICLE_POST = "R1 Art.14"
# A member's last message is written at most this often: exact enough for "inactive 30
# days", and it keeps the per-message path free of writes.
ACTIVITY_RESOLUTION = timedelta(hours=1)
ACTIVITY_BATCH, ACTIVITY_FLUSH = 500, timedelta(minutes=1)
# The owner's consent to leave counts for a departure within this long (R2 Art.12(5)).
CONSENT_VALID = timedelta(days=30)
# The name part of a nickname ends at the first separator: 张三-党群工作部, 张三（党群工作部）.
_NAME_SPLIT = re.compile(r"[-－—–_|/（(·\s]+")

Record = Callable[[Target, Decision, str, dict[str, Any], str, str], Awaitable[int]]
ApplyOne = Callable[[Target, Decision], Awaitable[Any]]
AdapterFor = Callable[[str], Adapter | None]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a member is: a roster entry or a directory person."""

    name: str
    unit: str
    department: str
    status: str  # active / transferred / departed
    source: str  # roster / directory


def split_nickname(nickname: str) -> tuple[str, str]:
    """(name, unit part) of a real-name nickname:
    张三-党群工作部（宣传科） → 张三, 党群工作部（宣传科）."""
    cleaned = clean_nickname(nickname)
    parts = _NAME_SPLIT.split(cleaned, maxsplit=1)
    name = parts[0].strip()
    rest = parts[1].strip().strip("（）()") if len(parts) > 1 else ""
    return name, rest


def _unit_matches(rest: str, unit: str, department: str) -> bool:
    if not rest:
        return False
    return any(u and (u in rest or rest in u) for u in (unit, department))


class Members:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        catalogue: Catalogue,
        clock: Clock,
        messenger: Messenger,
        adapter_for: AdapterFor,
        admins: AdminDirectory,
        directory: Directory,
        record: Record,
        apply_one: ApplyOne,
    ) -> None:
        self.settings = settings
        self.cfg = settings.members
        self.store = store
        self.t = catalogue.t
        self.clock = clock
        self.messenger = messenger
        self.adapter_for = adapter_for
        self.admins = admins
        self.directory = directory
        self.record = record
        self.apply_one = apply_one
        # Per process, so the per-message path reads nothing: when each member's activity
        # was last written.
        self._activity_written: dict[tuple[str, str, str], datetime] = {}
        # Activity waiting to be written, in one transaction per batch rather than one per
        # member (a crash loses at most a minute of it, nothing for a 30-day rule).
        self._activity_pending: dict[tuple[str, str, str], datetime] = {}
        self._activity_flushed: datetime | None = None
        # Other parts of the members workflow that must see joins (a lost account is
        # restricted in a group it joins later); set when the workflow is put together.
        self.join_hooks: tuple[Callable[[MemberJoined], Awaitable[None]], ...] = ()
        self.audits = MemberAudit(self)

    # ------------------------------------------------------------------ helpers
    def local(self, moment: datetime) -> str:
        return local_minute(moment, self.settings.zone)

    async def journal(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        actor: str,
        user_id: str | None = None,
        *,
        outcome: str = "done",
        detail: str = "",
        params: dict[str, Any] | None = None,
        article: str = ARTICLE_ROSTER,
        category: str = "members",
    ) -> None:
        await self.record(
            Target(platform, chat_id, None, user_id, "", actor=actor),
            Decision(
                rule="members",
                article=article,
                category=category,
                severity="info",
                actions=(),
                user_id=user_id,
                reason=kind,
            ),
            f"mem:{kind}",
            params or {},
            outcome,
            detail,
        )

    async def group(self, platform: str, chat_id: str) -> RegistryRow | None:
        return await self.directory.group(platform, chat_id)

    def policy(self, platform: str, chat_id: str, group: RegistryRow | None) -> GroupMembersPolicy:
        return self.cfg.for_group(
            platform,
            chat_id,
            group.group_class if group else "internal",
            group.member_cap if group else None,
        )

    def label(self, group: RegistryRow | None, chat_id: str, title: str | None = None) -> str:
        if group is not None and group.name:
            return group.name
        return title or chat_id

    def _is_self(self, platform: str, member: Member) -> bool:
        own = getattr(self.adapter_for(platform), "self_user_id", None)
        return own is not None and member.user_id == own

    async def tell_person(self, person: PersonRow, text: str) -> list[str]:
        told = []
        for platform, user_id in person.accounts:
            if await self.messenger.private(platform, user_id, text):
                told.append(f"{platform}:{user_id}")
        return told

    async def tell_owner(
        self, group: RegistryRow | None, platform: str, chat_id: str, text: str
    ) -> list[str]:
        """The responsible person privately (through the directory); failing that, the admins."""
        told: list[str] = []
        if group is not None and group.responsible:
            person = await self.directory.person(group.responsible)
            if person is not None:
                told = await self.tell_person(person, text)
        if not told:
            told = await self.messenger.notify_admins(platform, chat_id, text)
        return told

    async def tell_admins(
        self, platform: str, chat_id: str, text: str, buttons: Sequence[Button], verbs: str
    ) -> list[str]:
        """Privately, with buttons where the platform has them, else with the text commands;
        when no admin can be reached privately, once in the group."""
        adapter = self.adapter_for(platform)
        if adapter is None:
            return []
        told: list[str] = []
        for admin_id in await self.admins.admin_ids(platform, chat_id):
            try:
                if adapter.capabilities.buttons and adapter.capabilities.private_message:
                    await self.messenger.send(platform, admin_id, text, buttons=buttons)
                    told.append(admin_id)
                elif await self.messenger.private(platform, admin_id, f"{text}\n{verbs}"):
                    told.append(admin_id)
            except PlatformError as exc:
                log.info("could not reach admin %s: %s", admin_id, exc)
        if not told:
            with_buttons = adapter.capabilities.buttons
            await self.messenger.send(
                platform,
                chat_id,
                text if with_buttons else f"{text}\n{verbs}",
                buttons=buttons if with_buttons else (),
            )
            told.append(f"group:{chat_id}")
        return told

    # ------------------------------------------------------------------ identity
    async def identify(self, platform: str, user_id: str, nickname: str) -> Identity | None:
        """Platform id first (roster, then directory), then the nickname's name with its unit."""
        name, rest = split_nickname(nickname)

        async def work(r: Repository) -> Identity | None:
            roster, directory = RosterRepository(r.c), DirectoryRepository(r.c)
            entry = await roster.by_account(platform, user_id)
            if entry is not None:
                return _from_entry(entry)
            person = await directory.person_by_account(platform, user_id)
            if person is not None:
                return Identity(person.name, person.unit or "", "", ACTIVE, "directory")
            candidates = [
                e for e in await roster.by_name(name) if _unit_matches(rest, e.unit, e.department)
            ]
            # One person by that name in that unit: two 张伟 in one department stay unknown
            # until their accounts are on the roster.
            if len(candidates) == 1:
                return _from_entry(candidates[0])
            person = await directory.person(name)
            if person is not None and person.unit and _unit_matches(rest, person.unit, ""):
                return Identity(person.name, person.unit, "", ACTIVE, "directory")
            return None

        return await self.store.read(work)

    async def requester_on_roster(self, event: JoinRequested) -> bool | None:
        """Whether someone asking to join is on the roster (by account, then by the name and
        unit in their nickname); None when no roster has been imported yet."""
        if not await self.store.read(lambda r: RosterRepository(r.c).has_entries()):
            return None
        member = event.member
        found = await self.identify(event.platform, member.user_id, member.nickname)
        return found is not None and found.status == ACTIVE

    async def owner_or_admin(self, event: CommandIssued) -> bool:
        """The group's owner (responsible person on record) or an admin."""
        if await self.admins.is_admin(event.platform, event.chat_id, event.sender):
            return True
        group = await self.group(event.platform, event.chat_id)
        if group is None or not group.responsible:
            return False
        who = await self.directory.who(event.platform, event.sender.user_id)
        return who is not None and who.name == group.responsible

    async def refuse(
        self, event: CommandIssued, kind: str, why: str, article: str, key: str = ""
    ) -> list[str]:
        """A refused command: journaled with who asked and why; the one-line answer."""
        await self.journal(
            f"{kind}_refused",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            outcome="refused",
            detail=why,
            article=article,
        )
        return [self.t(key) if key else self.t("command.refused", command=event.name)]

    async def resolve(self, platform: str, chat_id: str, mention: str) -> Member | None:
        """``@name``: a member of this group by username, nickname, or the name part of the
        nickname when only one member has it (``@张三`` for 张三-党群工作部)."""
        name = mention.lstrip("@")
        rows = await self.store.read(lambda r: r.members_of(platform, chat_id))
        present = [row for row in rows if row.status == "active"]
        for row in present:
            if name in (row.username, row.nickname, row.user_id):
                return Member(row.user_id, row.nickname, row.username)
        named = [row for row in present if split_nickname(row.nickname)[0] == name]
        if len(named) == 1:
            return Member(named[0].user_id, named[0].nickname, named[0].username)
        return None

    async def _unit_tree(self, unit: str) -> set[str]:
        """The unit and every unit under it (a department of the owning unit may invite)."""
        units = await self.store.read(lambda r: DirectoryRepository(r.c).units())
        tree, grew = {unit}, True
        while grew:
            grew = False
            for u in units:
                if u.parent in tree and u.name not in tree:
                    tree.add(u.name)
                    grew = True
        return tree

    async def entitled_to_invite(
        self, platform: str, chat_id: str, inviter: Member, group: RegistryRow | None
    ) -> bool:
        """An admin, or someone on the roster of the owning unit (R2 Art.11(3), 12(2-3))."""
        if await self.admins.is_admin(platform, chat_id, inviter):
            return True
        who = await self.identify(platform, inviter.user_id, inviter.nickname)
        if who is None or who.status != ACTIVE:
            return False
        if group is None or not group.unit:
            return True  # no owning unit on record: anyone on the roster
        tree = await self._unit_tree(group.unit)
        return who.unit in tree or who.department in tree

    # ------------------------------------------------------------------ every event
    async def on_event(self, event: AnyEvent) -> None:
        if isinstance(event, MemberLeft):
            await self.on_departure(event)  # journaled and told even with the rest turned off
            return
        if not self.cfg.enabled:
            return
        if isinstance(event, MessagePosted):
            await self._activity(event)
            await self.audits.ensure_schedule(event.platform, event.chat_id)
        elif isinstance(event, MemberJoined):
            await self.audits.ensure_schedule(event.platform, event.chat_id)
            await self.on_join(event)
        elif isinstance(event, NicknameChanged):
            await self.on_rename(event)

    async def _activity(self, event: MessagePosted) -> None:
        key = (event.platform, event.chat_id, event.sender.user_id)
        now = self.clock.now()
        last = self._activity_written.get(key)
        if last is not None and now - last < ACTIVITY_RESOLUTION:
            return
        self._activity_written[key] = now
        self._activity_pending[key] = now
        if self._activity_flushed is None:
            self._activity_flushed = now
        if len(self._activity_pending) >= ACTIVITY_BATCH or now - self._activity_flushed >= (
            ACTIVITY_FLUSH
        ):
            await self.flush_activity()

    async def flush_activity(self) -> None:
        pending, self._activity_pending = self._activity_pending, {}
        self._activity_flushed = self.clock.now()
        if not pending:
            return

        async def work(r: Repository) -> None:
            roster = RosterRepository(r.c)
            for (platform, chat_id, user_id), at in pending.items():
                await roster.touch_activity(platform, chat_id, user_id, at)

        await self.store.write(work)

    # ------------------------------------------------------------------ joins and renames
    async def on_join(self, event: MemberJoined) -> None:
        member = event.member
        if self._is_self(event.platform, member) or member.is_service_account or member.is_bot:
            return
        row = await self.store.read(
            lambda r: r.member(event.platform, event.chat_id, member.user_id)
        )
        if row is None or row.status != "active":
            return  # already acted on by the rules (a blacklisted joiner is removed at once)
        group = await self.group(event.platform, event.chat_id)
        policy = self.policy(event.platform, event.chat_id, group)
        if await self._over_cap(event, group, policy):
            return
        for hook in self.join_hooks:
            await hook(event)
        inviter = event.invited_by
        if (
            policy.flag_invites
            and inviter is not None
            and await self.store.read(lambda r: RosterRepository(r.c).has_entries())
            and inviter.user_id != member.user_id
            and not await self.entitled_to_invite(event.platform, event.chat_id, inviter, group)
        ):
            await self.flag(
                event.platform,
                event.chat_id,
                member,
                "invite",
                self.t("members.invite_detail", inviter=inviter.nickname),
                group,
                title=event.chat_title,
            )
        if policy.flag_strangers:
            await self._check_stranger(
                event.platform, event.chat_id, member, group, event.chat_title
            )

    async def on_rename(self, event: NicknameChanged) -> None:
        member = event.member
        if self._is_self(event.platform, member) or member.is_service_account or member.is_bot:
            return
        group = await self.group(event.platform, event.chat_id)
        if not self.policy(event.platform, event.chat_id, group).flag_strangers:
            return
        await self._check_stranger(event.platform, event.chat_id, member, group, event.chat_title)

    async def _check_stranger(
        self,
        platform: str,
        chat_id: str,
        member: Member,
        group: RegistryRow | None,
        title: str | None,
    ) -> None:
        if await self.admins.is_admin(platform, chat_id, member):
            return  # admins are entitled to be here
        if not await self.store.read(lambda r: RosterRepository(r.c).has_entries()):
            return  # no roster imported yet: nobody can be told apart from a stranger
        who = await self.identify(platform, member.user_id, member.nickname)
        open_flags = await self.store.read(
            lambda r: RosterRepository(r.c).open_flags(platform, chat_id, member.user_id)
        )
        strangers = [f for f in open_flags if f.kind == "stranger"]
        if who is not None and who.status == ACTIVE:
            # Renamed into someone on the roster: the open flag is settled by the roster.
            now = self.clock.now()
            for flag in strangers:
                if await self.store.write(
                    lambda r, f=flag: RosterRepository(r.c).decide_flag(f.id, "matched", None, now)
                ):
                    await self.journal(
                        "stranger_matched",
                        platform,
                        chat_id,
                        "bot",
                        member.user_id,
                        params={"flag": flag.id, "name": who.name},
                    )
            return
        if strangers:
            return  # already waiting for an admin's decision
        kept = await self.store.read(
            lambda r: RosterRepository(r.c).kept(platform, chat_id, member.user_id)
        )
        if kept:
            return
        detail = (
            self.t(f"members.status_{who.status}", name=who.name)
            if who is not None
            else self.t("members.stranger_detail")
        )
        await self.flag(platform, chat_id, member, "stranger", detail, group, title=title)

    async def flag(
        self,
        platform: str,
        chat_id: str,
        member: Member,
        kind: str,
        detail: str,
        group: RegistryRow | None,
        *,
        title: str | None = None,
    ) -> int:
        now = self.clock.now()
        flag_id = await self.store.write(
            lambda r: RosterRepository(r.c).add_flag(
                platform=platform,
                chat_id=chat_id,
                user_id=member.user_id,
                nickname=member.nickname,
                kind=kind,
                detail=detail,
                flagged_at=now,
            )
        )
        text = self.t(
            f"members.flag_{kind}",
            id=flag_id,
            member=member.nickname,
            group=self.label(group, chat_id, title),
            detail=detail,
        )
        buttons = (
            button(WORKFLOW, flag_id, "keep", self.t("members.button_keep")),
            button(WORKFLOW, flag_id, "remove", self.t("members.button_remove")),
        )
        told = await self.tell_admins(
            platform, chat_id, text, buttons, self.t("members.flag_verbs", id=flag_id)
        )
        await self.journal(
            f"{kind}_flagged",
            platform,
            chat_id,
            "bot",
            member.user_id,
            params={"flag": flag_id, "nickname": member.nickname, "told": told},
            detail=detail,
            article=ARTICLE_INVITE if kind == "invite" else ARTICLE_ROSTER,
        )
        return flag_id

    async def answer(self, request: Request) -> Answer:
        """确认保留 / 移出 on a flag: only an admin of the flagged member's group; the first
        decision counts, and who decided is journaled."""
        flag = await self.store.read(lambda r: RosterRepository(r.c).flag(request.record_id))
        if flag is None:
            return Answer(self.t("members.flag_unknown", id=request.record_id), True, "unknown")
        if not await self.admins.is_admin(flag.platform, flag.chat_id, request.who):
            return Answer(self.t("members.flag_not_admin"), True, "not an admin of the group")
        status = "kept" if request.verb == "keep" else "removed"
        now = self.clock.now()
        first = await self.store.write(
            lambda r: RosterRepository(r.c).decide_flag(flag.id, status, request.who.user_id, now)
        )
        if not first:
            return Answer(self.t("members.flag_decided", id=flag.id), True, "already decided")
        await self.journal(
            f"flag_{status}",
            flag.platform,
            flag.chat_id,
            request.who.user_id,
            flag.user_id,
            params={"flag": flag.id, "kind": flag.kind, "by": request.who.nickname},
        )
        if status == "removed":
            await self._remove(flag, request.who)
            return Answer(self.t("members.flag_removed", member=flag.nickname))
        return Answer(self.t("members.flag_kept", member=flag.nickname))

    async def _remove(self, flag: FlagRow, who: Member) -> None:
        await self.apply_one(
            Target(
                flag.platform, flag.chat_id, None, flag.user_id, flag.nickname, actor=who.user_id
            ),
            Decision(
                rule="members",
                article=ARTICLE_INVITE if flag.kind == "invite" else ARTICLE_ROSTER,
                category="members",
                severity="low",
                actions=(Action(ActionKind.REMOVE),),
                user_id=flag.user_id,
                reason=f"members.reason_{flag.kind}",
            ),
        )

    # ------------------------------------------------------------------ member cap
    async def _over_cap(
        self, event: MemberJoined, group: RegistryRow | None, policy: GroupMembersPolicy
    ) -> bool:
        """True when the joiner was refused (removed) for the cap."""
        cap = policy.member_cap
        if cap is None or await self.admins.is_admin(event.platform, event.chat_id, event.member):
            return False
        count = await self.active_count(event.platform, event.chat_id)
        if count <= cap:
            return False
        member = event.member
        label = self.label(group, event.chat_id, event.chat_title)
        if policy.cap_action == "refuse":
            await self.apply_one(
                Target(
                    event.platform, event.chat_id, event.chat_title, member.user_id, member.nickname
                ),
                Decision(
                    rule="members",
                    article=ARTICLE_CAP,
                    category="members",
                    severity="low",
                    actions=(Action(ActionKind.REMOVE),),
                    user_id=member.user_id,
                    reason="members.reason_cap",
                    params={"cap": str(cap)},
                ),
            )
        text = self.t(
            f"members.cap_{policy.cap_action}",
            member=member.nickname,
            group=label,
            cap=cap,
            count=count,
        )
        told = await self.messenger.notify_admins(event.platform, event.chat_id, text)
        await self.journal(
            f"cap_{policy.cap_action}",
            event.platform,
            event.chat_id,
            "bot",
            member.user_id,
            params={"cap": cap, "count": count, "told": told},
            article=ARTICLE_CAP,
        )
        return policy.cap_action == "refuse"

    async def active_count(self, platform: str, chat_id: str) -> int:
        own = getattr(self.adapter_for(platform), "self_user_id", None)
        rows = await self.store.read(lambda r: r.members_of(platform, chat_id))
        return sum(1 for m in rows if m.status == "active" and m.user_id != own)

    # ------------------------------------------------------------------ departures
    async def on_departure(self, event: MemberLeft) -> None:
        """M6: every leave and removal is journaled; the responsible person is told, with a
        note when the member left without the owner's consent on record (R2 Art.12(5))."""
        member, by = event.member, event.removed_by
        own = getattr(self.adapter_for(event.platform), "self_user_id", None)
        if own is not None and member.user_id == own:
            return
        kind = "removed" if by is not None else "left"
        now = self.clock.now()

        async def close_flags(r: Repository) -> None:
            roster = RosterRepository(r.c)
            for flag in await roster.open_flags(event.platform, event.chat_id, member.user_id):
                await roster.decide_flag(flag.id, "left", None, now)

        await self.store.write(close_flags)
        await self.journal(
            kind,
            event.platform,
            event.chat_id,
            by.user_id if by else member.user_id,
            member.user_id,
            params={"nickname": member.nickname, "by": by.nickname if by else None},
            article=ARTICLE_LEAVE,
        )
        if by is not None and by.user_id == own:
            return  # the bot's own removal was journaled and announced by the executor
        group = await self.group(event.platform, event.chat_id)
        label = self.label(group, event.chat_id, event.chat_title)
        consent = (
            None if by is not None else await self._consent(event.platform, event.chat_id, member)
        )
        if by is not None:
            text = self.t(
                "members.removed_owner", member=member.nickname, group=label, by=by.nickname
            )
        elif consent is not None:
            text = self.t(
                "members.left_owner_consented",
                member=member.nickname,
                group=label,
                at=self.local(consent["at"]),
            )
        else:
            text = self.t("members.left_owner", member=member.nickname, group=label)
        try:
            await self.tell_owner(group, event.platform, event.chat_id, text)
        except PlatformError:
            log.exception("could not tell the owner about a departure")

    async def _consent(self, platform: str, chat_id: str, member: Member) -> dict[str, Any] | None:
        """The owner's consent to leave (``/consent @成员``) recorded in the last 30 days."""
        since = self.clock.now() - CONSENT_VALID
        rows = await self.store.read(
            lambda r: r.audit(
                platform=platform, chat_id=chat_id, user_id=member.user_id, since=since
            )
        )
        return next((row for row in reversed(rows) if row["kind"] == "mem:leave_consent"), None)

    async def consent(self, event: CommandIssued) -> list[str]:
        """``/consent @成员``: the owner (or an admin) agrees to the member leaving
        (R2 Art.12(5))."""
        if not await self.owner_or_admin(event):
            return await self.refuse(event, "consent", "not the owner or an admin", ARTICLE_LEAVE)
        target = event.target
        mention = next((a for a in event.args if a.startswith("@") and len(a) > 1), None)
        if target is None and mention:
            target = await self.resolve(event.platform, event.chat_id, mention)
        if target is None:
            return [self.t("command.usage", usage=self.t("members.consent_usage"))]
        await self.journal(
            "leave_consent",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            target.user_id,
            params={"nickname": target.nickname, "by": event.sender.nickname},
            article=ARTICLE_LEAVE,
        )
        return [self.t("members.consent_done", member=target.nickname)]

    # ------------------------------------------------------------------ the member audit
    async def start(self) -> None:
        await self.audits.start()

    # ------------------------------------------------------------------ roster changes
    async def left_post_due(self, due: TimerDue) -> None:
        """A roster import marked people 调离/离职 (R1 Art.14): each is reminded to leave the
        unit's groups they are still in, and each such group's owner is told."""
        entry_ids = [int(i) for i in due.payload.get("entries", [])]
        for entry_id in entry_ids:
            entry = await self.store.read(lambda r, e=entry_id: RosterRepository(r.c).entry(e))
            if entry is None or entry.status == ACTIVE:
                continue
            word = self.t(f"members.word_{entry.status}")
            groups = await self._groups_of(entry)
            for platform, user_id in entry.accounts:
                names = "、".join(label for p, _, label in groups if p == platform)
                if names:
                    await self.messenger.private(
                        platform,
                        user_id,
                        self.t(
                            "members.left_post_member", name=entry.name, word=word, groups=names
                        ),
                    )
            for platform, chat_id, label in groups:
                group = await self.group(platform, chat_id)
                await self.tell_owner(
                    group,
                    platform,
                    chat_id,
                    self.t("members.left_post_owner", name=entry.name, word=word, group=label),
                )
                await self.journal(
                    "left_post_reminded",
                    platform,
                    chat_id,
                    "bot",
                    params={"name": entry.name, "status": entry.status},
                    article=ARTICLE_POST,
                )

    async def _groups_of(self, entry: RosterRow) -> list[tuple[str, str, str]]:
        """(platform, chat id, label) of each managed group the entry's accounts are in."""
        found: list[tuple[str, str, str]] = []
        for platform, user_id in entry.accounts:
            groups = await self.store.read(lambda r, p=platform: r.groups(p))
            for _, chat_id, title in groups:
                row = await self.store.read(
                    lambda r, c=chat_id, p=platform, u=user_id: r.member(p, c, u)
                )
                if row is not None and row.status == "active":
                    group = await self.group(platform, chat_id)
                    found.append((platform, chat_id, self.label(group, chat_id, title)))
        return found


def _from_entry(entry: RosterRow) -> Identity:
    return Identity(entry.name, entry.unit, entry.department, entry.status, "roster")
