"""A local fake Telegram Bot API server for tests and benchmarks.

PTB talks to it over real HTTP (``base_url`` pointed at 127.0.0.1), so the adapter is tested
through PTB's own request, parsing and error code, never through mocks of PTB methods.

The server records every call (method + parsed params), lets a test inject updates (served by a
real long-polling ``getUpdates``), script failures (the next N calls of a method answer 429, 400
or 500), and holds chat admin lists and members. Builders for update bodies are plain functions
so a test can also hand-craft odd updates.

PTB sends form-encoded requests: numbers arrive as strings and JSON-valued fields
(``permissions``, ``reply_markup``, ``allowed_updates`` …) as JSON strings; ``Call.params``
decodes the JSON ones and leaves the rest as the strings that arrived.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
Handler = Callable[[JSON], Any]

BOT_ID = 5_000_000_001
BOT_USERNAME = "GroupGuardBot"
TOKEN = "5000000001:TEST-token"

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
MEMBER_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


# -- builders: plain dicts in Bot API shape -------------------------------------------------------


def user(
    user_id: int,
    first_name: str,
    last_name: str | None = None,
    *,
    username: str | None = None,
    is_bot: bool = False,
) -> JSON:
    body: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        body["last_name"] = last_name
    if username:
        body["username"] = username
    return body


def group(chat_id: int, title: str = "测试群") -> JSON:
    return {"id": chat_id, "type": "supergroup", "title": title}


def private_chat(user_id: int) -> JSON:
    return {"id": user_id, "type": "private", "first_name": "user"}


def chat_for(chat_id: int | str) -> JSON:
    chat_id = int(chat_id)
    return group(chat_id) if chat_id < 0 else private_chat(chat_id)


def message(
    chat: JSON,
    sender: JSON | None,
    message_id: int,
    text: str | None = None,
    *,
    date: int | None = None,
    **extra: Any,
) -> JSON:
    body: JSON = {"message_id": message_id, "date": date or int(time.time()), "chat": chat}
    if sender is not None:
        body["from"] = sender
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    body.update(extra)
    return body


def owner(member: JSON) -> JSON:
    return {"status": "creator", "user": member, "is_anonymous": False}


def administrator(member: JSON, *rights: str, is_anonymous: bool = False) -> JSON:
    body: JSON = {
        "status": "administrator",
        "user": member,
        "can_be_edited": False,
        "is_anonymous": is_anonymous,
    }
    body.update({right: right in rights for right in ADMIN_RIGHTS})
    return body


def plain_member(member: JSON) -> JSON:
    return {"status": "member", "user": member}


def left_member(member: JSON) -> JSON:
    return {"status": "left", "user": member}


def restricted_member(member: JSON, *, is_member: bool = True, until_date: int = 0) -> JSON:
    body: JSON = {
        "status": "restricted",
        "user": member,
        "is_member": is_member,
        "until_date": until_date,
    }
    body.update({name: False for name in MEMBER_PERMISSIONS})
    return body


# -- the server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    params: JSON
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    description: str
    parameters: JSON
    remaining: int


def _decode(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotApi:
    def __init__(
        self, *, token: str = TOKEN, bot_id: int = BOT_ID, bot_username: str = BOT_USERNAME
    ) -> None:
        self.token = token
        self.bot = user(bot_id, "GroupGuard", username=bot_username, is_bot=True)
        self.calls: list[Call] = []
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100_000)
        self._new_updates = asyncio.Condition()
        self._new_calls = asyncio.Condition()
        self._failures: dict[str, list[_Failure]] = {}
        self._handlers: dict[str, Handler] = {}
        self.admins: dict[str, list[JSON]] = {}
        self.members: dict[tuple[str, str], JSON] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- scripting -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 400,
        description: str = "Bad Request: not enough rights",
        retry_after: int | None = None,
        parameters: JSON | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` answer with this error."""
        extra = dict(parameters or {})
        if retry_after is not None:
            extra["retry_after"] = retry_after
        self._failures.setdefault(method, []).append(_Failure(status, description, extra, times))

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        self.fail(
            method,
            times=times,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
        )

    def on(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(params)`` instead of the default."""
        self._handlers[method] = handler

    def set_admins(self, chat_id: int | str, *members: JSON) -> None:
        self.admins[str(chat_id)] = list(members)
        for member in members:
            self.members[(str(chat_id), str(member["user"]["id"]))] = member

    def set_member(self, chat_id: int | str, member: JSON) -> None:
        self.members[(str(chat_id), str(member["user"]["id"]))] = member

    # -- updates -------------------------------------------------------------------------------

    async def push(self, kind: str, body: JSON) -> int:
        """Queue an update ``{kind: body}``; returns its update_id."""
        update_id = next(self._update_ids)
        async with self._new_updates:
            self._updates.append({"update_id": update_id, kind: body})
            self._new_updates.notify_all()
        return update_id

    def next_message_id(self) -> int:
        return next(self._message_ids)

    async def post(
        self, chat: JSON, sender: JSON | None, text: str | None = None, **extra: Any
    ) -> JSON:
        """A member posts a message; returns the message body."""
        body = message(chat, sender, self.next_message_id(), text, **extra)
        await self.push("message", body)
        return body

    async def edit(self, original: JSON, text: str) -> JSON:
        body = dict(original, text=text, edit_date=int(time.time()))
        await self.push("edited_message", body)
        return body

    async def join(self, chat: JSON, *joiners: JSON, added_by: JSON | None = None) -> JSON:
        """The service message Telegram posts when members join (or are added)."""
        body = message(
            chat, added_by or joiners[0], self.next_message_id(), new_chat_members=list(joiners)
        )
        await self.push("message", body)
        return body

    async def leave(self, chat: JSON, leaver: JSON, *, removed_by: JSON | None = None) -> JSON:
        body = message(chat, removed_by or leaver, self.next_message_id(), left_chat_member=leaver)
        await self.push("message", body)
        return body

    async def chat_member(
        self, chat: JSON, actor: JSON, old: JSON, new: JSON, **extra: Any
    ) -> JSON:
        body: JSON = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
            **extra,
        }
        await self.push("chat_member", body)
        return body

    async def press(self, presser: JSON, data: str, on_message: JSON) -> str:
        """A callback query on a message the bot sent; returns its id."""
        query_id = f"cq{next(self._update_ids)}"
        body = {
            "id": query_id,
            "from": presser,
            "chat_instance": "ci",
            "data": data,
            "message": on_message,
        }
        await self.push("callback_query", body)
        return query_id

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # -- inspecting ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def actions(self) -> list[Call]:
        """Every call except the polling and start-up noise."""
        noise = {"getUpdates", "getMe", "deleteWebhook", "setWebhook"}
        return [call for call in self.calls if call.method not in noise]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Wait until ``method`` has been called ``count`` times in all; returns those calls."""

        async def enough() -> None:
            async with self._new_calls:
                await self._new_calls.wait_for(lambda: len(self.calls_to(method)) >= count)

        try:
            await asyncio.wait_for(enough(), within)
        except TimeoutError:
            seen = [c.method for c in self.actions()]
            raise AssertionError(
                f"{method} called {len(self.calls_to(method))}/{count} times "
                f"within {within}s; calls: {seen}"
            ) from None
        return self.calls_to(method)

    async def drained(self, within: float = 5.0) -> None:
        """Wait until the bot has fetched (and so acknowledged by offset) every update."""
        deadline = time.monotonic() + within
        while self._updates:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self._updates)} updates never fetched")
            await asyncio.sleep(0.01)

    # -- HTTP ----------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> JSON:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
            return raw
        if request.can_read_body:
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
        return {
            key: _decode(value) if isinstance(value, str) else value for key, value in raw.items()
        }

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        async with self._new_calls:
            self.calls.append(Call(method, params))
            self._new_calls.notify_all()
        failure = self._next_failure(method)
        if failure is not None:
            body: JSON = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.parameters:
                body["parameters"] = failure.parameters
            return web.json_response(body, status=failure.status)
        if method in self._handlers:
            result = self._handlers[method](params)
            if inspect.isawaitable(result):  # a handler may take its time (a slow server)
                result = await result
            return web.json_response({"ok": True, "result": result})
        answer = getattr(self, f"_m_{method}", None)
        if answer is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        result = await answer(params)
        return web.json_response({"ok": True, "result": result})

    def _next_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    # -- Bot API methods -------------------------------------------------------------------------

    async def _m_getMe(self, params: JSON) -> JSON:
        return dict(
            self.bot,
            can_join_groups=True,
            can_read_all_group_messages=True,
            supports_inline_queries=False,
        )

    async def _m_deleteWebhook(self, params: JSON) -> bool:
        return True

    async def _m_setWebhook(self, params: JSON) -> bool:
        return True

    async def _m_getUpdates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        limit = int(params.get("limit", 100) or 100)

        def ready() -> bool:
            # Fetching with an offset acknowledges everything before it (Telegram forgets it).
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return bool(self._updates)

        async with self._new_updates:
            if not ready() and timeout > 0:
                try:
                    await asyncio.wait_for(self._new_updates.wait_for(ready), timeout)
                except TimeoutError:
                    return []
            return self._updates[:limit]

    async def _m_sendMessage(self, params: JSON) -> JSON:
        body = message(
            chat_for(params["chat_id"]), self.bot, self.next_message_id(), params.get("text", "")
        )
        body.pop("entities", None)
        if "reply_markup" in params:
            body["reply_markup"] = params["reply_markup"]
        return body

    async def _m_deleteMessage(self, params: JSON) -> bool:
        return True

    async def _m_restrictChatMember(self, params: JSON) -> bool:
        return True

    async def _m_banChatMember(self, params: JSON) -> bool:
        return True

    async def _m_unbanChatMember(self, params: JSON) -> bool:
        return True

    async def _m_banChatSenderChat(self, params: JSON) -> bool:
        return True

    async def _m_unbanChatSenderChat(self, params: JSON) -> bool:
        return True

    async def _m_setChatPermissions(self, params: JSON) -> bool:
        return True

    async def _m_answerCallbackQuery(self, params: JSON) -> bool:
        return True

    async def _m_editMessageText(self, params: JSON) -> JSON:
        return message(
            chat_for(params["chat_id"]), self.bot, int(params["message_id"]), params["text"]
        )

    async def _m_setMyCommands(self, params: JSON) -> bool:
        return True

    async def _m_getChatAdministrators(self, params: JSON) -> list[JSON]:
        return self.admins.get(str(params["chat_id"]), [])

    async def _m_getChatMember(self, params: JSON) -> JSON:
        key = (str(params["chat_id"]), str(params["user_id"]))
        if key in self.members:
            return self.members[key]
        return plain_member(user(int(params["user_id"]), "member"))
