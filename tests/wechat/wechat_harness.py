"""WeChat test helpers importable by name (conftest modules are not)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

from adapters.wechat.settings import WeChatSettings
from adapters.wechat.throttle import ThrottleLimits

FAST = ThrottleLimits(per_minute=100_000, chat_interval=0.0, burst=100_000)


def settings_for(endpoint: str, token: str = "t", **kw: Any) -> WeChatSettings:
    kw.setdefault("throttle", FAST)
    kw.setdefault("start_timeout", 3.0)
    return WeChatSettings(endpoint=endpoint, token=token, **kw)


class PuppetServiceControl:
    """The node test service: its gRPC endpoint and token, and its HTTP control hook."""

    def __init__(self, grpc_port: int, http_port: int, token: str, bot_id: str) -> None:
        self.endpoint = f"127.0.0.1:{grpc_port}"
        self.token = token
        self.bot_id = bot_id
        self._base = f"http://127.0.0.1:{http_port}"

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self._base + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as answer:
            return json.loads(answer.read())

    def post(self, path: str, **body: Any) -> Any:
        return self._request("POST", path, body)

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def contact(self, cid: str, name: str, friend: bool = False) -> str:
        return self.post("/contact", id=cid, name=name, friend=friend)["id"]

    def room(self, rid: str, topic: str, owner: str, members: list[str]) -> str:
        return self.post("/room", id=rid, topic=topic, ownerId=owner, memberIds=members)["id"]

    def alias(self, room: str, contact: str, alias: str) -> None:
        self.post("/alias", roomId=room, contactId=contact, alias=alias)

    def say(
        self,
        talker: str,
        room: str,
        text: str,
        mentions: tuple[str, ...] = (),
        type_: int | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "talkerId": talker,
            "roomId": room,
            "text": text,
            "mentionIds": list(mentions),
        }
        if type_ is not None:
            body["type"] = type_
        return self.post("/say", **body)["messageId"]

    def join(self, room: str, contacts: list[str], inviter: str) -> None:
        self.post("/join", roomId=room, contactIds=contacts, inviterId=inviter)

    def calls(self, method: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        query = f"?since={since}" + (f"&method={method}" if method else "")
        return self.get("/calls" + query)["calls"]

    async def wait_calls(
        self, method: str, count: int, within: float = 10.0, **match: str
    ) -> list[dict[str, Any]]:
        """Calls of ``method`` whose args include ``match``, once ``count`` have arrived."""
        deadline = time.monotonic() + within
        while True:
            found = [
                c
                for c in self.calls(method)
                if all(c["args"].get(k) == v for k, v in match.items())
            ]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)
