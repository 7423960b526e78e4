"""An offending message costs at most two database transactions (issue 16): the queued rows,
the offence history, the update's claim and the intents in one; the outcomes, the state-change
rows and the cache's re-reads in the other. An ordinary message costs none of its own (its
update id waits for the next group commit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core_harness import Harness, make_harness


def _count_transactions(h: Harness) -> list[str]:
    store = h.app.store
    seen: list[str] = []

    def counting(name: str, original: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def run(work: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(name)
            return await original(work, *args, **kwargs)

        return run

    store.read = counting("read", store.read)  # type: ignore[method-assign]
    store.write = counting("write", store.write)  # type: ignore[method-assign]
    return seen


async def test_an_abusive_message_costs_two_transactions_and_an_ordinary_one_none(
    db_url: str,
) -> None:
    h = await make_harness(db_url)
    try:
        await h.say("李四-工会: 早上好")  # the member and the group are known and cached
        await h.app.hot.flush()
        seen = _count_transactions(h)
        await h.say("李四-工会: 收到，下午三点开会")
        assert seen == []
        # Its update id goes with the next group commit: made now, so that what is counted
        # next is the offending message's own cost, whenever the background commit falls.
        await h.app.hot.flush()
        seen.clear()
        await h.say("李四-工会: 你这个傻逼，滚出去")
        assert seen == ["write", "write"]
        (row,) = [r for r in await h.audit(category="abuse") if r["kind"] == "delete"]
        assert row["outcome"] == "done"
    finally:
        await h.close()
