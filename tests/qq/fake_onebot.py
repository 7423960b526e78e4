"""A local fake OneBot v11 implementation for tests and the benchmark.

It speaks the protocol over real WebSockets on 127.0.0.1, in both transports:

- forward: it is the WebSocket server (path ``/``) the adapter connects to;
- reverse: it connects to the adapter's server with ``X-Self-ID``/``X-Client-Role`` headers
  and reconnects after a drop, as NapCat's "WebSocket 客户端" does.

It checks the access token the way real implementations do (``auth_style="napcat"``: accept
the upgrade, send a ``retcode 1403`` frame and close; ``"http"``: refuse the handshake with
401/403), posts events as segment arrays or CQ strings with ids as numbers or strings, keeps
groups with members (card, nickname, role), records every call, scripts failures (the next
N calls of an action answer a retcode) and can drop the connection at any moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
BOT_QQ = 10_000_001
TOKEN = "test-onebot-token"


@dataclass
class Call:
    action: str
    params: JSON


@dataclass
class Person:
    user_id: int
    nickname: str
    card: str = ""
    role: str = "member"

    def info(self, group_id: int) -> JSON:
        return {
            "group_id": group_id,
            "user_id": self.user_id,
            "nickname": self.nickname,
            "card": self.card,
            "role": self.role,
            "sex": "unknown",
            "age": 0,
            "area": "",
            "level": "1",
            "title": "",
            "join_time": 1_700_000_000,
            "last_sent_time": 1_700_000_000,
        }


@dataclass
class Group:
    group_id: int
    name: str
    members: dict[int, Person] = field(default_factory=dict)
    whole_ban: bool = False


@dataclass
class Failure:
    retcode: int
    message: str
    times: int
    drop: bool = False  # close the connection instead of answering


class FakeOneBot:
    def __init__(
        self,
        *,
        token: str = TOKEN,
        transport: Literal["forward", "reverse"] = "forward",
        message_format: Literal["array", "string"] = "array",
        string_ids: bool = False,
        auth_style: Literal["napcat", "http"] = "napcat",
        offered_token: str | None = None,  # reverse: what we present (default: ``token``)
    ) -> None:
        self.token = token
        self.transport = transport
        self.message_format = message_format
        self.string_ids = string_ids
        self.auth_style = auth_style
        self.offered_token = token if offered_token is None else offered_token
        self.groups: dict[int, Group] = {}
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.messages: dict[int, JSON] = {}
        self.friends: set[int] = set()  # the bot's friends: reachable privately without a group
        self.refused = 0  # connections refused for a wrong token
        self.connections = 0
        self._ids = itertools.count(1001)
        self._flags = itertools.count(1)
        self._links: list[Any] = []
        self._roles: dict[int, str] = {}
        self._connected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._dialer: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self.bot_url = ""  # reverse: where the adapter listens
        self.on_call: Callable[[Call], None] | None = None
        self.unanswered: set[str] = set()  # actions that get no answer (a hung implementation)

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def __aenter__(self) -> FakeOneBot:
        if self.transport == "forward":
            app = web.Application()
            app.router.add_get("/", self._accept)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._dialer is not None:
            self._dialer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dialer
        for ws in list(self._links):
            await ws.close()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def dial(
        self, bot_url: str, retry_every: float = 0.05, roles: tuple[str, ...] = ("Universal",)
    ) -> None:
        """Reverse transport: connect to the adapter (and reconnect after a drop); one
        connection per role (``Universal``, or ``API`` and ``Event`` apart)."""
        self.bot_url = bot_url
        self._session = aiohttp.ClientSession()

        async def all_roles() -> None:
            await asyncio.gather(*(self._dial_loop(retry_every, role) for role in roles))

        self._dialer = asyncio.create_task(all_roles())

    async def _dial_loop(self, retry_every: float, role: str) -> None:
        assert self._session is not None
        headers = {
            "X-Self-ID": str(BOT_QQ),
            "X-Client-Role": role,
            "Authorization": f"Bearer {self.offered_token}",
        }
        while True:
            try:
                ws = await self._session.ws_connect(self.bot_url, headers=headers)
            except aiohttp.WSServerHandshakeError as exc:
                if exc.status in (401, 403):
                    self.refused += 1
                await asyncio.sleep(retry_every)
                continue
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(retry_every)
                continue
            await self._serve(ws, role)
            await asyncio.sleep(retry_every)

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        offered = offered or request.query.get("access_token", "")
        good = offered == self.token
        if not good and self.auth_style == "http":
            self.refused += 1
            return web.Response(status=403 if offered else 401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if not good:
            # NapCat: the upgrade succeeds, then a failed frame and a close.
            self.refused += 1
            await ws.send_json(
                {"status": "failed", "retcode": 1403, "data": None, "message": "token验证失败"}
            )
            await ws.close()
            return ws
        await self._serve(ws)
        return ws

    async def _serve(self, ws: Any, role: str = "Universal") -> None:
        self.connections += 1
        self._roles[id(ws)] = role
        self._links.append(ws)
        if self._event_link() is not None:
            self._connected.set()
        if role != "API":
            await ws.send_json(self._meta("lifecycle", sub_type="connect"))
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                request = json.loads(message.data)
                answer = await self._handle(ws, request)
                if answer is not None and not ws.closed:
                    await ws.send_json(answer)
        finally:
            if ws in self._links:
                self._links.remove(ws)
            if self._event_link() is None:
                self._connected.clear()

    def _event_link(self) -> Any:
        for ws in reversed(self._links):
            if self._roles.get(id(ws)) != "API" and not ws.closed:
                return ws
        return None

    async def wait_connected(self, within: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def drop(self) -> None:
        """Close every open connection, as a crashing or restarting implementation would."""
        for ws in list(self._links):
            await ws.close()

    # -- state --------------------------------------------------------------------------

    def add_group(self, group_id: int, name: str, *people: Person) -> Group:
        group = Group(group_id, name)
        group.members[BOT_QQ] = Person(BOT_QQ, "GroupGuard", "机器人-办公室", "admin")
        for person in people:
            group.members[person.user_id] = Person(**person.__dict__)
        self.groups[group_id] = group
        return group

    def fail(self, action: str, retcode: int = 200, message: str = "", times: int = 1) -> None:
        self.failures.setdefault(action, []).append(Failure(retcode, message, times))

    def drop_on(self, action: str, times: int = 1) -> None:
        """The next ``times`` calls of ``action`` get no answer: the connection drops."""
        self.failures.setdefault(action, []).append(Failure(0, "", times, drop=True))

    def calls_to(self, action: str) -> list[Call]:
        return [c for c in self.calls if c.action == action]

    async def wait_for(self, action: str, count: int = 1, within: float = 10.0) -> list[Call]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(action)) >= count)

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            got = [c.action for c in self.calls]
            raise AssertionError(f"{action} x{count} not called; calls: {got}") from None
        return self.calls_to(action)

    # -- ids ----------------------------------------------------------------------------

    def _id(self, value: int) -> int | str:
        return str(value) if self.string_ids else value

    # -- events -------------------------------------------------------------------------

    def _base(self, post_type: str) -> JSON:
        return {"time": int(time.time()), "self_id": self._id(BOT_QQ), "post_type": post_type}

    def _meta(self, kind: str, **extra: Any) -> JSON:
        return {**self._base("meta_event"), "meta_event_type": kind, **extra}

    async def push_raw(self, text: str) -> None:
        """Send any text as a frame (malformed input tests)."""
        await self.wait_connected()
        await self._event_link().send_str(text)

    async def push(self, event: JSON) -> None:
        """Send an event on the current connection, waiting for one if there is none (the
        implementation's own queue: an event is never posted into a closed socket)."""
        while True:
            await self.wait_connected()
            ws = self._event_link()
            if ws is None:
                await asyncio.sleep(0.01)
                continue
            try:
                await ws.send_json(event)
                return
            except (ConnectionError, RuntimeError):
                await asyncio.sleep(0.01)

    def _encode(self, segments: list[JSON]) -> Any:
        if self.message_format == "array":
            return segments
        from adapters.qq.cqcode import Segment, to_string

        return to_string([Segment(s["type"], s.get("data", {})) for s in segments])

    async def post(
        self,
        group_id: int,
        user_id: int,
        message: str | list[JSON],
        *,
        reply_to: int | None = None,
        at: tuple[int, ...] = (),
        message_id: int | None = None,
    ) -> int:
        """A member's group message; returns its message id."""
        group = self.groups[group_id]
        person = group.members[user_id]
        segments: list[JSON] = []
        if reply_to is not None:
            segments.append({"type": "reply", "data": {"id": str(reply_to)}})
        segments += [{"type": "at", "data": {"qq": str(q)}} for q in at]
        if isinstance(message, str):
            segments.append({"type": "text", "data": {"text": message}})
        else:
            segments += message
        mid = message_id if message_id is not None else next(self._ids)
        encoded = self._encode(segments)
        event = {
            **self._base("message"),
            "message_type": "group",
            "sub_type": "normal",
            "message_id": self._id(mid),
            "group_id": self._id(group_id),
            "user_id": self._id(user_id),
            "anonymous": None,
            "message": encoded,
            "raw_message": encoded if isinstance(encoded, str) else "",
            "font": 0,
            "sender": {
                "user_id": self._id(user_id),
                "nickname": person.nickname,
                "card": person.card,
                "role": person.role,
            },
        }
        self.messages[mid] = event
        await self.push(event)
        return mid

    async def post_private(self, user_id: int, nickname: str, text: str) -> int:
        mid = next(self._ids)
        await self.push(
            {
                **self._base("message"),
                "message_type": "private",
                "sub_type": "friend",
                "message_id": self._id(mid),
                "user_id": self._id(user_id),
                "message": self._encode([{"type": "text", "data": {"text": text}}]),
                "sender": {"user_id": self._id(user_id), "nickname": nickname},
            }
        )
        return mid

    async def join(self, group_id: int, person: Person, operator: int | None = None) -> None:
        self.groups[group_id].members[person.user_id] = Person(**person.__dict__)
        await self.push(
            {
                **self._base("notice"),
                "notice_type": "group_increase",
                "sub_type": "approve",
                "group_id": self._id(group_id),
                "user_id": self._id(person.user_id),
                "operator_id": self._id(operator or person.user_id),
            }
        )

    async def set_card(self, group_id: int, user_id: int, card: str, *, notice: bool) -> None:
        person = self.groups[group_id].members[user_id]
        old, person.card = person.card, card
        if notice:  # NapCat's group_card notice; other implementations send none
            await self.push(
                {
                    **self._base("notice"),
                    "notice_type": "group_card",
                    "group_id": self._id(group_id),
                    "user_id": self._id(user_id),
                    "card_new": card,
                    "card_old": old,
                }
            )

    async def request_join(self, group_id: int, user_id: int, comment: str = "") -> str:
        flag = f"flag-{next(self._flags)}"
        await self.push(
            {
                **self._base("request"),
                "request_type": "group",
                "sub_type": "add",
                "group_id": self._id(group_id),
                "user_id": self._id(user_id),
                "comment": comment,
                "flag": flag,
            }
        )
        return flag

    async def heartbeat(self, interval_ms: int = 30_000) -> None:
        await self.push(
            self._meta("heartbeat", status={"online": True, "good": True}, interval=interval_ms)
        )

    # -- actions ------------------------------------------------------------------------

    async def _handle(self, ws: Any, request: JSON) -> JSON | None:
        action = str(request.get("action"))
        params = request.get("params") or {}
        echo = request.get("echo")
        call = Call(action, params)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if self.on_call is not None:
            self.on_call(call)
        if action in self.unanswered:
            return None
        scripted = self.failures.get(action)
        if scripted:
            failure = scripted[0]
            failure.times -= 1
            if failure.times <= 0:
                scripted.pop(0)
            if failure.drop:
                await ws.close()
                return None
            return {
                "status": "failed",
                "retcode": failure.retcode,
                "data": None,
                "message": failure.message,
                "wording": failure.message,
                "echo": echo,
            }
        handler = getattr(self, f"_a_{action}", None)
        if handler is None:
            return {"status": "failed", "retcode": 1404, "data": None, "echo": echo}
        try:
            data = handler(params)
        except LookupError as exc:
            # NapCat answers a thrown error with retcode 200 and the reason in "message".
            failed = {"status": "failed", "retcode": 200, "data": None, "message": str(exc)}
            return {**failed, "echo": echo}
        return {"status": "ok", "retcode": 0, "data": data, "echo": echo}

    def _group(self, params: JSON) -> Group:
        group = self.groups.get(int(params["group_id"]))
        if group is None:
            raise LookupError("group not found")
        return group

    def _member(self, params: JSON) -> Person:
        person = self._group(params).members.get(int(params["user_id"]))
        if person is None:
            raise LookupError("user not in group")
        return person

    def _a_get_login_info(self, params: JSON) -> JSON:
        return {"user_id": self._id(BOT_QQ), "nickname": "GroupGuard"}

    def _a_get_status(self, params: JSON) -> JSON:
        return {"online": True, "good": True}

    def _a_get_group_list(self, params: JSON) -> list[JSON]:
        groups = self.groups.values()
        return [{"group_id": self._id(g.group_id), "group_name": g.name} for g in groups]

    def _a_get_group_info(self, params: JSON) -> JSON:
        group = self._group(params)
        return {"group_id": self._id(group.group_id), "group_name": group.name}

    def _a_get_group_member_info(self, params: JSON) -> JSON:
        group = self._group(params)
        return self._member(params).info(group.group_id)

    def _a_get_group_member_list(self, params: JSON) -> list[JSON]:
        group = self._group(params)
        return [p.info(group.group_id) for p in group.members.values()]

    def _a_get_stranger_info(self, params: JSON) -> JSON:
        uid = int(params["user_id"])
        for group in self.groups.values():
            if uid in group.members:
                return {"user_id": uid, "nickname": group.members[uid].nickname}
        return {"user_id": uid, "nickname": f"路人{uid}"}

    def _a_get_msg(self, params: JSON) -> JSON:
        event = self.messages.get(int(params["message_id"]))
        if event is None:
            raise LookupError("msg not found")
        return event

    def _a_send_group_msg(self, params: JSON) -> JSON:
        self._group(params)
        return {"message_id": self._id(next(self._ids))}

    def _a_send_private_msg(self, params: JSON) -> JSON:
        user = int(params["user_id"])
        # QQ: a stranger is reachable only through a group both are in (临时会话).
        shared = "group_id" in params and user in self._group(params).members
        if user not in self.friends and not shared:
            raise LookupError("not a friend and no shared group")
        return {"message_id": self._id(next(self._ids))}

    def _a_delete_msg(self, params: JSON) -> None:
        if int(params["message_id"]) not in self.messages:
            raise LookupError("msg not found")
        return None

    def _a_set_group_ban(self, params: JSON) -> None:
        person = self._member(params)
        if person.role in ("owner", "admin"):
            raise LookupError("cannot ban admin")
        return None

    def _a_set_group_kick(self, params: JSON) -> None:
        self._member(params)
        del self._group(params).members[int(params["user_id"])]
        return None

    def _a_set_group_whole_ban(self, params: JSON) -> None:
        self._group(params).whole_ban = bool(params.get("enable", True))
        return None

    def _a_set_group_card(self, params: JSON) -> None:
        self._member(params).card = str(params.get("card") or "")
        return None

    def _a_set_group_add_request(self, params: JSON) -> None:
        return None
