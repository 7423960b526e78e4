"""WeChat groups through python ``wechaty`` 0.10.7 and a wechaty puppet service.

What the adapter can do is declared in ``CAPABILITIES``: a WeChat account cannot mute, delete
others' messages, quiet a group, delete its own messages or read admin roles, so the executor
applies the documented fallbacks (a mute becomes a recorded restriction; a message during it is
an offence). Removal works when the bot's account owns the room or is one of its admins.

Room payloads are read through ``PuppetService`` directly, not wechaty's ``Room``/``Contact``
classes: those cache payloads forever in class-level pools shared by every bot in the process,
so topic, member and alias changes would never be seen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.wechat import compat, convert
from adapters.wechat.connection import PuppetFactory, ServiceConnection
from adapters.wechat.errors import call
from adapters.wechat.pipeline import OrderedPipeline
from adapters.wechat.settings import WeChatSettings
from adapters.wechat.throttle import Clock, OutgoingThrottle
from bot.events import (
    AnyEvent,
    CommandIssued,
    Member,
    MemberJoined,
    MemberLeft,
    MessagePosted,
)
from bot.ports import AdminInfo, Button, Capabilities, EventSink, PlatformError

log = logging.getLogger(__name__)

PLATFORM = "wechat"

CAPABILITIES = Capabilities(
    delete_message=False,  # no API deletes another member's message
    mute=False,  # WeChat has no per-member mute
    remove=True,  # room.delete, when the bot owns or administers the room
    # No platform-kept ban exists: ``ban`` removes, and the core's global blacklist removes
    # the member again on rejoin. Declared True because the call does what the executor needs.
    ban=True,
    private_message=True,  # only to contacts who are friends of the bot's account
    quiet_group=False,  # no 全员禁言 through the puppet API
    delete_own_messages=False,  # recall works only within 2 min: not reliable for reminders
    admin_roles=False,  # only the owner is known; admins come from config
    buttons=False,
)


class _TTLCache:
    """Tiny per-adapter cache; entries expire so renamed rooms and members are seen again."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] > self._ttl:
            return None
        return hit[1]

    def put(self, key: str, value: Any) -> None:
        if len(self._items) > 10_000:  # bound memory in a very large deployment
            self._items.clear()
        self._items[key] = (time.monotonic(), value)

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


