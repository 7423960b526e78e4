"""Telegram updates → platform-neutral events.

One ``Update`` becomes zero or more events (a service message can announce several joiners).
Everything here is a pure reading of the update except two pieces of learned state passed in:
the user directory (for ``@username`` targets) and the join/leave de-duplicator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Message,
    MessageEntity,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
)

from adapters.telegram.directory import UserDirectory
from adapters.telegram.membership import JOINED, LEFT, MembershipDeduplicator
from bot.command_text import split_command
from bot.events import (
    AnyEvent,
    ButtonPressed,
    CommandIssued,
    Member,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessagePosted,
)

PLATFORM = "telegram"
TELEGRAM_SERVICE_ID = 777000  # posts of a linked channel, forwarded into its discussion group
GROUP_ANONYMOUS_BOT_ID = 1087968824  # the sender shown for an anonymous admin
SERVICE_ACCOUNT_IDS = frozenset({TELEGRAM_SERVICE_ID, GROUP_ANONYMOUS_BOT_ID})

# Attachment fields in the order that names a message best: a GIF carries both ``animation``
# and ``document``, and ``animation`` is what a person would call it.
_MEDIA_FIELDS = (
    "photo",
    "video",
    "animation",
    "voice",
    "audio",
    "video_note",
    "sticker",
    "document",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "live_photo",
    "checklist",
)
_LINK_ENTITIES = (MessageEntity.URL, MessageEntity.TEXT_LINK)
# A bare number taken as a user id: Telegram ids have at least five digits, which keeps
# "/warns 3" or "/mute 10" from being read as a target.
_NUMERIC_ID = re.compile(r"^-?\d{5,}$")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _from_utf16(data: bytes) -> str:
    return data.decode("utf-16-le")


def member_from_user(user: User) -> Member:
    return Member(
        user_id=str(user.id),
        nickname=user.full_name,  # first + last name: what the real-name rule checks
        username=user.username,
        is_bot=user.is_bot,
        is_service_account=user.id in SERVICE_ACCOUNT_IDS,
    )


def _member_from_sender_chat(sender_chat: Chat, *, service: bool) -> Member:
    return Member(
        user_id=str(sender_chat.id),
        nickname=sender_chat.title or sender_chat.full_name or "",
        username=sender_chat.username,
        is_service_account=service,
    )


def sender_of(message: Message) -> Member | None:
    """Who posted ``message``, with Telegram's special senders flagged.

    - anonymous admin: ``sender_chat`` is the group itself → service account *and* platform
      admin, so it is never punished but its commands still work;
    - linked-channel post (automatic forward, sender 777000) → service account;
    - a member posting as one of their channels → that channel, as an ordinary sender (it can
      be banned with banChatSenderChat).
    """
    chat = message.chat
    if message.sender_chat is not None:
        if message.sender_chat.id == chat.id:
            user = message.from_user
            return Member(
                user_id=str(user.id if user else GROUP_ANONYMOUS_BOT_ID),
                nickname=message.author_signature or chat.title or "",
                is_bot=True,
                is_service_account=True,
                is_platform_admin=True,
            )
        service = bool(message.is_automatic_forward) or (
            message.from_user is not None and message.from_user.id == TELEGRAM_SERVICE_ID
        )
        return _member_from_sender_chat(message.sender_chat, service=service)
    if message.from_user is None:
        return None
    return member_from_user(message.from_user)


def media_kind(message: Message) -> str | None:
    for name in _MEDIA_FIELDS:
        if getattr(message, name, None):
            return name
    entities = (*message.entities, *message.caption_entities)
    if any(entity.type in _LINK_ENTITIES for entity in entities):
        return "link"
    return None


def message_text(message: Message) -> str:
    if message.text is not None:
        return message.text
    if message.caption is not None:
        return message.caption
    if message.poll is not None:  # a poll's question and options are content too
        return "\n".join([message.poll.question, *(o.text for o in message.poll.options)])
    return ""


def describe_origin(origin: MessageOrigin) -> str:
    """A readable 'forwarded from' for evidence: kind, id when known, and name."""
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        at = f" @{user.username}" if user.username else ""
        return f"user:{user.id} {user.full_name}{at}"
    if isinstance(origin, MessageOriginHiddenUser):
        return f"hidden_user:{origin.sender_user_name}"
    if isinstance(origin, MessageOriginChannel):
        at = f" @{origin.chat.username}" if origin.chat.username else ""
        return f"channel:{origin.chat.id} {origin.chat.title or ''}{at}".rstrip()
    if isinstance(origin, MessageOriginChat):
        return f"chat:{origin.sender_chat.id} {origin.sender_chat.title or ''}".rstrip()
    return str(origin.type)


def _is_member(member: ChatMember) -> bool:
    status = member.status
    if status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER):
        return True
    return status == ChatMember.RESTRICTED and bool(getattr(member, "is_member", False))


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class UpdateConverter:
    """Reads updates; learns names; returns events for the core."""

    def __init__(
        self,
        directory: UserDirectory,
        dedup: MembershipDeduplicator,
        bot_username: Callable[[], str | None],
        admins_changed: Callable[[str], None] | None = None,
    ) -> None:
        self._directory = directory
        self._dedup = dedup
        # A callable because the username is only known after getMe, at start-up.
        self._bot_username = bot_username
        # Told the chat id when an update shows admins (or the bot's own rights) changed, so
        # the core's admin cache can be dropped at once instead of waiting for its TTL.
        self._admins_changed = admins_changed

    # -- entry point -------------------------------------------------------------------------

    def convert(self, update: Update) -> list[AnyEvent]:
        update_id = str(update.update_id)
        if update.message is not None:
            return self._from_message(update.message, update_id)
        if update.edited_message is not None:
            event = self._posted(update.edited_message, update_id, edited=True)
            return [event] if event is not None else []
        if update.chat_member is not None:
            self._notice_admin_change(update.chat_member)
            return self._from_chat_member(update.chat_member, update_id)
        if update.my_chat_member is not None:  # the bot itself promoted, demoted, removed
            self._notice_admin_change(update.my_chat_member)
            return []
        if update.callback_query is not None:
            return self._from_callback(update.callback_query, update_id)
        return []  # channel posts, polls, reactions …: nothing to moderate

    # -- messages ----------------------------------------------------------------------------

    def _from_message(self, message: Message, update_id: str) -> list[AnyEvent]:
        if message.new_chat_members:
            return self._joins(message, update_id)
        if message.left_chat_member is not None:
            return self._leave(message, update_id)
        command = self._command(message, update_id)
        if command is not None:
            return [command]
        event = self._posted(message, update_id)
        return [event] if event is not None else []

    def _posted(
        self, message: Message, update_id: str, *, edited: bool = False
    ) -> MessagePosted | None:
        sender = sender_of(message)
        if sender is None:
            return None
        self._learn(sender)
        reply = self._real_reply(message)
        origin = message.forward_origin
        cls = MessageEdited if edited else MessagePosted
        return cls(
            platform=PLATFORM,
            chat_id=str(message.chat.id),
            chat_title=message.chat.title,
            update_id=update_id,
            at=_aware(message.edit_date if edited and message.edit_date else message.date),
            message_id=str(message.message_id),
            sender=sender,
            text=message_text(message),
            media_kind=media_kind(message),
            forwarded=origin is not None,
            forward_origin=describe_origin(origin) if origin is not None else None,
            reply_to_message_id=str(reply.message_id) if reply is not None else None,
        )

    @staticmethod
    def _real_reply(message: Message) -> Message | None:
        """The message replied to, except a forum topic's root (every topic message 'replies'
        to the service message that created the topic)."""
        reply = message.reply_to_message
        if reply is None or reply.forum_topic_created is not None:
            return None
        return reply

    # -- joins and leaves ----------------------------------------------------------------------

    def _joins(self, message: Message, update_id: str) -> list[AnyEvent]:
        chat_id = str(message.chat.id)
        at = _aware(message.date)
        adder = message.from_user
        events: list[AnyEvent] = []
        for index, user in enumerate(message.new_chat_members):
            member = member_from_user(user)
            self._learn(member)
            if not self._dedup.first_report(chat_id, member.user_id, JOINED, at):
                continue
            invited_by = None
            if adder is not None and adder.id != user.id:
                invited_by = member_from_user(adder)
                self._learn(invited_by)
            events.append(
                MemberJoined(
                    platform=PLATFORM,
                    chat_id=chat_id,
                    chat_title=message.chat.title,
                    # One update, several joiners: each event needs its own id, or the core's
                    # "seen this update" check would drop all but the first.
                    update_id=update_id if index == 0 else f"{update_id}.{index}",
                    at=at,
                    member=member,
                    invited_by=invited_by,
                )
            )
        return events

    def _leave(self, message: Message, update_id: str) -> list[AnyEvent]:
        user = message.left_chat_member
        assert user is not None
        chat_id = str(message.chat.id)
        at = _aware(message.date)
        member = member_from_user(user)
        if not self._dedup.first_report(chat_id, member.user_id, LEFT, at):
            return []
        remover = message.from_user
        removed_by = (
            member_from_user(remover) if remover is not None and remover.id != user.id else None
        )
        return [
            MemberLeft(
                platform=PLATFORM,
                chat_id=chat_id,
                chat_title=message.chat.title,
                update_id=update_id,
                at=at,
                member=member,
                removed_by=removed_by,
            )
        ]

    def _notice_admin_change(self, change: ChatMemberUpdated) -> None:
        admin_statuses = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        statuses = (change.old_chat_member.status, change.new_chat_member.status)
        if self._admins_changed is not None and any(s in admin_statuses for s in statuses):
            self._admins_changed(str(change.chat.id))

    def _from_chat_member(self, change: ChatMemberUpdated, update_id: str) -> list[AnyEvent]:
        was = _is_member(change.old_chat_member)
        now = _is_member(change.new_chat_member)
        if was == now:
            return []  # promotion, restriction, …: not a join or a leave
        user = change.new_chat_member.user
        member = member_from_user(user)
        self._learn(member)
        chat_id = str(change.chat.id)
        at = _aware(change.date)
        if not self._dedup.first_report(chat_id, member.user_id, JOINED if now else LEFT, at):
            return []
        actor = change.from_user
        by = member_from_user(actor) if actor is not None and actor.id != user.id else None
        common = {
            "platform": PLATFORM,
            "chat_id": chat_id,
            "chat_title": change.chat.title,
            "update_id": update_id,
            "at": at,
            "member": member,
        }
        if now:
            return [MemberJoined(**common, invited_by=by)]
        return [MemberLeft(**common, removed_by=by)]

    # -- commands ------------------------------------------------------------------------------

    def _command(self, message: Message, update_id: str) -> CommandIssued | None:
        text = message.text
        if not text:
            return None
        # The core's parser decides what a command is, as for every adapter: it also accepts
        # the full-width slash of Chinese keyboards, which Telegram does not mark as a command.
        parsed = split_command(text, self._bot_username())
        if parsed is None:
            return None  # not a command, or "/ban@OtherBot": an ordinary message to us
        sender = sender_of(message)
        if sender is None:
            return None
        self._learn(sender)
        name, args = parsed
        target: Member | None = None
        replied: MessagePosted | None = None
        reply = self._real_reply(message)
        if reply is not None:
            replied = self._posted(reply, f"{update_id}:replied")
            target = replied.sender if replied is not None else None
        if target is None:
            mentioned = self._text_mention(message)
            if mentioned is not None:
                target, without = mentioned
                reparsed = split_command(without, self._bot_username())
                args = reparsed[1] if reparsed is not None else args
        if target is None and args:
            target = self._target_from_arg(args[0])
            if target is not None:
                args = args[1:]  # the target is not an argument of the command itself
        return CommandIssued(
            platform=PLATFORM,
            chat_id=str(message.chat.id),
            chat_title=message.chat.title,
            update_id=update_id,
            at=_aware(message.date),
            message_id=str(message.message_id),
            sender=sender,
            name=name,
            args=args,
            target=target,
            replied=replied,
            raw_text=text,
        )

    def _text_mention(self, message: Message) -> tuple[Member, str] | None:
        """A text_mention (a user without a username, picked from the member list) names its
        user outright. Returns that user and the text with the mention cut out by its UTF-16
        span, since the shown name may contain spaces."""
        text = message.text or ""
        for entity in message.entities:
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
                member = member_from_user(entity.user)
                self._learn(member)
                encoded = _utf16(text)
                start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
                return member, _from_utf16(encoded[:start]) + " " + _from_utf16(encoded[end:])
        return None

    def _target_from_arg(self, arg: str) -> Member | None:
        if arg.startswith("@") and len(arg) > 1:
            return self._directory.by_username(arg)
        if _NUMERIC_ID.match(arg):
            known = self._directory.by_id(arg)
            return known if known is not None else Member(user_id=arg, nickname="")
        return None

    # -- buttons -------------------------------------------------------------------------------

    def _from_callback(self, query: CallbackQuery, update_id: str) -> list[AnyEvent]:
        presser = member_from_user(query.from_user)
        self._learn(presser)
        message = query.message
        chat = message.chat if message is not None else None
        return [
            ButtonPressed(
                platform=PLATFORM,
                # Escalations go to supervisors' private chats; without a message (inline
                # mode, which we do not use) the presser's own chat is the best key.
                chat_id=str(chat.id) if chat is not None else presser.user_id,
                chat_title=chat.title if chat is not None else None,
                update_id=update_id,
                presser=presser,
                data=query.data or "",
                callback_id=query.id,
                message_id=str(message.message_id) if message is not None else None,
                message_text=(getattr(message, "text", None) or "") if message is not None else "",
            )
        ]

    def _learn(self, member: Member) -> None:
        if not member.is_service_account and not member.user_id.startswith("-"):
            self._directory.learn(member)
