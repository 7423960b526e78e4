"""What commands share: target resolution and its checks, acting through the executor (so an
admin's action lands in the same journal as the bot's own), and the refusal journal."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from bot.admins import AdminDirectory
from bot.clock import Clock
from bot.commands.spec import CommandRegistry, CommandSpec
from bot.config import Settings
from bot.events import CommandIssued, Member
from bot.executor import Executor, Target
from bot.i18n import Catalogue
from bot.ports import Adapter
from rules.actions import Action
from rules.decisions import Decision, Evidence
from rules.detection.detector import Detector
from rules.masking import mask_pii
from rules.policy import GroupPolicy
from storage.store import Store


def canonical_id(arg: str) -> str | None:
    """A numeric platform id in ASCII digits, or None. Any script's decimal digits count
    (``١٠٠٠٥``, ``１０００５``) and are folded, so the checks on the target — an admin, the bot
    itself — and the blacklist row see the real account. "/mute 10" means ten of something,
    not user 10: platform ids are long numbers."""
    sign = "-" if arg.startswith("-") else ""
    body = arg[1:] if sign else arg
    if len(body) < 5 or not all(unicodedata.decimal(c, None) is not None for c in body):
        return None
    return sign + "".join(str(unicodedata.decimal(c)) for c in body)


class CommandError(Exception):
    """A one-line answer to the sender (usage, no target, ...)."""


class CommandRefused(CommandError):
    """The sender may use the command, but not on this target or from this group; journaled
    as a refusal with the reason in ``detail``."""

    def __init__(self, text: str, detail: str, target: Member | None = None) -> None:
        super().__init__(text)
        self.detail = detail
        self.target = target


@dataclass
class CommandTools:
    settings: Settings
    store: Store
    clock: Clock
    catalogue: Catalogue
    admins: AdminDirectory
    executor: Executor
    adapters: Mapping[str, Adapter]
    detector: Callable[[], Detector]  # the current one: lexicons reload without a restart
    registry: CommandRegistry

    def t(self, key: str, **values: object) -> str:
        return self.catalogue.t(key, **values)

    def policy(self, event: CommandIssued) -> GroupPolicy:
        return self.settings.policy_for(event.platform, event.chat_id)

    def usage(self, spec: CommandSpec) -> CommandError:
        return CommandError(self.t("command.usage", usage=spec.usage))

    def own_id(self, platform: str) -> str | None:
        return getattr(self.adapters.get(platform), "self_user_id", None)

    def target(self, event: CommandIssued, member: Member | None) -> Target:
        return Target(
            event.platform,
            event.chat_id,
            event.chat_title,
            member.user_id if member else None,
            member.nickname if member else "",
            actor=event.sender.user_id,
        )

    async def record(
        self,
        event: CommandIssued,
        spec: CommandSpec,
        target: Member | None,
        outcome: str,
        detail: str,
    ) -> None:
        decision = Decision(
            rule="command",
            article=spec.article,
            category="command",
            severity="info",
            actions=(),
            user_id=target.user_id if target else None,
            reason=mask_pii(event.raw_text[:200]),
        )
        await self.executor.record(
            self.target(event, target),
            decision,
            f"command:{spec.name}",
            {"args": list(event.args)},
            outcome,
            detail,
        )

    # ------------------------------------------------------------------ targets
    async def resolve_target(
        self, event: CommandIssued, spec: CommandSpec
    ) -> tuple[Member, list[str]]:
        args = list(event.args)
        target = event.target
        if target is None and args and (args[0].startswith("@") or canonical_id(args[0])):
            who = args.pop(0)
            target = await self.lookup(event, who)
            if target is None:
                raise CommandError(self.t("command.unknown_user", who=who))
        elif target is not None and args and args[0].startswith("@"):
            args.pop(0)  # the adapter already resolved this mention
        if target is None:
            raise CommandError(self.t("command.no_target"))
        canonical = canonical_id(target.user_id)
        if canonical is not None and canonical != target.user_id:
            # An adapter may pass the digits as typed; the checks below need the real account.
            target = await self.lookup(event, canonical) or target
        if target.user_id == self.own_id(event.platform):
            raise CommandRefused(self.t("command.target_bot"), "target is the bot", target)
        service_ids = getattr(self.adapters.get(event.platform), "service_account_ids", ())
        if target.is_service_account or target.user_id in service_ids:
            # Linked channels and anonymous admins are the platform's, not members.
            raise CommandRefused(
                self.t("command.target_service"), "target is a service account", target
            )
        if spec.protects_admins and await self.admins.is_admin(
            event.platform, event.chat_id, target
        ):
            raise CommandRefused(self.t("command.target_admin"), "target is an admin", target)
        if spec.cross_group:
            await self._check_cross_group(event, spec, target)
        return target, args

    async def _check_cross_group(
        self, event: CommandIssued, spec: CommandSpec, target: Member
    ) -> None:
        """A blacklist reaches every managed group, so it needs more than a group's admin:
        an admin of a registered group acting on someone seen there, or a person named in
        config. Nobody lifts their own blacklisting, and no admin of any registered group is
        blacklisted from another (R1 Art.8: powers are the group's own)."""
        admins, platform = self.admins, event.platform
        if admins.is_global_admin(platform, event.sender.user_id):
            if spec.name == "ban" and await admins.is_admin_anywhere(platform, target.user_id):
                raise CommandRefused(self.t("command.target_admin"), "target is an admin", target)
            return
        if target.user_id == event.sender.user_id:
            raise CommandRefused(self.t("command.target_self"), "target is the sender", target)
        if not await admins.is_registered(platform, event.chat_id):
            raise CommandRefused(
                self.t("command.unregistered_group", command=spec.name),
                "group not registered",
                target,
            )
        seen = await self.store.read(lambda r: r.member(platform, event.chat_id, target.user_id))
        if seen is None:
            raise CommandRefused(
                self.t("command.not_seen_here", member=target.nickname),
                "target never seen in this group",
                target,
            )
        if spec.name == "ban" and await admins.is_admin_anywhere(platform, target.user_id):
            raise CommandRefused(
                self.t("command.target_admin"), "target is an admin of a group", target
            )

    async def lookup(self, event: CommandIssued, who: str) -> Member | None:
        if who.startswith("@"):
            row = await self.store.read(
                lambda r: r.member_by_username(event.platform, event.chat_id, who)
            )
        else:
            user_id = canonical_id(who)
            if user_id is None:
                return None
            row = await self.store.read(lambda r: r.member(event.platform, event.chat_id, user_id))
            if row is None:
                # Someone never seen here: only a blacklisting by a config-named admin may
                # name them (checked with the other target checks).
                return Member(user_id=user_id, nickname=user_id)
        if row is None:
            return None
        return Member(user_id=row.user_id, nickname=row.nickname, username=row.username)

    # ------------------------------------------------------------------ acting
    async def act(
        self,
        event: CommandIssued,
        spec: CommandSpec,
        target: Member | None,
        actions: tuple[Action, ...],
        *,
        reason: str = "",
        offence: bool = False,
        category: str = "manual",
    ) -> None:
        number = 0
        if offence and target is not None:
            since = self.clock.now() - self.policy(event).window
            counts = await self.store.read(
                lambda r: r.offence_counts(event.platform, event.chat_id, target.user_id, since)
            )
            number = sum(counts.values()) + 1
        decision = Decision(
            rule="command",
            article=spec.article,
            category=category,
            severity="medium",
            actions=actions,
            user_id=target.user_id if target else None,
            message_id=event.replied.message_id if event.replied else None,
            evidence=(Evidence(reason, 0, len(reason), kind="admin_reason"),) if reason else (),
            reason="",
            counts_as_offence=offence,
            offence_number=number,
        )
        target_ref = self.target(event, target)
        if event.replied is not None:
            target_ref = replace(target_ref, message_text=event.replied.text)
        await self.executor.apply_one(target_ref, decision)
