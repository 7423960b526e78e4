"""``TelegramAdapter``: the ``bot.ports.Adapter`` protocol on python-telegram-bot 22."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from adapters.telegram import permissions
from adapters.telegram.application import build_application
from adapters.telegram.convert import (
    GROUP_ANONYMOUS_BOT_ID,
    PLATFORM,
    TELEGRAM_SERVICE_ID,
    UpdateConverter,
)
from adapters.telegram.directory import UserDirectory
from adapters.telegram.errors import platform_errors, to_platform_error
from adapters.telegram.membership import MembershipDeduplicator
from adapters.telegram.settings import TelegramSettings
from bot.ports import AdminInfo, Button, Capabilities, EventSink, PlatformError

if TYPE_CHECKING:
    from adapters.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

# Telegram treats a restriction shorter than 30 s as *permanent*; a short mute must not become
# a forever mute, so it is stretched to just over that.
MIN_RESTRICTION = timedelta(seconds=31)
BUTTONS_PER_ROW = 2


def _chat(chat_id: str) -> int | str:
    # "@channelname" stays a string; numeric ids go out as ints.
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _is_sender_chat(user_id: str) -> bool:
    """Negative ids are chats (a member posting as a channel), acted on as sender chats."""
    return user_id.startswith("-")


def _rights(member: ChatMemberAdministrator) -> frozenset[str]:
    """Every can_* flag the admin holds, under Telegram's names (which AdminInfo uses too)."""
    return frozenset(
        name for name, value in member.to_dict().items() if name.startswith("can_") and value
    )


