"""QQ groups through a OneBot v11 implementation: the ``Adapter`` port over ``OneBotClient``.

QQ has every native power the executor uses: recall, mute with a duration, kick with
"reject further join requests", whole-group mute, group cards and admin roles; join requests
arrive as events the core answers (a blacklisted requester is refused everywhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from adapters.qq.client import Frame, OneBotClient
from adapters.qq.convert import PLATFORM, ident, wire_id
from adapters.qq.cqcode import Segment, to_array, to_string
from adapters.qq.inbound import Inbound
from adapters.qq.members import MemberDirectory
from adapters.qq.settings import MAX_MUTE_SECONDS, QQSettings
from bot.ports import (
    RIGHT_CHANGE_INFO,
    RIGHT_DELETE,
    RIGHT_INVITE,
    RIGHT_PIN,
    RIGHT_PROMOTE,
    RIGHT_RESTRICT,
    AdminInfo,
    Button,
    Capabilities,
    EventSink,
    PlatformError,
)

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(
    delete_message=True,  # delete_msg: an admin bot may recall any member's message
    mute=True,  # set_group_ban with a duration in seconds
    remove=True,  # set_group_kick
    ban=True,  # set_group_kick with reject_add_request
    private_message=True,  # friends, and group members through a temporary session
    quiet_group=True,  # set_group_whole_ban
    delete_own_messages=True,
    admin_roles=True,  # role owner/admin in member info
    buttons=False,  # no inline buttons: escalation verbs are text commands (/ack 12)
    join_requests=True,  # request events with a flag; set_group_add_request answers
    set_nickname=False,  # set_group_card: only when qq.set_card allows it (per instance)
)
# What a QQ group admin can do; the owner can do everything, including naming admins.
ADMIN_RIGHTS = frozenset({RIGHT_DELETE, RIGHT_RESTRICT, RIGHT_CHANGE_INFO, RIGHT_PIN, RIGHT_INVITE})
OWNER_RIGHTS = ADMIN_RIGHTS | {RIGHT_PROMOTE}
# A mute shorter than a minute is refused by QQ; a shorter one is applied as one minute.
MIN_MUTE_SECONDS = 60


def wall_clock() -> datetime:
    return datetime.now(UTC)


class QQAdapter:
    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, settings: QQSettings, *, now: Callable[[], datetime] = wall_clock) -> None:
        self.settings = settings
        self.capabilities = replace(CAPABILITIES, set_nickname=settings.set_card)
        # Mutes are sent as durations, so "now" must be the core's clock (tests move it).
        self._now = now
        self.client = OneBotClient(settings, self._received)
        self.members = MemberDirectory(
            self.client.call, settings.member_cache_ttl, lambda: self.client.self_id
        )
        self._inbound = Inbound(
            self.client.call, self.members, lambda: self.client.self_id, self._admins_changed
        )
        self._queue: asyncio.Queue[Frame] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._sink: EventSink | None = None
        # Set by the application: drops its cached admin list when QQ says admins changed.
        self.on_admins_changed: Callable[[str], None] | None = None

    @property
    def self_user_id(self) -> str | None:
        """The bot's own QQ number once known (the core never judges its own messages)."""
        return self.client.self_id

    @property
    def ready(self) -> bool:
        """A link that carries calls is open (the core's /readyz asks)."""
        return self.client.connected

    @property
    def queued(self) -> int:
        """Frames received and not yet handled (a gauge of the core's metrics)."""
        return self._queue.qsize() if self._queue is not None else 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        self._queue = asyncio.Queue()
        self._consumer = asyncio.create_task(self._consume(), name="qq-events")
        try:
            await self.client.start()
        except BaseException:
            await self._stop_consumer()
            raise

    async def stop(self) -> None:
        await self.client.stop()
        await self._stop_consumer()

    async def _stop_consumer(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None

    async def drain(self) -> None:
        """Wait until every event received so far is handled (tests, benchmarks)."""
        if self._queue is not None:
            await self._queue.join()

    # -- incoming -----------------------------------------------------------------------

    def _received(self, frame: Frame) -> None:
        # Called from the client's read loop: queue only, never wait (see client.py).
        if self._queue is not None and frame.get("post_type") != "meta_event":
            self._queue.put_nowait(frame)

    async def _consume(self) -> None:
        """Events in the order received, one at a time: a join must be judged before the same
        member's first message."""
        assert self._queue is not None and self._sink is not None
        while True:
            frame = await self._queue.get()
            try:
                for event in await self._inbound.events(frame):
                    try:
                        await self._sink(event)
                    except Exception:
                        log.exception("qq: handling %s failed", event.update_id)
            except Exception as exc:
                # Malformed input is one line and a skipped event, never a stopped bot.
                log.warning("qq: skipped an unreadable %s event: %r", frame.get("post_type"), exc)
            finally:
                self._queue.task_done()

    def _admins_changed(self, chat_id: str) -> None:
        if self.on_admins_changed is not None:
            self.on_admins_changed(chat_id)

    # -- sending ------------------------------------------------------------------------

    def _message(self, segments: Sequence[Segment]) -> Any:
        if self.settings.message_format == "string":
            return to_string(segments)
        return to_array(segments)

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
        """A group message, or a private one when ``chat_id`` is a person (a supervisor).
        QQ has no buttons; the escalation workflow offers its verbs as text commands."""
        segments: list[Segment] = []
        if reply_to:
            segments.append(Segment("reply", {"id": reply_to}))
        for user_id in mention:
            segments.append(Segment("at", {"qq": user_id}))
            segments.append(Segment("text", {"text": " "}))
        text = _strip_written_mentions(text, bool(mention))
        segments.append(Segment("text", {"text": text}))
        if await self.members.is_group(chat_id):
            data = await self.client.call(
                "send_group_msg", group_id=wire_id(chat_id), message=self._message(segments)
            )
        else:
            data = await self.client.call(
                "send_private_msg", user_id=wire_id(chat_id), message=self._message(segments)
            )
        return ident(data.get("message_id")) if isinstance(data, dict) else None

    async def send_private(
        self, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        # QQ has no inline buttons (capabilities.buttons is False): callers give text verbs.
        params: dict[str, Any] = {
            "user_id": wire_id(user_id),
            "message": self._message([Segment("text", {"text": text})]),
        }
        group = self.members.shared_group(user_id)
        if group is not None:
            params["group_id"] = wire_id(group)  # a temporary session if not a friend
        await self.client.call("send_private_msg", **params)
        return True

    # -- actions ------------------------------------------------------------------------

    async def delete_message(self, chat_id: str, message_id: str) -> None:
        await self.client.call("delete_msg", message_id=wire_id(message_id))

    async def mute(self, chat_id: str, user_id: str, until: datetime | None) -> None:
        seconds = (
            MAX_MUTE_SECONDS
            if until is None
            else math.ceil(round((until - self._now()).total_seconds(), 3))
        )
        if seconds <= 0:
            return await self.unmute(chat_id, user_id)  # already over: 0 would lift anyway
        # NapCat's duration defaults to 0 (= lift): always send it explicitly.
        duration = min(max(seconds, MIN_MUTE_SECONDS), MAX_MUTE_SECONDS)
        await self.client.call(
            "set_group_ban", group_id=wire_id(chat_id), user_id=wire_id(user_id), duration=duration
        )
        return None

    async def unmute(self, chat_id: str, user_id: str) -> None:
        await self.client.call(
            "set_group_ban", group_id=wire_id(chat_id), user_id=wire_id(user_id), duration=0
        )

    async def remove(self, chat_id: str, user_id: str) -> None:
        await self.client.call(
            "set_group_kick",
            group_id=wire_id(chat_id),
            user_id=wire_id(user_id),
            reject_add_request=False,
        )
        self.members.forget(chat_id, user_id)

    async def ban(self, chat_id: str, user_id: str) -> None:
        await self.client.call(
            "set_group_kick",
            group_id=wire_id(chat_id),
            user_id=wire_id(user_id),
            reject_add_request=True,
        )
        self.members.forget(chat_id, user_id)

    async def unban(self, chat_id: str, user_id: str) -> None:
        # OneBot has no call to take someone off QQ's "refuse requests" list; the core lifts
        # its blacklist, so their next request reaches the admins again.
        return None

    async def set_quiet(self, chat_id: str, quiet: bool) -> None:
        await self.client.call("set_group_whole_ban", group_id=wire_id(chat_id), enable=quiet)

    async def set_nickname(self, chat_id: str, user_id: str, card: str) -> None:
        """Set a member's group card (群名片) — only when ``qq.set_card`` allows it."""
        if not self.settings.set_card:
            raise PlatformError("forbidden", "qq: setting group cards is off (qq.set_card)")
        await self.client.call(
            "set_group_card", group_id=wire_id(chat_id), user_id=wire_id(user_id), card=card
        )
        self.members.forget(chat_id, user_id)

    async def answer_join_request(
        self, chat_id: str, request_id: str, approve: bool, reason: str = ""
    ) -> None:
        params: dict[str, Any] = {"flag": request_id, "sub_type": "add", "approve": approve}
        if not approve and reason:
            params["reason"] = reason
        await self.client.call("set_group_add_request", **params)

    async def get_admins(self, chat_id: str) -> list[AdminInfo]:
        admins = []
        for info in await self.members.member_list(chat_id):
            role, user = info.get("role"), ident(info.get("user_id"))
            if user is None or role not in ("owner", "admin"):
                continue
            owner = role == "owner"
            admins.append(
                AdminInfo(user, is_owner=owner, rights=OWNER_RIGHTS if owner else ADMIN_RIGHTS)
            )
        return admins

    async def answer_button(self, callback_id: str, text: str) -> None:
        raise PlatformError("bad_request", "qq has no buttons")


def _strip_written_mentions(text: str, mentioned: bool) -> str:
    # Texts carry "@name" for platforms without mention entities; with a real @ segment in
    # front the written one would show the name twice.
    if mentioned and text.startswith("@"):
        _head, sep, rest = text.partition(" ")
        return rest if sep else text
    return text
