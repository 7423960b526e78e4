"""Settings the WeChat adapter needs, independent of how the bot's config file spells them.

``bot/config.py`` owns the YAML model; :meth:`WeChatSettings.from_config` reads its ``wechat:``
section by attribute name, so the adapter does not import the config model and can be built
directly in tests and benchmarks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.wechat.throttle import ThrottleLimits

DEFAULT_TOKEN_ENV = "WECHATY_PUPPET_SERVICE_TOKEN"


class SettingsError(ValueError):
    """The WeChat section cannot be used (no endpoint, token variable unset, ...)."""


@dataclass(frozen=True, slots=True)
class WeChatSettings:
    # host:port of the puppet service. Required: without it the client would look the token
    # up on a discovery server on the internet.
    endpoint: str
    token: str
    # The python client hangs on a wrong token; start-up gives up after this many seconds.
    start_timeout: float = 30.0
    # Each call to the service (payload look-ups, sends, removals) is bounded too.
    call_timeout: float = 15.0
    throttle: ThrottleLimits = field(default_factory=ThrottleLimits)
    # Seconds a room's payload (topic, owner, members) is reused before it is asked again;
    # join/leave/topic events refresh it at once.
    room_cache_ttl: float = 60.0
    contact_cache_ttl: float = 300.0
    # Event payloads fetched concurrently ahead of the one being handled (order is kept).
    prefetch: int = 32
    # Seconds stop() waits for queued outgoing messages before giving up on them.
    drain_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.endpoint or ":" not in self.endpoint:
            raise SettingsError(
                f"wechat.endpoint must be host:port of the puppet service, got {self.endpoint!r}"
            )
        if not self.token:
            raise SettingsError("wechat: the puppet service token is empty")
        if self.start_timeout <= 0 or self.call_timeout <= 0 or self.prefetch < 1:
            raise SettingsError("wechat: timeouts must be > 0 and prefetch >= 1")

    @classmethod
    def from_config(cls, section: Any, environ: Mapping[str, str] | None = None) -> WeChatSettings:
        """Build from the config's ``wechat`` section (attribute access; missing keys default).

        Reads ``endpoint``, ``token_env`` (the variable holding the token), ``start_timeout``,
        ``messages_per_minute`` and ``room_interval``; durations may be seconds or timedeltas.
        """
        env = os.environ if environ is None else environ
        token_env = getattr(section, "token_env", None) or DEFAULT_TOKEN_ENV
        token = env.get(token_env, "")
        if not token:
            raise SettingsError(f"wechat: environment variable {token_env} (the token) is unset")
        kwargs: dict[str, Any] = {
            "endpoint": getattr(section, "endpoint", "") or "",
            "token": token,
        }
        for name in ("start_timeout", "call_timeout", "room_cache_ttl", "drain_timeout"):
            value = getattr(section, name, None)
            if value is not None:
                kwargs[name] = _seconds(value)
        limits: dict[str, Any] = {}
        per_minute = getattr(section, "messages_per_minute", None)
        if per_minute is not None:
            limits["per_minute"] = int(per_minute)
        interval = getattr(section, "room_interval", None)
        if interval is not None:
            limits["chat_interval"] = _seconds(interval)
        burst = getattr(section, "burst", None)
        if burst is not None:
            limits["burst"] = int(burst)
        if limits:
            kwargs["throttle"] = ThrottleLimits(**limits)
        return cls(**kwargs)


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