class WeChatAdapter:
    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WeChatSettings,
        *,
        puppet_factory: PuppetFactory | None = None,
        throttle_clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._puppet_factory = puppet_factory
        self._throttle = OutgoingThrottle(settings.throttle, throttle_clock)
        self._rooms = _TTLCache(settings.room_cache_ttl)
        self._contacts = _TTLCache(settings.contact_cache_ttl)
        self._conn: ServiceConnection | None = None
        self._pipeline: OrderedPipeline | None = None
        self.self_id: str | None = None

    @classmethod
    def from_settings(cls, section: Any, environ: Any = None) -> WeChatAdapter:
        """From the config's ``wechat`` section; the token comes from its ``token_env``."""
        return cls(WeChatSettings.from_config(section, environ))

    @property
    def self_user_id(self) -> str | None:
        """The bot account's contact id once logged in (the core ignores its own messages)."""
        return self.self_id

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        compat.apply()
        self._pipeline = OrderedPipeline(sink, self.settings.prefetch)
        self._conn = ServiceConnection(self.settings, self._on_raw_event, self._puppet_factory)
        self.self_id = await self._conn.open()
        self._pipeline.start()
        self._throttle.start()

    async def stop(self) -> None:
        await self._throttle.stop(self.settings.drain_timeout)
        if self._pipeline is not None:
            await self._pipeline.stop()
        if self._conn is not None:
            await self._conn.close()

    async def drain(self) -> None:
        """Wait until received events are handled and queued messages sent (tests, bench)."""
        if self._pipeline is not None:
            await self._pipeline.drain()
        await self._throttle.drain()

    @property
    def throttle(self) -> OutgoingThrottle:
        return self._throttle

    # -- incoming -----------------------------------------------------------------------

    def _on_raw_event(self, name: str, payload: Any) -> None:
        assert self._pipeline is not None
        if name == "message":
            self._pipeline.push(
                lambda: self._message(payload.message_id), f"message {payload.message_id}"
            )
        elif name == "room-join":
            self._pipeline.push(lambda: self._joined(payload), f"join {payload.room_id}")
        elif name == "room-leave":
            self._pipeline.push(lambda: self._left(payload), f"leave {payload.room_id}")
        elif name == "room-topic":
            # No neutral "chat renamed" event exists: refresh the title later events carry.
            self._rooms.drop(payload.room_id)
            log.info(
                "wechat: room %s renamed %r -> %r",
                payload.room_id,
                payload.old_topic,
                payload.new_topic,
            )

    async def _message(self, message_id: str) -> Sequence[AnyEvent]:
        timeout = self.settings.call_timeout
        stub = self._stub
        p = await call(stub.message_payload(id=message_id), "message payload", timeout)
        room_id = p.room_id
        if not room_id or p.from_id == self.self_id or not p.from_id:
            return ()  # private chats are out of scope; never act on our own messages
        raw_type = int(p.type)
        if raw_type == convert.RECALLED:
            return ()  # a recall notice, not a new message
        room = await self.room_info(room_id)
        sender = await self.member(room_id, p.from_id, room)
        text = p.text or ""
        kind = convert.media_kind(raw_type)
        forwarded = raw_type == convert.CHAT_HISTORY
        origin = convert.chat_history_title(text) if forwarded else None
        if raw_type == convert.URL:
            link = await self._link_text(message_id)
            text = link or text
        at = convert.timestamp(p.timestamp)
        common: dict[str, Any] = {
            "platform": PLATFORM,
            "chat_id": room_id,
            "chat_title": room.topic or None,
            "update_id": f"msg:{message_id}",
        }
        if at is not None:
            common["at"] = at
        if raw_type == convert.TEXT:
            mentioned = [m for m in p.mention_ids if m and m != self.self_id]
            members = [await self.member(room_id, m, room) for m in mentioned]
            parsed = convert.parse_command(text, [m.nickname for m in members])
            if parsed is not None:
                name, args = parsed
                return (
                    CommandIssued(
                        **common,
                        message_id=message_id,
                        sender=sender,
                        name=name,
                        args=args,
                        target=members[0] if members else None,
                        raw_text=text,
                    ),
                )
        return (
            MessagePosted(
                **common,
                message_id=message_id,
                sender=sender,
                text=text,
                media_kind=kind,
                forwarded=forwarded,
                forward_origin=origin,
            ),
        )

    async def _link_text(self, message_id: str) -> str:
        try:
            answer = await call(
                self._stub.message_url(id=message_id), "message url", self.settings.call_timeout
            )
        except PlatformError as exc:
            log.info("wechat: link card %s unreadable: %s", message_id, exc)
            return ""
        return convert.url_link_text(answer.url_link)

    async def _joined(self, payload: Any) -> Sequence[AnyEvent]:
        self._rooms.drop(payload.room_id)
        room = await self.room_info(payload.room_id)
        inviter = (
            await self.member(payload.room_id, payload.inviter_id, room)
            if payload.inviter_id
            else None
        )
        events: list[AnyEvent] = []
        for contact_id in payload.invited_ids:
            if contact_id == self.self_id:
                continue
            events.append(
                MemberJoined(
                    platform=PLATFORM,
                    chat_id=payload.room_id,
                    chat_title=room.topic or None,
                    update_id=f"join:{payload.room_id}:{contact_id}:{payload.timestamp}",
                    member=await self.member(payload.room_id, contact_id, room),
                    invited_by=inviter,
                    **self._at(payload.timestamp),
                )
            )
        return events

    async def _left(self, payload: Any) -> Sequence[AnyEvent]:
        self._rooms.drop(payload.room_id)
        room = await self.room_info(payload.room_id)
        remover = (
            await self.member(payload.room_id, payload.remover_id, room)
            if payload.remover_id
            else None
        )
        return [
            MemberLeft(
                platform=PLATFORM,
                chat_id=payload.room_id,
                chat_title=room.topic or None,
                update_id=f"leave:{payload.room_id}:{contact_id}:{payload.timestamp}",
                member=await self.member(payload.room_id, contact_id, room),
                removed_by=remover if remover and remover.user_id != contact_id else None,
                **self._at(payload.timestamp),
            )
            for contact_id in payload.removed_ids
        ]

    @staticmethod
    def _at(value: Any) -> dict[str, datetime]:
        at = convert.timestamp(int(value)) if value else None
        return {"at": at} if at is not None else {}

    # -- look-ups -----------------------------------------------------------------------

    @property
    def _stub(self) -> Any:
        if self._conn is None or self._conn.puppet is None:
            raise PlatformError("transient", "wechat: not connected")
        return self._conn.stub

    async def room_info(self, room_id: str) -> convert.RoomInfo:
        cached = self._rooms.get(room_id)
        if cached is not None:
            return cached
        p = await call(
            self._stub.room_payload(id=room_id), "room payload", self.settings.call_timeout
        )
        info = convert.RoomInfo(room_id, p.topic or "", p.owner_id or "", tuple(p.member_ids))
        self._rooms.put(room_id, info)
        return info

    async def contact_info(self, contact_id: str) -> convert.ContactInfo:
        cached = self._contacts.get(contact_id)
        if cached is not None:
            return cached
        p = await call(
            self._stub.contact_payload(id=contact_id),
            "contact payload",
            self.settings.call_timeout,
        )
        info = convert.ContactInfo(
            contact_id,
            p.name or "",
            p.weixin or None,
            bool(p.friend),
            int(p.type) == 2,  # ContactType.Official: a 公众号, never a member to punish
        )
        self._contacts.put(contact_id, info)
        return info

    async def member(
        self, room_id: str, contact_id: str, room: convert.RoomInfo | None = None
    ) -> Member:
        """The member as the rules see them; the room alias is always read fresh."""
        room = room or await self.room_info(room_id)
        try:
            contact = await self.contact_info(contact_id)
        except PlatformError as exc:
            log.info("wechat: contact %s unreadable: %s", contact_id, exc)
            contact = convert.ContactInfo(contact_id, "", None, False, False)
        alias: str | None = None
        try:
            mp = await call(
                self._stub.room_member_payload(id=room_id, member_id=contact_id),
                "room member payload",
                self.settings.call_timeout,
            )
            alias = mp.room_alias or None
            if not contact.name and mp.name:
                contact = convert.ContactInfo(
                    contact_id, mp.name, contact.handle, contact.friend, contact.official
                )
        except PlatformError as exc:
            # A member who has just left has no member payload any more: use the WeChat name.
            log.debug("wechat: member %s of %s unreadable: %s", contact_id, room_id, exc)
        return Member(
            user_id=contact_id,
            nickname=convert.nickname(alias, contact.name, contact_id),
            username=contact.handle,
            is_bot=contact_id == self.self_id,
            is_service_account=contact.official,
            is_platform_admin=bool(room.owner_id) and contact_id == room.owner_id,
        )

    # -- actions ------------------------------------------------------------------------

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
        """Queue a room message behind the throttle; returns None (the id is not known yet).

        WeChat shows a mention only if the text carries ``@name`` as well as the id list, so
        each mentioned member's current nickname is written in front. ``reply_to``,
        ``buttons`` and ``delete_after`` have no WeChat equivalent and are ignored.
        """
        names = []
        for user_id in mention:
            try:
                names.append((await self.member(chat_id, user_id)).nickname)
            except PlatformError:
                names.append(user_id)
        body = "".join(f"@{n}\u2005" for n in names) + text
        ids = list(mention)
        stub_timeout = self.settings.call_timeout

        async def send() -> str | None:
            answer = await call(
                self._stub.message_send_text(conversation_id=chat_id, text=body, mentonal_ids=ids),
                "send message",
                stub_timeout,
            )
            return answer.id or None

        self._throttle.submit(chat_id, send)
        return None

    async def send_private(
        self, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        """Only a friend of the bot's account can be written to; False otherwise. WeChat has
        no buttons (``capabilities.buttons`` is off): callers write text verbs instead."""
        try:
            contact = await self.contact_info(user_id)
        except PlatformError:
            return False
        if not contact.friend:
            return False
        timeout = self.settings.call_timeout

        async def send() -> str | None:
            answer = await call(
                self._stub.message_send_text(conversation_id=user_id, text=text),
                "send private",
                timeout,
            )
            return answer.id or None

        self._throttle.submit(user_id, send)
        return True

    async def remove(self, chat_id: str, user_id: str) -> None:
        await call(
            self._stub.room_del(id=chat_id, contact_id=user_id),
            "remove member",
            self.settings.call_timeout,
        )
        self._rooms.drop(chat_id)

    async def ban(self, chat_id: str, user_id: str) -> None:
        # WeChat keeps no ban list: remove now; the core's blacklist removes on rejoin.
        await self.remove(chat_id, user_id)

    async def unban(self, chat_id: str, user_id: str) -> None:
        return None  # nothing kept on the platform side; the core lifts its blacklist

    async def get_admins(self, chat_id: str) -> list[AdminInfo]:
        """The room owner only: WeChat's puppet API exposes no admin roles or rights."""
        room = await self.room_info(chat_id)
        return [AdminInfo(user_id=room.owner_id, is_owner=True)] if room.owner_id else []

    async def delete_message(self, chat_id: str, message_id: str) -> None:
        raise _unsupported("deleting another member's message")

    async def mute(self, chat_id: str, user_id: str, until: datetime | None) -> None:
        raise _unsupported("mute")

    async def unmute(self, chat_id: str, user_id: str) -> None:
        raise _unsupported("unmute")

    async def set_quiet(self, chat_id: str, quiet: bool) -> None:
        raise _unsupported("quieting the whole group")

    async def answer_button(self, callback_id: str, text: str) -> None:
        raise _unsupported("buttons")


def _unsupported(what: str) -> PlatformError:
    # The executor reads CAPABILITIES and never calls these; reaching one is a bug upstream.
    return PlatformError("bad_request", f"wechat cannot do this: {what}")
