"""One join (or leave) seen twice: as a service message and as a ``chat_member`` update.

Telegram reports a join both ways when the bot is an admin and asks for ``chat_member``
updates, in either order and with different update ids. The core would otherwise remind (or
remove) the member twice. We remember each member's last reported state per chat for a short
window: a second report of the same state inside it is the other view of the same change, while
a real join-leave-join flips the state and is reported every time.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

JOINED = "joined"
LEFT = "left"


class MembershipDeduplicator:
    def __init__(self, window: timedelta = timedelta(minutes=2), capacity: int = 10_000) -> None:
        self._window = window
        self._capacity = capacity
        self._last: OrderedDict[tuple[str, str], tuple[str, datetime]] = OrderedDict()

    def first_report(self, chat_id: str, user_id: str, state: str, at: datetime) -> bool:
        """True when this (chat, member, state) is new, i.e. the event should go to the core."""
        key = (chat_id, user_id)
        previous = self._last.pop(key, None)
        self._last[key] = (state, at)
        while len(self._last) > self._capacity:
            self._last.popitem(last=False)
        if previous is None:
            return True
        previous_state, previous_at = previous
        # abs(): the two views may arrive out of order, each with its own timestamp.
        return previous_state != state or abs(at - previous_at) > self._window
