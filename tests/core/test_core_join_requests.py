"""Join requests in the core: a blacklisted requester is refused and the refusal journaled;
a platform that cannot answer requests gets a recorded skip; a repeat is handled once."""

from __future__ import annotations

from datetime import UTC, datetime

from core_harness import make_harness

from bot.events import JoinRequested, Member


def request(user_id: str, update_id: str = "req:1") -> JoinRequested:
    return JoinRequested(
        platform="console",
        chat_id="group-b",
        update_id=update_id,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        member=Member(user_id=user_id, nickname=user_id),
        request_id="flag-1",
        comment="让我进群",
    )


async def test_a_blacklisted_request_on_a_platform_without_requests_is_a_recorded_skip(
    sqlite_url,
):
    h = await make_harness(sqlite_url)
    try:
        await h.app.store.write(
            lambda r: r.add_blacklist("console", "u-1", "测试", "admin", datetime.now(UTC))
        )
        handled = await h.app.handle(request("u-1"))
        assert not handled.duplicate and handled.replies == ()
        rows = await h.audit(chat_id="group-b")
        assert [(r["outcome"], r["detail"]) for r in rows] == [
            ("skipped", "the platform cannot answer join requests")
        ]
        assert (await h.app.handle(request("u-1"))).duplicate
    finally:
        await h.close()


async def test_a_request_from_someone_not_blacklisted_is_left_alone(sqlite_url):
    h = await make_harness(sqlite_url)
    try:
        handled = await h.app.handle(request("u-2", "req:2"))
        assert handled.replies == ()
        assert await h.audit(chat_id="group-b") == []
    finally:
        await h.close()
