"""A task's due time as an owner types it, read in the configured zone:
``3d`` / ``2h`` / ``30m`` (from now), ``周五`` / ``周五17:00`` / ``星期五 17:00``, ``今天`` /
``明天 9:00`` / ``后天``, ``12-06`` / ``12-06 17:00`` / ``2026-12-06``, ``17:00``.
A day without a time means the end of the working day."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.durations import DurationError, parse_duration

END_OF_DAY = time(18, 0)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
_TIME = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")
_WEEKDAY = re.compile(r"(下)?(?:周|星期|礼拜)([一二三四五六日天])")
_DATE = re.compile(r"(?:(\d{4})[-/.])?(\d{1,2})[-/.月](\d{1,2})日?")


class DueError(ValueError):
    """Not a due time this reader understands (the text is quoted back to the sender)."""


def parse_due(tokens: Sequence[str], now: datetime, zone: ZoneInfo) -> tuple[datetime, int]:
    """(the due time, how many tokens it used). Raises DueError."""
    if not tokens:
        raise DueError("")
    first = tokens[0]
    try:
        return now + parse_duration(first), 1
    except DurationError:
        pass
    local = now.astimezone(zone)
    day, rest = _day(first, local.date())
    used = 1
    if day is not None and not rest and len(tokens) > 1 and _TIME.fullmatch(tokens[1]):
        rest, used = tokens[1], 2
    if day is None:
        if not _TIME.fullmatch(first):
            raise DueError(first)
        day, rest = local.date(), first
        at = _time(rest)
        due = datetime.combine(day, at, tzinfo=zone)
        if due <= local:
            due += timedelta(days=1)  # 17:00 typed after 17:00 means tomorrow
        return due, used
    if rest and not _TIME.fullmatch(rest):
        raise DueError(first)
    due = datetime.combine(day, _time(rest) if rest else END_OF_DAY, tzinfo=zone)
    if due <= local:
        raise DueError(" ".join(tokens[:used]))
    return due, used


def _time(text: str) -> time:
    match = _TIME.fullmatch(text)
    assert match is not None
    return time(int(match[1]), int(match[2]))


def _day(token: str, today: date) -> tuple[date | None, str]:
    """The day a token names and what follows it (a time, or nothing)."""
    for word, ahead in _RELATIVE.items():
        if token.startswith(word):
            return today + timedelta(days=ahead), token[len(word) :]
    if match := _WEEKDAY.match(token):
        target = _WEEKDAYS[match[2]]
        ahead = (target - today.weekday()) % 7
        if match[1]:  # 下周五: the Friday of next week (weeks start on Monday)
            ahead = 7 - today.weekday() + target
        return today + timedelta(days=ahead), token[match.end() :]
    if match := _DATE.match(token):
        year = int(match[1]) if match[1] else today.year
        try:
            day = date(year, int(match[2]), int(match[3]))
        except ValueError:
            raise DueError(token) from None
        if not match[1] and day < today:
            # 01-05 typed in December means next January; 12-01 typed on 12-05 is a slip,
            # not a task for next year.
            if (today - day).days < 180:
                raise DueError(token)
            day = day.replace(year=year + 1)
        return day, token[match.end() :]
    return None, token