class TelegramAdapter:
    platform = PLATFORM
    capabilities = Capabilities(
        delete_message=True,
        mute=True,
        remove=True,
        ban=True,
        private_message=True,
        quiet_group=True,
        delete_own_messages=True,
        admin_roles=True,
        buttons=True,
    )

    def __init__(
        self,
        settings: TelegramSettings,
        *,
        directory: UserDirectory | None = None,
        on_admins_changed: Callable[[str], None] | None = None,
    ) -> None:
        """``on_admins_changed(chat_id)`` is called when a member update shows a promotion,
        demotion or change of rights (the bot's own included): wire it to the admin cache."""
        self._settings = settings
        # Settable after construction: the runtime builds adapters before the application
        # that owns the admin cache exists.
        self.on_admins_changed = on_admins_changed
        self._directory = directory if directory is not None else UserDirectory()
        self._application: Application | None = None
        self._webhook: WebhookServer | None = None
        self._sink: EventSink | None = None
        self._converter = UpdateConverter(
            self._directory,
            MembershipDeduplicator(),
            lambda: self.bot_username,
            self._admins_changed,
        )
        self.bot_user_id: str | None = None
        self.bot_username: str | None = None

    @classmethod
    def from_settings(cls, section: Any, token: str | None = None) -> TelegramAdapter:
        """Build from the config model's ``telegram`` section (``bot.config``)."""
        return cls(TelegramSettings.from_config(section, token=token))

    @property
    def self_user_id(self) -> str | None:
        """The bot's own user id (known after start); the core skips its own messages."""
        return self.bot_user_id

    @property
    def service_account_ids(self) -> frozenset[str]:
        """Telegram's own senders (linked-channel posts, anonymous admins): never a target."""
        return frozenset({str(TELEGRAM_SERVICE_ID), str(GROUP_ANONYMOUS_BOT_ID)})

    def _admins_changed(self, chat_id: str) -> None:
        if self.on_admins_changed is not None:
            self.on_admins_changed(chat_id)

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def application(self) -> Application:
        if self._application is None:
            raise RuntimeError("TelegramAdapter is not started")
        return self._application

    @property
    def webhook_port(self) -> int | None:
        return self._webhook.port if self._webhook is not None else None

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        application = build_application(self._settings)
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        self._application = application
        await application.initialize()  # getMe: our id and username for /cmd@botname
        me = application.bot
        self.bot_user_id = str(me.id)
        self.bot_username = me.username
        await application.start()
        if self._settings.mode == "webhook":
            await self._start_webhook(application)
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=self._settings.poll_interval,
                timeout=timedelta(seconds=self._settings.poll_timeout),
                # chat_member updates come only when asked for explicitly.
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=self._settings.drop_pending_updates,
                bootstrap_retries=5,
                error_callback=self._on_polling_error,
            )
        log.info("telegram: started as @%s (%s)", self.bot_username, self.bot_user_id)

    async def _start_webhook(self, application: Application) -> None:
        # Imported here: aiohttp is needed only in webhook mode.
        from adapters.telegram.webhook import WebhookServer

        settings = self._settings
        self._webhook = WebhookServer(
            application,
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            path=settings.webhook_path,
            secret=settings.webhook_secret,
        )
        await self._webhook.start()
        assert settings.webhook_url is not None
        async with platform_errors():
            await application.bot.set_webhook(
                url=settings.webhook_url,
                allowed_updates=Update.ALL_TYPES,
                secret_token=settings.webhook_secret,
                drop_pending_updates=settings.drop_pending_updates,
            )

    async def stop(self) -> None:
        application = self._application
        if application is None:
            return
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        self._application = None

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self._sink is not None
        for event in self._converter.convert(update):
            await self._sink(event)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The core records its own failures; this only keeps one bad update from being silent.
        log.error("telegram: handling update failed: %r", update, exc_info=context.error)

    @staticmethod
    def _on_polling_error(error: TelegramError) -> None:
        log.warning("telegram: polling error (PTB retries): %s", error)

    # -- sending -------------------------------------------------------------------------------

    def _mention_html(self, text: str, mention: Sequence[str]) -> str:
        """Escape ``text`` for HTML and link each mentioned user.

        If the user's name already appears in the text it becomes the link; otherwise a link is
        put in front, so the member is notified either way.
        """
        body = html.escape(text)
        prefix: list[str] = []
        for user_id in mention:
            if _is_sender_chat(user_id) or not user_id.lstrip("-").isdigit():
                continue
            known = self._directory.by_id(user_id)
            name = (known.nickname or known.username or user_id) if known else user_id
            link = f'<a href="tg://user?id={user_id}">{html.escape(name)}</a>'
            escaped_name = html.escape(name)
            if known is not None and escaped_name and escaped_name in body:
                body = body.replace(escaped_name, link, 1)
            else:
                prefix.append(link)
        return " ".join([*prefix, body]) if prefix else body

    @staticmethod
    def _keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        keys = [InlineKeyboardButton(b.label, callback_data=b.data) for b in buttons]
        rows = [keys[i : i + BUTTONS_PER_ROW] for i in range(0, len(keys), BUTTONS_PER_ROW)]
        return InlineKeyboardMarkup(rows)

    async def send_message(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        mention: Sequence[str] = (),
        buttons: Sequence[Button] = (),
        delete_after: float | None = None,
    ) -> str | None:
        reply = None
        if reply_to is not None:
            # The executor often replies to a message it has just deleted: send anyway.
            reply = ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
        async with platform_errors():
            sent = await self.application.bot.send_message(
                chat_id=_chat(chat_id),
                text=self._mention_html(text, mention),
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=self._keyboard(buttons),
            )
        message_id = str(sent.message_id)
        if delete_after is not None:
            self._schedule_delete(chat_id, message_id, delete_after)
        return message_id

    async def send_document(
        self, chat_id: str, filename: str, data: bytes, caption: str = ""
    ) -> str | None:
        """A file for a chat (supervision reports). Captions are capped at 1,024 characters
        by Telegram; the full summary goes as a message before the file."""
        async with platform_errors():
            sent = await self.application.bot.send_document(
                chat_id=_chat(chat_id),
                document=InputFile(data, filename=filename),
                caption=caption[:1024] or None,
            )
        return str(sent.message_id)

    def _schedule_delete(self, chat_id: str, message_id: str, delay: float) -> None:
        """Reminders tidy themselves away. Kept in memory on purpose: a reminder left behind by
        a restart is untidy, not a broken rule, so it does not earn a database timer."""
        queue = self.application.job_queue
        if queue is None:
            log.warning("telegram: no job queue; message %s stays", message_id)
            return
        queue.run_once(
            self._delete_job,
            when=max(delay, 0.0),
            data=(chat_id, message_id),
            name=f"delete:{chat_id}:{message_id}",
        )

    async def _delete_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, message_id = context.job.data  # type: ignore[union-attr,misc]
        try:
            await self.application.bot.delete_message(_chat(chat_id), int(message_id))
        except TelegramError as exc:  # already deleted by an admin, or rights lost: harmless
            log.info("telegram: could not delete reminder %s: %s", message_id, exc)

    async def send_private(
        self, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        try:
            await self.application.bot.send_message(
                chat_id=int(user_id), text=text, reply_markup=self._keyboard(buttons)
            )
        except Forbidden:
            return False  # the user never started the bot, or blocked it
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return False
            raise to_platform_error(exc) from exc
        except TelegramError as exc:
            raise to_platform_error(exc) from exc
        return True

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """Publish the command menu (name, description); the texts come from the catalogue."""
        async with platform_errors():
            await self.application.bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands]
            )

    # -- moderation ----------------------------------------------------------------------------

    async def delete_message(self, chat_id: str, message_id: str) -> None:
        async with platform_errors():
            await self.application.bot.delete_message(_chat(chat_id), int(message_id))

    async def mute(self, chat_id: str, user_id: str, until: datetime | None) -> None:
        if until is not None:
            until = max(until, datetime.now(UTC) + MIN_RESTRICTION)
        async with platform_errors():
            await self.application.bot.restrict_chat_member(
                _chat(chat_id), int(user_id), permissions.MUTED, until_date=until
            )

    async def unmute(self, chat_id: str, user_id: str) -> None:
        async with platform_errors():
            await self.application.bot.restrict_chat_member(
                _chat(chat_id), int(user_id), permissions.UNMUTED
            )

    async def remove(self, chat_id: str, user_id: str) -> None:
        """Ban then unban: Telegram has no plain kick, and the unban lets them rejoin."""
        bot = self.application.bot
        async with platform_errors():
            if _is_sender_chat(user_id):
                await bot.ban_chat_sender_chat(_chat(chat_id), int(user_id))
                await bot.unban_chat_sender_chat(_chat(chat_id), int(user_id))
                return
            await bot.ban_chat_member(_chat(chat_id), int(user_id))
            await bot.unban_chat_member(_chat(chat_id), int(user_id), only_if_banned=True)

    async def ban(self, chat_id: str, user_id: str) -> None:
        bot = self.application.bot
        async with platform_errors():
            if _is_sender_chat(user_id):
                await bot.ban_chat_sender_chat(_chat(chat_id), int(user_id))
            else:
                await bot.ban_chat_member(_chat(chat_id), int(user_id))

    async def unban(self, chat_id: str, user_id: str) -> None:
        bot = self.application.bot
        async with platform_errors():
            if _is_sender_chat(user_id):
                await bot.unban_chat_sender_chat(_chat(chat_id), int(user_id))
            else:
                # only_if_banned: never kick a member who is in the chat and not banned.
                await bot.unban_chat_member(_chat(chat_id), int(user_id), only_if_banned=True)

    async def set_quiet(self, chat_id: str, quiet: bool) -> None:
        chosen = permissions.QUIET if quiet else permissions.GROUP_DEFAULT
        async with platform_errors():
            await self.application.bot.set_chat_permissions(_chat(chat_id), chosen)

    # -- asking --------------------------------------------------------------------------------

    async def get_admins(self, chat_id: str) -> list[AdminInfo]:
        async with platform_errors():
            members = await self.application.bot.get_chat_administrators(_chat(chat_id))
        admins: list[AdminInfo] = []
        for member in members:
            if isinstance(member, ChatMemberOwner):
                admins.append(AdminInfo(user_id=str(member.user.id), is_owner=True))
            elif isinstance(member, ChatMemberAdministrator):
                admins.append(AdminInfo(user_id=str(member.user.id), rights=_rights(member)))
        return admins

    async def get_own_rights(self, chat_id: str) -> AdminInfo | None:
        """The bot's own rights in a chat (for /status); None when it is not an admin."""
        if self.bot_user_id is None:
            raise PlatformError("bad_request", "adapter not started")
        async with platform_errors():
            member = await self.application.bot.get_chat_member(
                _chat(chat_id), int(self.bot_user_id)
            )
        if isinstance(member, ChatMemberAdministrator):
            return AdminInfo(user_id=self.bot_user_id, rights=_rights(member))
        return None

    async def answer_button(self, callback_id: str, text: str) -> None:
        async with platform_errors():
            await self.application.bot.answer_callback_query(callback_id, text=text)

    async def edit_message(self, chat_id: str, message_id: str, text: str) -> None:
        """Replace a message's text and drop its buttons (an answered escalation)."""
        async with platform_errors():
            await self.application.bot.edit_message_text(
                text, chat_id=_chat(chat_id), message_id=int(message_id), reply_markup=None
            )
