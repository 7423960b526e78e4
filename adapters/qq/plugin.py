"""QQ's registration with the core: the ``qq:`` config section and its factory."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from bot.ports import Adapter, Duration, Platform, PlatformConfigError, SectionModel


class QQSection(SectionModel):
    """The ``qq:`` section. QQ is used when ``transport`` is set."""

    transport: Literal["forward", "reverse"] | None = None
    url: str = "ws://127.0.0.1:3001"  # forward: the implementation's WebSocket server
    listen_host: str = "127.0.0.1"  # reverse: where the implementation connects to us
    listen_port: int = Field(8095, ge=1, le=65535)
    path: str = "/onebot/v11/ws"
    token_env: str = "QQ_ONEBOT_TOKEN"
    message_format: Literal["array", "string"] = "array"
    call_timeout: Duration = timedelta(seconds=15)
    start_timeout: Duration = timedelta(seconds=30)
    heartbeat_timeout: Duration | None = None
    reconnect_max: Duration = timedelta(seconds=30)
    member_cache_ttl: Duration = timedelta(minutes=5)
    set_card: bool = False


def build(section: QQSection) -> Adapter | None:
    if section.transport is None:
        return None
    from adapters.qq.adapter import QQAdapter
    from adapters.qq.settings import QQSettings, SettingsError

    try:
        return QQAdapter(QQSettings.from_section(section))
    except SettingsError as exc:
        raise PlatformConfigError(str(exc)) from None


PLATFORM = Platform("qq", QQSection, build)
