"""An in-process fake of the puppet service's gRPC stub, for the no-Node test tier.

The python client's own ``PuppetService`` runs unchanged on top of it: its ``start()`` calls
``stop``/``start``, reads ``event()`` and parses each JSON payload exactly as it does against
a real service. Only ``_init_puppet`` (which opens the gRPC channel) is replaced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from adapters.wechat import compat

compat.apply()

from grpclib.const import Status  # noqa: E402
from grpclib.exceptions import GRPCError  # noqa: E402
from wechaty_grpc.wechaty import puppet as pb  # noqa: E402
from wechaty_puppet_service import PuppetService  # noqa: E402

# wechaty-puppet (1.x) numbers, as a 1.x service sends them.
TEXT, IMAGE, CHAT_HISTORY, URL, RECALLED = 7, 6, 4, 14, 13
EVENT = {
    "message": 2,
    "room-join": 19,
    "room-leave": 20,
    "room-topic": 21,
    "login": 25,
    "logout": 26,
    "scan": 22,
    "heartbeat": 1,
}


@dataclass
class FakeStub:
    """State and recorded calls of a fake service; ``emit`` pushes events to the client."""

    bot_id: str = "bot"
    token_ok: bool = True
    login_on_start: bool = True
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    urls: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    payload_delay: dict[str, float] = field(default_factory=dict)
    broken_messages: set[str] = field(default_factory=set)
    events: asyncio.Queue[pb.EventResponse | None] = field(default_factory=asyncio.Queue)
    _seq: int = 0

    # -- what tests call ----------------------------------------------------------------

    def emit(self, name: str, **payload: Any) -> None:
        self.events.put_nowait(pb.EventResponse(type=EVENT[name], payload=json.dumps(payload)))

    def contact(self, cid: str, name: str, *, friend: bool = False, type_: int = 1) -> str:
        self.contacts[cid] = {"name": name, "friend": friend, "type": type_}
        return cid

    def room(self, rid: str, topic: str, owner: str, members: list[str]) -> str:
        self.rooms[rid] = {"topic": topic, "owner": owner, "members": list(members)}
        return rid

    def say(
        self,
        talker: str,
        room: str,
        text: str = "",
        *,
        type_: int = TEXT,
        mentions: tuple[str, ...] = (),
        mid: str | None = None,
    ) -> str:
        self._seq += 1
        mid = mid or f"m{self._seq}"
        self.messages[mid] = {
            "talker": talker,
            "room": room,
            "text": text,
            "type": type_,
            "mentions": list(mentions),
        }
        self.emit("message", messageId=mid)
        return mid

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    # -- the stub surface the client uses ------------------------------------------------

    def _auth(self) -> None:
        if not self.token_ok:
            raise GRPCError(Status.UNAUTHENTICATED, 'Invalid Wechaty TOKEN "wrong"')

    async def stop(self) -> pb.StopResponse:
        self._auth()
        self.calls.append(("stop", {}))
        return pb.StopResponse()

    async def start(self) -> pb.StartResponse:
        self._auth()
        self.calls.append(("start", {}))
        if self.login_on_start:
            self.emit("login", contactId=self.bot_id)
        return pb.StartResponse()

    async def event(self) -> AsyncIterator[pb.EventResponse]:
        self.emit("heartbeat", data="connected")
        while True:
            item = await self.events.get()
            if item is None:
                return
            yield item

    async def message_payload(self, *, id: str = "") -> pb.MessagePayloadResponse:
        await asyncio.sleep(self.payload_delay.get(id, 0))
        if id in self.broken_messages:
            raise GRPCError(Status.UNKNOWN, f"no payload found for id {id}")
        m = self.messages[id]
        return pb.MessagePayloadResponse(
            id=id,
            text=m["text"],
            type=m["type"],
            from_id=m["talker"],
            room_id=m["room"],
            timestamp=1_700_000_000_000,
            mention_ids=m["mentions"],
        )

    async def message_url(self, *, id: str = "") -> pb.MessageUrlResponse:
        return pb.MessageUrlResponse(url_link=json.dumps(self.urls.get(id, {})))

    async def room_payload(self, *, id: str = "") -> pb.RoomPayloadResponse:
        r = self.rooms[id]
        return pb.RoomPayloadResponse(
            id=id, topic=r["topic"], owner_id=r["owner"], member_ids=r["members"]
        )

    async def contact_payload(self, *, id: str = "") -> pb.ContactPayloadResponse:
        c = self.contacts[id]
        return pb.ContactPayloadResponse(id=id, name=c["name"], friend=c["friend"], type=c["type"])

    async def room_member_payload(
        self,
        *,
        id: str = "",
        member_id: str = "",
    ) -> pb.RoomMemberPayloadResponse:
        if member_id not in self.rooms[id]["members"]:
            raise GRPCError(Status.UNKNOWN, f"contact({member_id}) is not in the Room({id})")
        return pb.RoomMemberPayloadResponse(
            id=member_id,
            room_alias=self.aliases.get((id, member_id), ""),
            name=self.contacts.get(member_id, {}).get("name", ""),
        )

    async def message_send_text(
        self, *, conversation_id: str = "", text: str = "", mentonal_ids: list[str] | None = None
    ) -> pb.MessageSendTextResponse:
        self.calls.append(
            (
                "messageSendText",
                {
                    "conversationId": conversation_id,
                    "text": text,
                    "mentionIdList": list(mentonal_ids or []),
                },
            )
        )
        return pb.MessageSendTextResponse(id=f"sent{len(self.calls)}")

    async def room_del(self, *, id: str = "", contact_id: str = "") -> pb.RoomDelResponse:
        self.calls.append(("roomDel", {"roomId": id, "contactId": contact_id}))
        if self.rooms[id]["owner"] != self.bot_id:
            raise GRPCError(Status.PERMISSION_DENIED, "not the room owner")
        self.rooms[id]["members"].remove(contact_id)
        return pb.RoomDelResponse()


def fake_puppet_factory(stub: FakeStub) -> Any:
    """A real ``PuppetService`` whose gRPC channel is replaced by ``stub``."""

    class FakeChannelPuppetService(PuppetService):
        def _init_puppet(self) -> None:
            self._puppet_stub = stub
            self.channel = None

    return FakeChannelPuppetService


class FakeClock:
    """Time moves only when the throttle sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)
