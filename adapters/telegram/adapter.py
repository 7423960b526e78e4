"""``TelegramAdapter``: the ``bot.ports.Adapter`` protocol on python-telegram-bot 22."""

from __future__ import annotations

import asyncio
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
from telegram.error import BadRequest, Conflict, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

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
from bot.lanes import Lanes
from bot.ports import AdminInfo, Button, Capabilities, EventSink, PlatformError, UpdateInbox

if TYPE_CHECKING:
    from adapters.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

# Telegram treats a restriction shorter than 30 s as *permanent*; a short mute must not become
# a forever mute, so it is stretched to just over that.
MIN_RESTRICTION = timedelta(seconds=31)
BUTTONS_PER_ROW = 2
# Seconds beyond the long-poll timeout before a getUpdates call counts as failed.
READ_SLACK = 10.0


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
        self._inbox: UpdateInbox | None = None
        # True while getUpdates answers 409: another poller holds this token (/readyz).
        self.poll_conflict = False
        self._lanes: Lanes | None = None
        self._polling: asyncio.Task[None] | None = None
        self._poll_failing = False  # the last getUpdates failed (readiness says so)
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

    @property
    def queued(self) -> int:
        """Updates fetched and waiting in the chats' lanes (the core's metrics read it)."""
        return self._lanes.waiting if self._lanes is not None else 0

    @property
    def ready(self) -> bool:
        """Started, and (polling) the last getUpdates reached Telegram: the core's readiness."""
        if self._application is None or self._lanes is None:
            return False
        return self._webhook is not None or (self._polling is not None and not self._poll_failing)

    def use_inbox(self, inbox: UpdateInbox) -> None:
        """Record every update here before acknowledging it (without one, an update is held
        only in memory between its fetch and its handling: tests and benchmarks)."""
        self._inbox = inbox

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        application = build_application(self._settings)
        self._application = application
        await application.initialize()  # getMe: our id and username for /cmd@botname
        me = application.bot
        self.bot_user_id = str(me.id)
        self.bot_username = me.username
        await application.start()  # the job queue that tidies reminders away
        self._lanes = Lanes(self._settings.max_waiting)
        # What a crash left recorded but unhandled comes first, ahead of anything new.
        await self._replay_inbox()
        if self._settings.mode == "webhook":
            await self._start_webhook(application)
        else:
            await self._delete_webhook()
            self._polling = asyncio.create_task(self._poll(), name="telegram:poll")
        log.info("telegram: started as @%s (%s)", self.bot_username, self.bot_user_id)

    async def _delete_webhook(self, attempts: int = 5) -> None:
        """Polling needs no webhook set; a brief network fault at start is ridden out, as
        PTB's Updater did with its bootstrap retries."""
        for attempt in range(attempts):
            try:
                async with platform_errors():
                    await self.application.bot.delete_webhook(
                        drop_pending_updates=self._settings.drop_pending_updates
                    )
                return
            except PlatformError as exc:
                if not exc.retryable or attempt == attempts - 1:
                    raise
                await asyncio.sleep(min(2**attempt, 10))

    async def _replay_inbox(self) -> None:
        if self._inbox is None:
            return
        # Rows recorded but not handled: this instance's before a restart, and those of any
        # instance whose lease lapsed; later ones adopted from a lapsed instance come here too.
        adopted = await self._inbox.adopt(PLATFORM)
        for _, _, payload in adopted:
            await self._replay_one(payload)
        if adopted:
            log.warning("telegram: handling %d update(s) received before a stop", len(adopted))
        self._inbox.follow(PLATFORM, self._replay_one)

    async def _replay_one(self, payload: dict[str, Any]) -> None:
        if self._lanes is None:
            return  # stopping: the row stays unhandled for whoever adopts it next
        await self._lanes.room()  # each once there is room: a long outage may have left many
        self._dispatch(payload)

    async def _poll(self) -> None:
        """Long-poll ``getUpdates``. Passing ``offset`` acknowledges every earlier update, so
        the offset moves past a batch only after the batch is committed to the inbox."""
        offset: int | None = None
        delay = 0.0
        assert self._lanes is not None
        while True:
            await self._lanes.room()  # back-pressure: Telegram keeps what we do not fetch
            try:
                updates = await self._fetch(offset)
                if updates:
                    await self._receive(updates)
                    offset = int(updates[-1]["update_id"]) + 1
                delay, self._poll_failing = 0.0, False
                self.poll_conflict = False
            except asyncio.CancelledError:
                raise
            except Conflict:
                # 409: Telegram serves getUpdates to one consumer per token. Two pollers
                # would split the updates between them, unpredictably; say so plainly.
                if not self.poll_conflict:
                    log.error(
                        "telegram: another process is polling this bot token (409 Conflict "
                        "from getUpdates). Polling serves one instance only: stop the other, "
                        "or run every instance in webhook mode behind a load balancer."
                    )
                self.poll_conflict = self._poll_failing = True
                delay = min(max(delay * 2, 1.0), 30.0)
                await asyncio.sleep(delay)
                continue
            except Exception as exc:  # network, Telegram or database: wait and fetch again
                delay, self._poll_failing = min(max(delay * 2, 0.5), 30.0), True
                log.warning("telegram: polling failed (%s); again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            if self._settings.poll_interval:
                await asyncio.sleep(self._settings.poll_interval)

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """One ``getUpdates`` call, answered as the JSON Telegram sent. The inbox records that
        JSON; ``Bot.get_updates`` returns parsed objects only, and serialising them again cost
        a third of the bot's throughput. ``_post`` is the request path every PTB method uses
        (with its error mapping); ``do_api_request`` would warn on every call."""
        timeout = self._settings.poll_timeout
        result = await self.application.bot._post(
            "getUpdates",
            {
                "offset": offset,
                "timeout": int(timeout),  # whole seconds, as the Bot API documents
                # chat_member updates come only when asked for explicitly.
                "allowed_updates": Update.ALL_TYPES,
            },
            read_timeout=timeout + READ_SLACK,
        )
        return list(result or [])

    async def _receive(self, updates: Sequence[dict[str, Any]]) -> None:
        """Commit a batch to the inbox (raising if it cannot be), then hand each new update to
        its chat's lane. Also the webhook's entry: it answers Telegram only after this."""
        fresh: Sequence[dict[str, Any]] = updates
        if self._inbox is not None:
            new = set(await self._inbox.put(PLATFORM, [(str(u["update_id"]), u) for u in updates]))
            fresh = [u for u in updates if str(u["update_id"]) in new]
        for update in fresh:
            self._dispatch(update)

    def _dispatch(self, payload: dict[str, Any]) -> None:
        assert self._lanes is not None
        update_id = str(payload.get("update_id"))
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception:  # one malformed update must not stop the others
            log.exception("telegram: unreadable update %s", update_id)
            update = None
        if update is None:
            if self._inbox is not None:
                self._inbox.handled(PLATFORM, update_id)
            return
        key = "all"
        if self._settings.concurrent_chats:
            chat = update.effective_chat
            key = str(chat.id) if chat is not None else "none"
        self._lanes.submit(key, lambda: self._handle(update))

    async def _handle(self, update: Update) -> None:
        assert self._sink is not None
        try:
            for event in self._converter.convert(update):
                await self._sink(event)
        except Exception:
            # The core records its own failures; this only keeps one bad update from being
            # silent (and from being replayed for ever).
            log.exception("telegram: handling update %s failed", update.update_id)
        if self._inbox is not None:
            self._inbox.handled(PLATFORM, str(update.update_id))

    async def _start_webhook(self, application: Application) -> None:
        # Imported here: aiohttp is needed only in webhook mode.
        from adapters.telegram.webhook import WebhookServer

        settings = self._settings
        self._webhook = WebhookServer(
            self._receive,
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
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        if self._lanes is not None:
            # What is not handled by then stays in the inbox for the next start.
            await self._lanes.close(grace=self._settings.stop_grace)
            self._lanes = None
        if application.running:
            await application.stop()
        await application.shutdown()
        self._application = None

    async def idle(self) -> None:
        """Wait until every update fetched so far has been handled (tests, benchmarks)."""
        if self._lanes is not None:
            await self._lanes.idle()

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

    async def send_file(self, chat_id: str, filename: str, data: bytes, caption: str) -> None:
        """Optional port method: a document (the member audit's xlsx) to a chat or a user."""
        async with platform_errors():
            await self.application.bot.send_document(
                chat_id=_chat(chat_id), document=InputFile(data, filename=filename), caption=caption
            )

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
