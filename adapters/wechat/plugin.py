"""WeChat's registration with the core: the ``wechat:`` config section and its factory.

The client (python wechaty) is an optional extra; it is imported only when WeChat is
configured, and its absence is reported as the extra to install.
"""

from __future__ import annotations

import os
from datetime import timedelta

from pydantic import Field

from bot.ports import Adapter, Duration, Platform, PlatformConfigError, SectionModel


class WeChatSection(SectionModel):
    """The ``wechat:`` section. WeChat is used when ``endpoint`` is set."""

    endpoint: str | None = None  # host:port of the wechaty puppet service
    token_env: str = "WECHATY_PUPPET_SERVICE_TOKEN"
    start_timeout: Duration = timedelta(seconds=30)
    messages_per_minute: int = Field(40, ge=1)
    room_interval: Duration = timedelta(seconds=3)

    def token(self) -> str | None:
        return os.environ.get(self.token_env) or None


def build(section: WeChatSection) -> Adapter | None:
    if not section.endpoint:
        return None
    if not section.token():
        raise PlatformConfigError(
            f"wechat.endpoint is set but the variable {section.token_env} (the puppet service "
            "token) is not"
        )
    try:
        from adapters.wechat.adapter import WeChatAdapter
        from adapters.wechat.settings import SettingsError
    except ImportError as exc:
        raise PlatformConfigError(
            f"WeChat needs the wechat extra ({exc.name} is missing): pip install -e '.[wechat]'"
        ) from None
    try:
        return WeChatAdapter.from_settings(section)
    except SettingsError as exc:
        raise PlatformConfigError(str(exc)) from None


PLATFORM = Platform("wechat", WeChatSection, build)
