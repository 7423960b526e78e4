"""The report schedule: one persisted timer, reports sent once per supervisor across a
restart and a repeated firing; ``/report`` on demand in a supervisor's own chat."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from core_harness import SUPERVISORS, Harness, make_harness
from sqlalchemy import select

from adapters.console import ConsoleAdapter
from bot.clock import ManualClock
from bot.config import Settings
from bot.events import CommandIssued, Member
from bot.runtime import build
from bot.supervision.delivery import DUE_TIMER, next_due
from bot.supervision.verify import reported_heads
from bot.workflows.kernel import TimerDue
from storage import journal
from storage.models import ReportRun, Timer

TIER1, TIER2 = "tier1-分管负责人", "tier2-网信办"
FEB_1_0900_CST = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)


async def armed(h: Harness) -> list[datetime]:
    async def read(r):  # type: ignore[no-untyped-def]
        rows = await r.c.execute(
            select(Timer.due_at).where(Timer.kind == DUE_TIMER, Timer.status == "armed")
        )
        return [row[0] for row in rows.all()]

    return await h.app.store.read(read)


async def runs(h: Harness) -> list[tuple[str, str, int]]:
    async def read(r):  # type: ignore[no-untyped-def]
        rows = await r.c.execute(
            select(ReportRun.period, ReportRun.recipient, ReportRun.head_seq).order_by(ReportRun.id)
        )
        return [tuple(row) for row in rows.all()]

    return await h.app.store.read(read)


async def restart(h: Harness, url: str, report_dir: Path) -> Harness:
    """A new process on the same database, at the same moment."""
    await h.close()
    settings = Settings.model_validate(
        {
            "database": {"url": url, "retry_for": "5s"},
            "escalation": {"tiers": SUPERVISORS},
            "supervision": {"report_dir": str(report_dir)},
            "members": {"audit": "off"},  # only the report's timer is counted here
        }
    )
    adapter = ConsoleAdapter(output=lambda _: None)
    clock = ManualClock(h.clock.now())
    runtime = await build(settings, {"console": adapter}, clock)
    await runtime.app.start()
    return Harness(runtime.app, adapter, clock, h.script, runtime.app.scheduler())


@pytest.fixture
async def h(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    harness = await make_harness(
        sqlite_url,
        supervision={"report_dir": str(tmp_path / "r")},
        members={"audit": "off"},  # only the report's timer is counted here
    )
    yield harness
    await harness.close()


def test_the_next_due_moment_is_the_first_of_the_month_at_report_time() -> None:
    settings = Settings()
    assert next_due(datetime(2026, 1, 5, 1, 0, tzinfo=UTC), settings) == FEB_1_0900_CST
    assert next_due(FEB_1_0900_CST, settings) == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert next_due(datetime(2026, 12, 20, tzinfo=UTC), settings) == datetime(
        2027, 1, 1, 1, 0, tzinfo=UTC
    )


async def test_the_monthly_report_fires_once_across_a_restart(
    h: Harness, sqlite_url: str, tmp_path: Path
) -> None:
    assert await armed(h) == [FEB_1_0900_CST]
    await h.say("张三-党群工作部: 加我微信带你赌博")  # a January detection
    h = await restart(h, sqlite_url, tmp_path / "r")  # before the due moment
    assert await armed(h) == [FEB_1_0900_CST]  # not armed twice
    h.clock.advance(FEB_1_0900_CST - h.clock.now() - timedelta(seconds=1))
    assert await h.scheduler.tick() == 0
    assert await h.advance(timedelta(seconds=2)) == 1
    assert [d[0] for d in h.adapter.documents] == [TIER1, TIER2]
    summary = h.sent_to(TIER1)[-1]
    assert "2026-01" in summary and "发现违规 1 起" in summary
    book = openpyxl.load_workbook(io.BytesIO(h.adapter.documents[0][2]))
    assert "概况" in book.sheetnames
    assert await armed(h) == [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    sent = await runs(h)
    assert [(p, r) for p, r, _ in sent] == [
        ("2026-01", f"console:{TIER1}"),
        ("2026-01", f"console:{TIER2}"),
    ]

    h = await restart(h, sqlite_url, tmp_path / "r")  # after it: nothing is sent again
    assert await h.advance(timedelta(minutes=5)) == 0
    assert h.adapter.documents == [] and await armed(h) == [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    # The same due moment handled a second time (two instances, a catch-up): still once.
    await h.app.reports.on_timer(
        TimerDue(DUE_TIMER, "-", "report-schedule", None, {"due": FEB_1_0900_CST.isoformat()})
    )
    assert h.adapter.documents == [] and len(await runs(h)) == 2
    # Each report's head is an anchor `audit verify` checks.
    heads = await h.app.store.read(reported_heads)
    assert [head.seq for head in heads] == sorted({seq for _, _, seq in sent})
    assert await h.app.store.read(lambda r: journal.verify(r.c, anchors=heads)) is None
    await h.close()


async def test_report_on_demand_for_supervisors_in_their_chat(h: Harness) -> None:
    await h.say("张三-党群工作部: 加我微信带你赌博")

    def ask(user: str, chat: str, *args: str) -> CommandIssued:
        return CommandIssued(
            platform="console",
            chat_id=chat,
            update_id=f"r-{user}-{chat}-{args}",
            message_id="900",
            sender=Member(user, "分管负责人-街道办"),
            name="report",
            args=args,
        )

    h.clock.advance(timedelta(days=30))  # into February: the default period is January
    handled = await h.app.handle(ask("sup-1", TIER1))
    assert handled.replies == ()
    assert [d[0] for d in h.adapter.documents] == [TIER1]
    assert "发现违规 1 起" in h.sent_to(TIER1)[-1]
    refused = await h.app.handle(ask("stranger", TIER1))
    assert "只有监督人员" in refused.replies[0]
    bad = await h.app.handle(ask("sup-1", TIER1, "2026-13"))
    assert "用法" in bad.replies[0]
    # In a group, /report stays the members' alert to admins (it needs a reply).
    member = await h.app.handle(ask("u1", "console-group"))
    assert member.replies and "回复" in member.replies[0]


async def test_a_firing_cut_short_by_a_crash_is_finished_after_the_restart(
    h: Harness, sqlite_url: str, tmp_path: Path
) -> None:
    await h.say("张三-党群工作部: 加我微信带你赌博")
    h.clock.advance(FEB_1_0900_CST - h.clock.now() + timedelta(minutes=1))
    (timer,) = await h.app.store.read(lambda r: r.armed_timers(due_before=h.clock.now()))
    assert await h.app.store.write(lambda r: r.finish_timer(timer.id))  # claimed, then a crash
    h = await restart(h, sqlite_url, tmp_path / "r")
    assert await armed(h) == [h.clock.now()]  # the interrupted firing, at once
    assert await h.scheduler.tick() == 1
    assert [d[0] for d in h.adapter.documents] == [TIER1, TIER2]
    assert await armed(h) == [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    h = await restart(h, sqlite_url, tmp_path / "r")  # finished: nothing more to catch up
    assert await armed(h) == [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    assert await h.scheduler.tick() == 0 and h.adapter.documents == []
    await h.close()
