"""OneBot failures → the neutral ``PlatformError`` kinds the executor decides from.

Every reading of a retcode or failure message lives here. The spec's retcodes are 1400–1404;
NapCat answers 200 (or 1200) for an action that threw, with the reason only in ``message``/
``wording``, so those are read by keyword. A send blocked by risk control (风控) is
``rate_limited``: retried after a pause like Telegram's 429, and recorded when it persists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.ports import PlatformError

# Risk control blocks a send for a while; this is the pause before the retry.
RISK_CONTROL_RETRY_AFTER = 5.0

_FORBIDDEN = (
    "not_group_admin",
    "not group admin",
    "no permission",
    "permission denied",
    "cannot ban owner",
    "cannot ban admin",
    "cannot kick owner",
    "权限",
    "不是管理员",
)
_NOT_FOUND = (
    "not in group",
    "not found",
    "not exist",
    "no such",
    "不存在",
    "找不到",
    "msg not found",
    "uid error",
)
_RISK = ("风控", "risk", "频繁", "too frequent", "发送失败", "send failed", "rate limit")
_TIMEOUT = ("timeout", "超时", "timed out")


def _reason(answer: Mapping[str, Any]) -> str:
    for key in ("wording", "message", "msg"):
        value = answer.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def from_answer(action: str, answer: Mapping[str, Any]) -> PlatformError:
    """A ``status: failed`` answer → the error the executor can act on."""
    retcode = answer.get("retcode")
    reason = _reason(answer)
    detail = f"qq {action}: retcode {retcode}" + (f" ({reason})" if reason else "")
    low = reason.lower()
    if retcode in (1401, 1403) or any(k in low for k in _FORBIDDEN):
        return PlatformError("forbidden", detail)
    if retcode == 1404:
        return PlatformError("bad_request", detail + " — the implementation lacks this action")
    if any(k in low for k in _NOT_FOUND):
        return PlatformError("not_found", detail)
    if action.startswith("send_") and (any(k in low for k in _RISK) or retcode not in (1400,)):
        # A refused send is nearly always risk control or a lost session, never bad input we
        # could fix: pause and retry; the executor records it if it persists.
        return PlatformError("rate_limited", detail, retry_after=RISK_CONTROL_RETRY_AFTER)
    if any(k in low for k in _TIMEOUT):
        return PlatformError("transient", detail)
    return PlatformError("bad_request", detail)


def disconnected(action: str, why: str) -> PlatformError:
    return PlatformError("transient", f"qq {action}: {why}")
