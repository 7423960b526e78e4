"""WeChat groups through python ``wechaty`` and a wechaty puppet service (optional extra).

``pip install -e '.[wechat]'`` installs the client. Importing this package does not import
it: ``WeChatAdapter`` is resolved on first use, so the core runs without the extra.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WeChatAdapter", "WeChatSettings", "WeChatStartError"]


def __getattr__(name: str) -> Any:
    if name == "WeChatAdapter":
        from adapters.wechat.adapter import WeChatAdapter

        return WeChatAdapter
    if name == "WeChatSettings":
        from adapters.wechat.settings import WeChatSettings

        return WeChatSettings
    if name == "WeChatStartError":
        from adapters.wechat.connection import WeChatStartError

        return WeChatStartError
    raise AttributeError(name)
