"""Settings the QQ adapter needs, independent of how the bot's config file spells them.

``plugin.py`` owns the pydantic model of the ``qq:`` section; :meth:`QQSettings.from_section`
reads it by attribute, so tests and benchmarks build the adapter without a config file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

DEFAULT_TOKEN_ENV = "QQ_ONEBOT_TOKEN"
# QQ refuses a mute longer than 30 days (2592000 s); a longer one is applied as the maximum
# and re-applied by the core's expiry timer logic like any other restriction.
MAX_MUTE_SECONDS = 30 * 24 * 3600


class SettingsError(ValueError):
    """The QQ section cannot be used (no transport address, token variable unset, ...)."""


@dataclass(frozen=True, slots=True)
class QQSettings:
    transport: Literal["forward", "reverse"]
    token: str
    token_env: str = DEFAULT_TOKEN_ENV  # named in error lines, never the token itself
    # forward: the implementation's WebSocket server (NapCat "WebSocket 服务器").
    url: str = "ws://127.0.0.1:3001"
    # reverse: where we listen for the implementation (NapCat "WebSocket 客户端").
    listen_host: str = "127.0.0.1"
    listen_port: int = 8095
    path: str = "/onebot/v11/ws"
    # How messages are sent; incoming messages are read in either format.
    message_format: Literal["array", "string"] = "array"
    call_timeout: float = 15.0
    start_timeout: float = 30.0
    # Silence longer than this (no event, no heartbeat) gets a probe call; no answer to it
    # drops the connection and reconnects. None: three heartbeat intervals once one is seen.
    heartbeat_timeout: float | None = None
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0
    member_cache_ttl: float = 300.0
    # The real-name rule may propose a compliant group card; the bot sets it only if allowed.
    set_card: bool = False

    def __post_init__(self) -> None:
        if self.transport not in ("forward", "reverse"):
            raise SettingsError(f"qq.transport must be forward or reverse, not {self.transport!r}")
        if not self.token:
            raise SettingsError(f"qq: the access token ({self.token_env}) is empty")
        if self.transport == "forward" and not self.url.startswith(("ws://", "wss://")):
            raise SettingsError(f"qq.url must be a ws:// or wss:// address, got {self.url!r}")
        if not 0 < self.listen_port < 65536:
            raise SettingsError(f"qq.listen_port out of range: {self.listen_port}")
        if self.call_timeout <= 0 or self.start_timeout <= 0 or self.reconnect_initial <= 0:
            raise SettingsError("qq: timeouts and the reconnect delay must be > 0")
        if self.message_format not in ("array", "string"):
            raise SettingsError("qq.message_format must be array or string")

    @classmethod
    def from_section(cls, section: Any, environ: Mapping[str, str] | None = None) -> QQSettings:
        """From the config's ``qq`` section; the token comes from the variable it names."""
        env = os.environ if environ is None else environ
        token_env = getattr(section, "token_env", None) or DEFAULT_TOKEN_ENV
        token = env.get(token_env, "")
        if not token:
            raise SettingsError(
                f"qq.transport is set but the variable {token_env} (the OneBot access token) is "
                "not; set the same token in the OneBot implementation"
            )
        values: dict[str, Any] = {"token": token, "token_env": token_env}
        for name in (
            "transport",
            "url",
            "listen_host",
            "listen_port",
            "path",
            "message_format",
            "set_card",
        ):
            value = getattr(section, name, None)
            if value is not None:
                values[name] = value
        for name in (
            "call_timeout",
            "start_timeout",
            "heartbeat_timeout",
            "reconnect_max",
            "member_cache_ttl",
        ):
            value = getattr(section, name, None)
            if value is not None:
                values[name] = _seconds(value)
        return cls(**values)


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
