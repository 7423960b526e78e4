"""OneBot v11 events → neutral events, with the look-ups that need (member names on join,
the replied message behind a command, the group's title).

One OneBot event becomes zero or more neutral events: a message whose sender's card changed
since the last one becomes a ``NicknameChanged`` and then the message itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from adapters.qq import convert, cqcode
from adapters.qq.convert import PLATFORM, ident
from adapters.qq.members import Call, MemberDirectory
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
from bot.ports import PlatformError

log = logging.getLogger(__name__)

Frame = Mapping[str, Any]


class Inbound:
    def __init__(
        self,
        call: Call,
        members: MemberDirectory,
        self_id: Callable[[], str | None],
        on_admins_changed: Callable[[str], None],
    ) -> None:
        self._call = call
        self._members = members
        self._self_id = self_id
        self._on_admins_changed = on_admins_changed

    async def events(self, frame: Frame) -> list[AnyEvent]:
        post = frame.get("post_type")
        if post == "message":
            kind = frame.get("message_type")
            if kind == "group":
                return await self._group_message(frame)
            if kind == "private":
                return await self._private_message(frame)
            return []
        if post == "notice":
            return await self._notice(frame)
        if post == "request":
            return await self._request(frame)
        return []  # meta_event (the client reads heartbeats), message_sent (our own echo)

    # -- messages -----------------------------------------------------------------------

    def _common(self, frame: Frame, group: str, title: str | None, update_id: str) -> dict:
        common: dict[str, Any] = {
            "platform": PLATFORM,
            "chat_id": group,
            "chat_title": title,
            "update_id": update_id,
        }
        at = convert.timestamp(frame.get("time"))
        if at is not None:
            common["at"] = at
        return common

    @staticmethod
    def _segments(frame: Frame) -> list[cqcode.Segment]:
        message = frame.get("message")
        if message is None or message == []:
            message = frame.get("raw_message") or ""
        return cqcode.parse(message)

    async def _group_message(self, frame: Frame) -> list[AnyEvent]:
        group = ident(frame.get("group_id"))
        user = ident(frame.get("user_id"))
        message_id = ident(frame.get("message_id"))
        if group is None or user is None or message_id is None:
            log.info("qq: ignored a group message without group, sender or id")
            return []
        if frame.get("sub_type") == "notice":
            return []  # a system notice shown as a message: nobody to judge
        self._members.note_group(group)
        anonymous = frame.get("anonymous")
        if isinstance(anonymous, Mapping) and anonymous:
            sender = convert.anonymous_member(anonymous)
        else:
            raw_sender = frame.get("sender")
            info = raw_sender if isinstance(raw_sender, Mapping) else {}
            sender = convert.member_from_info({**info, "user_id": user}, self._self_id())
        title = await self._members.title(group)
        out: list[AnyEvent] = []
        previous = self._members.note_name(group, sender.user_id, sender.nickname)
        if previous is not None:
            out.append(
                NicknameChanged(
                    **self._common(frame, group, title, f"card:{group}:{user}:{message_id}"),
                    member=sender,
                    old_nickname=previous,
                )
            )
        content = convert.read_content(self._segments(frame))
        common = self._common(frame, group, title, f"msg:{group}:{message_id}")
        parsed = convert.parse_command(content)
        if parsed is not None:
            out.append(await self._command(frame, group, common, message_id, sender, content))
            return out
        out.append(
            MessagePosted(
                **common,
                message_id=message_id,
                sender=sender,
                text=content.text,
                media_kind=content.media_kind,
                forwarded=content.forwarded,
                forward_origin=content.forward_origin,
                reply_to_message_id=content.reply_to,
            )
        )
        return out

    async def _command(
        self,
        frame: Frame,
        group: str,
        common: dict,
        message_id: str,
        sender: Member,
        content: convert.Content,
    ) -> CommandIssued:
        name, args = convert.parse_command(content) or ("", ())
        replied = await self._replied(group, content.reply_to) if content.reply_to else None
        target: Member | None = None
        who = convert.command_target(content, self._self_id())
        if who is not None:
            target = await self._members.member(group, who)
        elif replied is not None:
            target = replied.sender
        return CommandIssued(
            **common,
            message_id=message_id,
            sender=sender,
            name=name,
            args=args,
            target=target,
            replied=replied,
            raw_text=content.text,
        )

    async def _replied(self, group: str, message_id: str) -> MessagePosted | None:
        try:
            data = await self._call("get_msg", message_id=convert.wire_id(message_id))
        except PlatformError as exc:
            log.info("qq: replied message %s unreadable: %s", message_id, exc)
            return None
        if not isinstance(data, Mapping):
            return None
        user = ident(data.get("user_id")) or ident((data.get("sender") or {}).get("user_id"))
        if user is None:
            return None
        raw_sender = data.get("sender")
        info = raw_sender if isinstance(raw_sender, Mapping) else {}
        if info.get("card") or info.get("nickname"):
            sender = convert.member_from_info({**info, "user_id": user}, self._self_id())
        else:
            sender = await self._members.member(group, user)
        content = convert.read_content(self._segments(data))
        return MessagePosted(
            **self._common(data, group, None, f"msg:{group}:{message_id}"),
            message_id=message_id,
            sender=sender,
            text=content.text,
            media_kind=content.media_kind,
            forwarded=content.forwarded,
            forward_origin=content.forward_origin,
        )

    async def _private_message(self, frame: Frame) -> list[AnyEvent]:
        """Only commands (a supervisor's /ack 12) matter in a private chat, whose chat id is
        the person's own number, as the escalation workflow expects."""
        user = ident(frame.get("user_id"))
        message_id = ident(frame.get("message_id"))
        if user is None or message_id is None or user == self._self_id():
            return []
        content = convert.read_content(self._segments(frame))
        parsed = convert.parse_command(content)
        if parsed is None:
            return []
        raw_sender = frame.get("sender")
        info = raw_sender if isinstance(raw_sender, Mapping) else {}
        sender = Member(
            user_id=user, nickname=convert.display_name(None, info.get("nickname"), user)
        )
        return [
            CommandIssued(
                **self._common(frame, user, None, f"pm:{user}:{message_id}"),
                message_id=message_id,
                sender=sender,
                name=parsed[0],
                args=parsed[1],
                raw_text=content.text,
            )
        ]

    # -- notices and requests -------------------------------------------------------------

    async def _notice(self, frame: Frame) -> list[AnyEvent]:
        kind = frame.get("notice_type")
        group = ident(frame.get("group_id"))
        user = ident(frame.get("user_id"))
        if group is None or user is None:
            return []
        self._members.note_group(group)
        stamp = ident(frame.get("time")) or "0"
        if kind == "group_admin":
            self._members.forget(group, user)
            self._on_admins_changed(group)
            return []
        if kind == "group_increase":
            if user == self._self_id():
                return []
            member = await self._members.member(group, user, fresh=True)
            self._members.note_name(group, user, member.nickname)
            operator = ident(frame.get("operator_id"))
            inviter = None
            if frame.get("sub_type") == "invite" and operator and operator != user:
                inviter = await self._members.member(group, operator)
            title = await self._members.title(group)
            return [
                MemberJoined(
                    **self._common(frame, group, title, f"join:{group}:{user}:{stamp}"),
                    member=member,
                    invited_by=inviter,
                )
            ]
        if kind == "group_decrease":
            if frame.get("sub_type") == "kick_me" or user == self._self_id():
                log.warning("qq: the bot was removed from group %s", group)
                return []
            member = Member(user_id=user, nickname=self._members.last_name(group, user) or user)
            self._members.forget(group, user)
            operator = ident(frame.get("operator_id"))
            remover = None
            if frame.get("sub_type") == "kick" and operator and operator != user:
                remover = Member(
                    user_id=operator, nickname=self._members.last_name(group, operator) or operator
                )
            title = await self._members.title(group)
            return [
                MemberLeft(
                    **self._common(frame, group, title, f"leave:{group}:{user}:{stamp}"),
                    member=member,
                    removed_by=remover,
                )
            ]
        if kind == "group_card":  # NapCat's extension; other implementations: next message
            old = frame.get("card_old")
            self._members.forget(group, user)
            member = await self._members.member(group, user, fresh=True)
            new_name = convert.display_name(frame.get("card_new"), None, "") or member.nickname
            member = Member(
                user_id=user,
                nickname=new_name,
                is_platform_admin=member.is_platform_admin,
                is_bot=member.is_bot,
            )
            previous = self._members.note_name(group, user, new_name)
            old_name = old if isinstance(old, str) and old.strip() else previous
            title = await self._members.title(group)
            return [
                NicknameChanged(
                    **self._common(frame, group, title, f"card:{group}:{user}:{stamp}"),
                    member=member,
                    old_nickname=old_name,
                )
            ]
        return []  # group_ban, group_recall, group_upload, notify: nothing to judge

    async def _request(self, frame: Frame) -> list[AnyEvent]:
        if frame.get("request_type") != "group" or frame.get("sub_type") != "add":
            return []  # friend requests and invitations of the bot itself are the owner's
        group = ident(frame.get("group_id"))
        user = ident(frame.get("user_id"))
        flag = frame.get("flag")
        if group is None or user is None or not flag:
            return []
        name = await self._members.stranger_name(user)
        inviter_id = ident(frame.get("invitor_id"))
        inviter = Member(user_id=inviter_id, nickname=inviter_id) if inviter_id else None
        title = await self._members.title(group)
        comment = frame.get("comment")
        return [
            JoinRequested(
                **self._common(frame, group, title, f"req:{group}:{flag}"),
                member=Member(user_id=user, nickname=name),
                request_id=str(flag),
                comment=comment if isinstance(comment, str) else "",
                invited_by=inviter,
            )
        ]
