"""Runs a slash command: permission check, argument parsing, target checks, then actions
through the executor so every admin action lands in the same journal as the bot's own."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands.spec import COMMANDS, CommandSpec
from bot.events import CommandIssued, Member
from bot.executor import Target
from rules.actions import Action, ActionKind
from rules.decisions import Decision, Evidence
from rules.detection.report import format_hits
from rules.durations import (
    MAX_DURATION,
    MIN_DURATION,
    DurationError,
    format_duration,
    parse_bounded_duration,
)
from rules.masking import mask_pii
from rules.policy import GroupPolicy

if TYPE_CHECKING:
    from bot.app import Application

ARTICLES = {"ban": "R1 Art.8", "unban": "R1 Art.8", "quiet": "R2 Art.22", "report": "R2 Art.11"}


def _looks_like_id(arg: str) -> bool:
    # "/mute 10" means ten of something, not user 10: platform ids are long numbers.
    digits = arg.lstrip("-")
    return digits.isdigit() and len(digits) >= 5


class CommandError(Exception):
    """A one-line answer to the sender (usage, no target, ...)."""


class CommandHandler:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.t = app.catalogue.t

    async def handle(self, event: CommandIssued) -> list[str]:
        spec = COMMANDS.get(event.name)
        if spec is None:
            return []  # other bots' commands share the chat; stay quiet
        if event.sender.is_service_account and not event.sender.is_platform_admin:
            return []
        if spec.admin and not await self.app.admins.can(
            event.platform, event.chat_id, event.sender, spec.right
        ):
            await self._record(event, spec, None, "refused", "sender lacks the right")
            return await self._reply(event, self.t("command.refused", command=spec.name))
        try:
            replies = await getattr(self, f"_cmd_{spec.name}")(event, spec)
        except CommandError as exc:
            await self._record(event, spec, None, "rejected", str(exc))
            replies = [str(exc)]
        return await self._reply(event, *replies)

    # ------------------------------------------------------------------ plumbing
    async def _reply(self, event: CommandIssued, *texts: str) -> list[str]:
        for text in texts:
            await self.app.executor.messenger.send(
                event.platform, event.chat_id, text, reply_to=event.message_id
            )
        return list(texts)

    async def _record(
        self,
        event: CommandIssued,
        spec: CommandSpec,
        target: Member | None,
        outcome: str,
        detail: str,
    ) -> None:
        decision = Decision(
            rule="command",
            article=ARTICLES.get(spec.name, "R1 Art.10"),
            category="command",
            severity="info",
            actions=(),
            user_id=target.user_id if target else None,
            reason=event.raw_text[:200],
        )
        await self.app.executor.record(
            self._target(event, target),
            decision,
            f"command:{spec.name}",
            {"args": list(event.args)},
            outcome,
            detail,
        )

    def _policy(self, event: CommandIssued) -> GroupPolicy:
        return self.app.settings.policy_for(event.platform, event.chat_id)

    def _target(self, event: CommandIssued, member: Member | None) -> Target:
        return Target(
            event.platform,
            event.chat_id,
            event.chat_title,
            member.user_id if member else None,
            member.nickname if member else "",
            actor=event.sender.user_id,
        )

    async def _resolve_target(
        self, event: CommandIssued, spec: CommandSpec
    ) -> tuple[Member, list[str]]:
        args = list(event.args)
        target = event.target
        if target is None and args and (args[0].startswith("@") or _looks_like_id(args[0])):
            who = args.pop(0)
            target = await self._lookup(event, who)
            if target is None:
                raise CommandError(self.t("command.unknown_user", who=who))
        elif target is not None and args and args[0].startswith("@"):
            args.pop(0)  # the adapter already resolved this mention
        if target is None:
            raise CommandError(self.t("command.no_target"))
        own = getattr(self.app.adapters.get(event.platform), "self_user_id", None)
        if target.user_id == own or (target.is_bot and target.user_id == own):
            raise CommandError(self.t("command.target_bot"))
        if spec.name in ("warn", "mute", "kick", "ban") and await self.app.admins.is_admin(
            event.platform, event.chat_id, target
        ):
            raise CommandError(self.t("command.target_admin"))
        return target, args

    async def _lookup(self, event: CommandIssued, who: str) -> Member | None:
        store = self.app.store
        if who.startswith("@"):
            row = await store.read(
                lambda r: r.member_by_username(event.platform, event.chat_id, who)
            )
        else:
            row = await store.read(lambda r: r.member(event.platform, event.chat_id, who))
            if row is None:
                # Banning someone never seen here (e.g. known from another group) is allowed.
                return Member(user_id=who, nickname=who)
        if row is None:
            return None
        return Member(user_id=row.user_id, nickname=row.nickname, username=row.username)

    async def _act(
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
            since = self.app.clock.now() - self._policy(event).window
            counts = await self.app.store.read(
                lambda r: r.offence_counts(event.platform, event.chat_id, target.user_id, since)
            )
            number = sum(counts.values()) + 1
        decision = Decision(
            rule="command",
            article=ARTICLES.get(spec.name, "R1 Art.10"),
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
        target_ref = self._target(event, target)
        if event.replied is not None:
            target_ref = replace(target_ref, message_text=event.replied.text)
        await self.app.executor.apply_one(target_ref, decision)

    # ------------------------------------------------------------------ commands
    async def _cmd_warn(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, args = await self._resolve_target(event, spec)
        await self._act(
            event, spec, target, (Action(ActionKind.WARN),), reason=" ".join(args), offence=True
        )
        return []

    async def _cmd_unwarn(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, _ = await self._resolve_target(event, spec)
        now = self.app.clock.now()
        revoked = await self.app.store.write(
            lambda r: r.revoke_last_offence(event.platform, event.chat_id, target.user_id, now)
        )
        await self._record(event, spec, target, "done" if revoked else "skipped", "")
        window = format_duration(self._policy(event).window)
        if not revoked:
            return [self.t("command.no_warns", member=target.nickname, window=window)]
        return [self.t("command.unwarned", member=target.nickname)]

    async def _cmd_warns(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, _ = await self._resolve_target(event, spec)
        window = self._policy(event).window
        since = self.app.clock.now() - window
        rows = await self.app.store.read(
            lambda r: r.active_offences(event.platform, event.chat_id, target.user_id, since)
        )
        if not rows:
            return [
                self.t("command.no_warns", member=target.nickname, window=format_duration(window))
            ]
        lines = "\n".join(
            f"- {at:%Y-%m-%d %H:%M} {self.t('category.' + c)} ({a})" for c, a, at in rows
        )
        return [
            self.t(
                "command.warns_list",
                member=target.nickname,
                window=format_duration(window),
                count=len(rows),
                lines=lines,
            )
        ]

    async def _cmd_mute(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, args = await self._resolve_target(event, spec)
        if not args:
            raise CommandError(self.t("command.usage", usage=spec.usage))
        try:
            duration = parse_bounded_duration(args[0])
        except DurationError:
            raise CommandError(self.t("command.bad_duration", value=args[0])) from None
        await self._act(
            event,
            spec,
            target,
            (Action(ActionKind.MUTE, duration=duration),),
            reason=" ".join(args[1:]),
        )
        return []

    async def _cmd_unmute(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, _ = await self._resolve_target(event, spec)
        await self._act(event, spec, target, (Action(ActionKind.UNMUTE),))
        return []

    async def _cmd_kick(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, args = await self._resolve_target(event, spec)
        await self._act(event, spec, target, (Action(ActionKind.REMOVE),), reason=" ".join(args))
        return []

    async def _cmd_ban(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, args = await self._resolve_target(event, spec)
        await self._act(event, spec, target, (Action(ActionKind.BLACKLIST),), reason=" ".join(args))
        return []

    async def _cmd_unban(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        target, _ = await self._resolve_target(event, spec)
        await self._act(event, spec, target, (Action(ActionKind.UNBLACKLIST),))
        return [self.t("notice.unblacklisted", member=target.nickname)]

    async def _cmd_quiet(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        if len(event.args) != 1:
            raise CommandError(self.t("command.usage", usage=spec.usage))
        arg = event.args[0].lower()
        if arg in ("on", "开"):
            action = Action(ActionKind.QUIET)
        elif arg in ("off", "关"):
            action = Action(ActionKind.UNQUIET)
        else:
            duration = self._quiet_length(event.args[0])
            if duration is None:
                raise CommandError(self.t("command.usage", usage=spec.usage))
            action = Action(ActionKind.QUIET, duration=duration)
        await self._act(event, spec, None, (action,), category="quiet")
        return []

    def _quiet_length(self, arg: str) -> timedelta | None:
        """``2h`` (a duration), ``22:00`` (the next such time) or ``2026-10-08T08:00`` (until
        then), in the configured time zone."""
        try:
            return parse_bounded_duration(arg)
        except DurationError:
            pass
        zone = self.app.settings.zone
        now = self.app.clock.now().astimezone(zone)
        try:
            if len(arg) <= 5 and ":" in arg:
                hour, minute = (int(x) for x in arg.split(":"))
                until = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
                if until <= now:
                    until += timedelta(days=1)
            else:
                until = datetime.fromisoformat(arg)
                if until.tzinfo is None:
                    until = until.replace(tzinfo=zone)
        except ValueError:
            return None
        length = until - now
        return length if MIN_DURATION <= length <= MAX_DURATION else None

    async def _cmd_check(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        text = event.replied.text if event.replied else " ".join(event.args)
        if not text:
            raise CommandError(self.t("command.check_needs_reply"))
        replied = event.replied
        hits = self.app.detector.detect(
            text,
            forwarded=bool(replied and replied.forwarded),
            forward_origin=replied.forward_origin if replied else None,
            media_kind=replied.media_kind if replied else None,
        )
        if not hits:
            return [self.t("command.check_clean")]
        return [self.t("command.check_hits", lines=mask_pii(format_hits(text, hits)))]

    async def _cmd_status(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        adapter = self.app.adapters.get(event.platform)
        own = getattr(adapter, "self_user_id", None)
        admins = await self.app.admins.platform_admins(event.platform, event.chat_id)
        info = admins.get(own) if own else None
        rights = (
            ", ".join(sorted(info.rights)) if info and info.rights else self.t("command.word_none")
        )
        if info is not None and info.is_owner:
            rights = "owner"
        policy = self._policy(event)
        group_quiet = await self.app.store.write(
            lambda r: r.touch_group(
                event.platform, event.chat_id, event.chat_title, self.app.clock.now()
            )
        )
        timers = await self.app.store.read(lambda r: r.armed_timers())
        mine = [t for t in timers if t.platform == event.platform and t.chat_id == event.chat_id]
        timer_text = ", ".join(f"{t.kind}@{t.due_at:%m-%d %H:%M}" for t in mine[:10]) or self.t(
            "command.word_none"
        )
        ladder = "\n".join(
            f"{self.t('category.' + name)}: "
            + " → ".join("+".join(str(a) for a in step) for step in cat.steps)
            for name, cat in policy.categories.items()
            if cat.enabled
        )
        yes, no = self.t("command.word_yes"), self.t("command.word_no")
        # The registry record and filing status (G1, G5), in words.
        registry = await self.app.governance.status_text(event.platform, event.chat_id)
        return [
            registry
            + "\n"
            + self.t(
                "command.status",
                rights=rights,
                nickname=yes if policy.nickname.enabled else no,
                grace=format_duration(policy.nickname.grace_period),
                quiet=yes if group_quiet else no,
                timers=timer_text,
                ladder=ladder,
            )
        ]

    async def _cmd_rules(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        group = self.app.settings.group(event.platform, event.chat_id)
        return [group.rules_text if group and group.rules_text else self.t("command.rules_default")]

    async def _cmd_help(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        if await self.app.admins.is_admin(event.platform, event.chat_id, event.sender):
            return [self.t("command.help_admin")]
        return [self.t("command.help_member")]

    async def _cmd_report(self, event: CommandIssued, spec: CommandSpec) -> list[str]:
        replied = event.replied
        if replied is None:
            raise CommandError(self.t("command.report_needs_reply"))
        excerpt = mask_pii(replied.text[:100])
        text = self.t(
            "notice.report_admin",
            reporter=event.sender.nickname,
            member=replied.sender.nickname,
            excerpt=excerpt,
        )
        told = await self.app.executor.notify_admins(event.platform, event.chat_id, text)
        await self._record(event, spec, replied.sender, "done", "told: " + ",".join(told))
        return [self.t("notice.report_thanks")]
