"""Lost, stolen or lent accounts (REQUIREMENTS A8, R2 Art.15). ``/lost @账号`` — from the
member's other account, or by an admin on the member's behalf — restricts the account in every
managed group until an admin confirms its recovery with ``/found @账号``; the responsible
person of each group is told. ``/lost @账号 出借`` records a lent account as a violation."""

from __future__ import annotations

from datetime import timedelta

from bot.actions.spec import Target
from bot.events import CommandIssued, Member, MemberJoined
from bot.workflows.members.service import Members, split_nickname
from rules.actions import Action, ActionKind
from rules.decisions import Decision
from storage.roster import RosterRepository

ARTICLE = "R2 Art.15"
# Until an admin confirms recovery: the longest restriction the platforms accept. /found
# lifts it; a re-join while still reported is restricted again.
HOLD = timedelta(days=366)
_LENT_WORDS = ("出借", "借用", "lent", "lend")


class LostAccounts:
    def __init__(self, members: Members) -> None:
        self.m = members
        self.t = members.t

    async def _target(self, event: CommandIssued) -> Member | None:
        if event.target is not None:
            return event.target
        mention = next((a for a in event.args if a.startswith("@") and len(a) > 1), None)
        return await self.m.resolve(event.platform, event.chat_id, mention) if mention else None

    async def _same_person(self, event: CommandIssued, target: Member) -> bool:
        """The reporter's other account: both accounts are the same roster or directory person,
        or, failing that, carry the same real name and unit in their nicknames."""
        a = await self.m.identify(event.platform, event.sender.user_id, event.sender.nickname)
        b = await self.m.identify(event.platform, target.user_id, target.nickname)
        if a is not None and b is not None:
            return (a.name, a.unit, a.department) == (b.name, b.unit, b.department)
        return split_nickname(event.sender.nickname) == split_nickname(target.nickname)

    async def _refuse(self, event: CommandIssued, why: str, key: str) -> list[str]:
        return await self.m.refuse(event, event.name, why, ARTICLE, key)

    async def lost(self, event: CommandIssued) -> list[str]:
        target = await self._target(event)
        if target is None:
            return [self.t("command.usage", usage=self.t("members.lost_usage"))]
        is_admin = await self.m.admins.is_admin(event.platform, event.chat_id, event.sender)
        if not is_admin:
            row = await self.m.store.read(
                lambda r: r.member(event.platform, event.chat_id, event.sender.user_id)
            )
            if row is None or row.status != "active":
                return await self._refuse(
                    event, "reporter is not a member", "members.lost_not_member"
                )
            if not await self._same_person(event, target):
                return await self._refuse(
                    event, "reporter is not the account's owner", "members.lost_not_owner"
                )
        lent = any(a.lower() in _LENT_WORDS for a in event.args)
        kind = "lent" if lent else "lost"
        now = self.m.clock.now()
        existing = await self.m.store.read(
            lambda r: RosterRepository(r.c).open_lost(event.platform, target.user_id)
        )
        if existing is not None:
            return [self.t("members.lost_already", member=target.nickname)]
        lost_id = await self.m.store.write(
            lambda r: RosterRepository(r.c).add_lost(
                platform=event.platform,
                user_id=target.user_id,
                nickname=target.nickname,
                kind=kind,
                reported_by=event.sender.user_id,
                reported_in=event.chat_id,
                reported_at=now,
            )
        )
        await self.m.journal(
            f"account_{kind}",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            target.user_id,
            params={"report": lost_id, "by_admin": is_admin},
            article=ARTICLE,
        )
        if lent:
            # Lending an account is a violation on the member's record (R2 Art.15).
            await self.m.apply_one(
                Target(
                    event.platform,
                    event.chat_id,
                    event.chat_title,
                    target.user_id,
                    target.nickname,
                    actor=event.sender.user_id,
                ),
                Decision(
                    rule="members",
                    article=ARTICLE,
                    category="account_lent",
                    severity="medium",
                    actions=(),
                    user_id=target.user_id,
                    reason="members.reason_lent",
                    counts_as_offence=True,
                ),
            )
        groups = await self._groups(event.platform, target.user_id)
        for chat_id in groups:
            await self._restrict(event.platform, chat_id, target, event.sender.user_id)
            group = await self.m.group(event.platform, chat_id)
            await self.m.tell_owner(
                group,
                event.platform,
                chat_id,
                self.t(
                    f"members.{kind}_owner",
                    member=target.nickname,
                    group=self.m.label(group, chat_id),
                    by=event.sender.nickname,
                ),
            )
        return [self.t(f"members.{kind}_done", member=target.nickname, groups=len(groups))]

    async def _groups(self, platform: str, user_id: str) -> list[str]:
        """The managed groups the account is in now."""
        chats = await self.m.store.read(lambda r: r.groups(platform))
        found = []
        for _, chat_id, _ in chats:
            row = await self.m.store.read(lambda r, c=chat_id: r.member(platform, c, user_id))
            if row is not None and row.status == "active":
                found.append(chat_id)
        return found

    async def _restrict(self, platform: str, chat_id: str, target: Member, actor: str) -> None:
        await self.m.apply_one(
            Target(platform, chat_id, None, target.user_id, target.nickname, actor=actor),
            Decision(
                rule="members",
                article=ARTICLE,
                category="account_lost",
                severity="medium",
                actions=(Action(ActionKind.MUTE, duration=HOLD),),
                user_id=target.user_id,
                reason="members.reason_lost",
            ),
        )

    async def on_join(self, event: MemberJoined) -> None:
        """A reported account joining another managed group is restricted there too."""
        report = await self.m.store.read(
            lambda r: RosterRepository(r.c).open_lost(event.platform, event.member.user_id)
        )
        if report is not None:
            await self._restrict(event.platform, event.chat_id, event.member, "bot")

    async def found(self, event: CommandIssued) -> list[str]:
        if not await self.m.admins.is_admin(event.platform, event.chat_id, event.sender):
            return await self._refuse(event, "sender is not an admin", "members.found_not_admin")
        target = await self._target(event)
        if target is None:
            return [self.t("command.usage", usage=self.t("members.found_usage"))]
        report = await self.m.store.read(
            lambda r: RosterRepository(r.c).open_lost(event.platform, target.user_id)
        )
        if report is None:
            return [self.t("members.found_none", member=target.nickname)]
        now = self.m.clock.now()
        await self.m.store.write(
            lambda r: RosterRepository(r.c).close_lost(report.id, event.sender.user_id, now)
        )
        await self.m.journal(
            "account_found",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            target.user_id,
            params={"report": report.id},
            article=ARTICLE,
        )
        lifted = 0
        for chat_id in await self._groups(event.platform, target.user_id):
            row = await self.m.store.read(
                lambda r, c=chat_id: r.member(event.platform, c, target.user_id)
            )
            if row is None or row.restricted_until is None:
                continue
            await self.m.apply_one(
                Target(
                    event.platform,
                    chat_id,
                    None,
                    target.user_id,
                    target.nickname,
                    actor=event.sender.user_id,
                ),
                Decision(
                    rule="members",
                    article=ARTICLE,
                    category="account_lost",
                    severity="info",
                    actions=(Action(ActionKind.UNMUTE),),
                    user_id=target.user_id,
                    reason="members.reason_found",
                ),
            )
            lifted += 1
        return [self.t("members.found_done", member=target.nickname, groups=lifted)]
