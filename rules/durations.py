"""Durations as admins type them: ``10m``, ``2h``, ``3d``, ``1w``, ``90s``, or ``1h30m``, and
in Chinese as people write them: ``10分钟``, ``2小时``, ``3天``, ``1小时30分``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Chinese units, longest first so 分钟 is not read as 分 followed by a stray 钟.
_CHINESE_UNITS = {
    "秒钟": "s",
    "秒": "s",
    "分钟": "m",
    "分": "m",
    "小时": "h",
    "个小时": "h",
    "钟头": "h",
    "个钟头": "h",
    "时": "h",
    "天": "d",
    "日": "d",
    "星期": "w",
    "个星期": "w",
    "周": "w",
}
_UNIT = "|".join(sorted(_CHINESE_UNITS, key=len, reverse=True)) + "|[smhdw]"
_PART = re.compile(rf"(\d+)\s*({_UNIT})", re.IGNORECASE)
_WHOLE = re.compile(rf"^(?:\s*\d+\s*(?:{_UNIT})\s*)+$", re.IGNORECASE)
# Telegram treats restrictions shorter than 30 s or longer than 366 days as permanent; refuse
# them here so an admin never gets a permanent mute by accident.
MIN_DURATION = timedelta(seconds=30)
MAX_DURATION = timedelta(days=366)
# The longest duration any setting or command can name (timedelta itself stops at
# 999999999 days); a longer text is refused rather than overflowing.
LIMIT = timedelta(days=3660)
# Longer texts are not durations anyone types; refusing them keeps the parser cheap.
_MAX_TEXT = 64


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    if not isinstance(text, str) or not text or len(text) > _MAX_TEXT or not _WHOLE.match(text):
        shown = text if not isinstance(text, str) or len(text) <= _MAX_TEXT else text[:20] + "…"
        raise DurationError(f"not a duration: {shown!r} (use e.g. 10m, 2h, 3d)")
    parts = _PART.findall(text)
    seconds = sum(int(n) * _UNIT_SECONDS[_CHINESE_UNITS.get(u, u).lower()] for n, u in parts)
    if seconds > LIMIT.total_seconds():
        raise DurationError(f"duration {text!r} is too long (at most {LIMIT.days}d)")
    return timedelta(seconds=seconds)


def parse_bounded_duration(text: str) -> timedelta:
    value = parse_duration(text)
    if not MIN_DURATION <= value <= MAX_DURATION:
        raise DurationError(f"duration {text!r} is outside 30s..366d")
    return value


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
