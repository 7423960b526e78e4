"""Reports: a seeded month counted per unit, group and category (expectations computed here
from the seed, not by the report code); the workbook opens with openpyxl and has native
charts; the HTML carries its Chinese labels as text; CSV; the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings, load_settings
from bot.i18n import Catalogue
from bot.supervision.render import render, summary_message
from bot.supervision.report import gather, parse_period
from storage.store import Store

ZONE = ZoneInfo("Asia/Shanghai")
# Midnight 1 November in Shanghai is 16:00 on 31 October UTC: a detection at 17:00 UTC on
# 31 October belongs to November, one at 15:00 UTC to October.
NOV_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
GROUPS = {
    "g1": ("街道办", "街道办工作群"),
    "g2": ("街道办", "街道办通知群"),
    "g3": ("社区工作站", "社区服务群"),
    "g4": (None, None),  # seen on the platform but never registered
}
KINDS = {
    "illegal": ["delete", "blacklist", "escalate"],
    "harmful": ["delete", "warn"],
    "nickname": ["record"],
}


@dataclass(frozen=True)
class Seed:
    decision: str
    chat: str
    category: str
    at: datetime
    actor: str = "bot"


def seeds() -> list[Seed]:
    out = []
    for i in range(40):
        chat = f"g{i % 4 + 1}"
        category = list(KINDS)[i % 3]
        at = NOV_START + timedelta(hours=17 * i - 30)  # the first two fall in October
        out.append(Seed(f"d{i}", chat, category, at))
    out.append(Seed("late", "g1", "illegal", datetime(2026, 11, 30, 16, 30, tzinfo=UTC)))  # Dec
    out.append(Seed("edge", "g3", "harmful", datetime(2026, 10, 31, 17, 0, tzinfo=UTC)))  # Nov
    return out


def config_text(db: Path) -> str:
    lines = [f"database:\n  url: sqlite+aiosqlite:///{db}\n", "groups:\n"]
    for chat, (unit, name) in GROUPS.items():
        if unit:
            lines.append(
                f"  - {{platform: console, chat_id: {chat}, name: {name}, unit: {unit}}}\n"
            )
    return "".join(lines)


async def seed_store(url: str) -> None:
    store = await Store.open(url)

    async def work(r):  # type: ignore[no-untyped-def]
        for s in seeds():
            for kind in KINDS[s.category]:
                action_id = await r.record_action(
                    decision_id=s.decision,
                    at=s.at,
                    platform="console",
                    chat_id=s.chat,
                    user_id="u1",
                    actor=s.actor,
                    kind=kind,
                    params={},
                    rule="content",
                    article=f"R1 Art.{7 if s.category == 'illegal' else 9}",
                    category=s.category,
                    severity="high",
                    message_id=None,
                    evidence=[],
                    reason="",
                )
                await r.record_outcome(action_id, "done", "", s.at)
                if kind == "escalate":
                    escalation = await r.add_escalation(
                        action_id=action_id,
                        decision_id=s.decision,
                        tier=1,
                        target_platform="console",
                        target_chat_id="sup",
                        platform="console",
                        chat_id=s.chat,
                        user_id="u1",
                        category=s.category,
                        article="R1 Art.7",
                        summary="身份证号 11010519491231002X",
                        status="sent",
                        at=s.at,
                    )
                    if int(s.decision[1:] if s.decision[1:].isdigit() else 1) % 2 == 0:
                        await r.add_escalation_response(
                            escalation, "boss", "false_positive", s.at + timedelta(minutes=30)
                        )
        # An admin's own mute (an action, not a detection) and a refused command.
        for chat in ("g1", "g3"):
            at = NOV_START + timedelta(days=3)
            for decision, category, kind, outcome in (
                ("m-" + chat, "command", "mute", "done"),
                ("-", "command", "command:mute", "refused"),  # as the command handler does
            ):
                action_id = await r.record_action(
                    decision_id=decision,
                    at=at,
                    platform="console",
                    chat_id=chat,
                    user_id=None,
                    actor="admin7",
                    kind=kind,
                    params={},
                    rule="command",
                    article="R1 Art.8",
                    category=category,
                    severity="info",
                    message_id=None,
                    evidence=[],
                    reason="",
                )
                await r.record_outcome(action_id, outcome, "", at)

    await store.write(work)
    await store.close()


def expected(period_start: datetime, period_end: datetime) -> dict[str, Counter]:
    inside = [s for s in seeds() if period_start <= s.at < period_end]
    unit_of = {chat: unit or "-" for chat, (unit, _) in GROUPS.items()}
    detections: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    for s in inside:
        detections[unit_of[s.chat]] += 1
        by_category[s.category] += 1
        real = [k for k in KINDS[s.category] if k != "record"]
        actions[unit_of[s.chat]] += len(real)
        escalations[unit_of[s.chat]] += real.count("escalate")
    actions["街道办"] += 1  # the admins' mutes
    actions["社区工作站"] += 1
    return {
        "detections": detections,
        "categories": by_category,
        "actions": actions,
        "escalations": escalations,
    }


@pytest.fixture
def record(tmp_path: Path) -> Path:
    db = tmp_path / "gg.db"
    config = tmp_path / "config.yaml"
    config.write_text(config_text(db), encoding="utf-8")
    asyncio.run(seed_store(f"sqlite+aiosqlite:///{db}"))
    return config


async def november(config: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(config)
    period = parse_period("2026-11", None, None, settings.zone, datetime(2026, 12, 5).date())
    store = await Store.open(settings.database.resolved_url(), migrate=False)
    try:
        now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        return settings, await store.read(lambda r: gather(r, settings, period, now=now))
    finally:
        await store.close()


def test_a_month_is_counted_per_unit_group_and_category(record: Path) -> None:
    _, data = asyncio.run(november(record))
    assert data.period.start == NOV_START
    want = expected(data.period.start, data.period.end)
    assert {u: c.detections for u, c in data.units.items() if c.detections} == dict(
        want["detections"]
    )
    assert {u: c.actions for u, c in data.units.items()} == dict(want["actions"])
    assert {u: c.escalations for u, c in data.units.items() if c.escalations} == dict(
        want["escalations"]
    )
    assert {k: v[0] for k, v in data.categories.items() if v[0]} == dict(want["categories"])
    assert data.totals.detections == sum(want["detections"].values())
    assert data.totals.refusals == 2 and data.units["街道办"].refusals == 1
    assert data.totals.member_findings == want["categories"]["nickname"]
    by_group = {g.group: g for g in data.groups}
    assert by_group["社区服务群"].registered and not by_group["console:g4"].registered
    assert sum(g.counts.detections for g in data.groups) == data.totals.detections
    assert sum(v[0] for v in data.weeks.values()) == data.totals.detections
    answered = [e for e in data.escalations if e.response]
    assert data.totals.answered == len(answered) and data.totals.false_positives == len(answered)
    assert all(e.minutes == 30.0 for e in answered)
    assert all("19491231" not in e.summary for e in data.escalations)  # masked
    assert data.head.seq > 0


def test_the_workbook_opens_and_has_native_charts(record: Path) -> None:
    settings, data = asyncio.run(november(record))
    blob = render(data, "xlsx", Catalogue("zh-CN"), settings.zone)
    book = openpyxl.load_workbook(io.BytesIO(blob))
    assert book.sheetnames[:3] == ["概况", "按单位", "按群组"]
    units = book["按单位"]
    rows = {r[0]: r for r in units.iter_rows(min_row=2, values_only=True) if r[0]}
    assert rows["街道办"][1] == data.units["街道办"].detections
    summary = [c for r in book["概况"].iter_rows(values_only=True) for c in r if c]
    assert any(str(data.head.hash) in str(c) for c in summary)  # the head is in the report
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        kinds = "".join(z.read(n).decode() for n in charts)
    assert len(charts) == 3
    assert "<c:barChart>" in kinds and "<c:pieChart>" in kinds and "<c:lineChart>" in kinds
    assert "每周发现违规与处置" in kinds  # the chart titles are Chinese text


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.svg_text: list[str] = []
        self.charset = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.stack.append(tag)
        if tag == "meta":
            self.charset = dict(attrs).get("charset", "")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "svg" in self.stack and self.stack[-1] == "text":
            self.svg_text.append(data)


def test_the_html_draws_chinese_labels_as_text_in_a_cjk_font(record: Path) -> None:
    settings, data = asyncio.run(november(record))
    page = render(data, "html", Catalogue("zh-CN"), settings.zone).decode("utf-8")
    parser = _Texts()
    parser.feed(page)
    assert parser.charset == "utf-8"
    for label in ("违法信息", "不良信息", "街道办", "社区工作站", "发现违规"):
        assert label in parser.svg_text, label
    assert page.count("<svg") == 3 and "Noto Sans CJK SC" in page
    assert "&#" not in "".join(parser.svg_text)  # real characters, not escapes or boxes
    assert data.head.hash in page


def test_csv_is_one_tidy_table_excel_reads(record: Path) -> None:
    settings, data = asyncio.run(november(record))
    blob = render(data, "csv", Catalogue("zh-CN"), settings.zone)
    assert blob.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(blob.decode("utf-8-sig"))))
    units = {
        r["unit"]: int(r["value"])
        for r in rows
        if r["section"] == "unit" and r["figure"] == "detections"
    }
    assert units["街道办"] == data.units["街道办"].detections
    assert any(r["figure"] == "journal_head" and r["value"] == str(data.head) for r in rows)


def test_the_summary_message_has_the_key_figures(record: Path) -> None:
    _, data = asyncio.run(november(record))
    text = summary_message(Catalogue("zh-CN"), data)
    assert f"发现违规 {data.totals.detections} 起" in text and data.head.hash in text


def test_report_command_writes_the_file(record: Path, tmp_path: Path) -> None:
    out = tmp_path / "nov.xlsx"
    result = CliRunner().invoke(
        main,
        ["report", "-c", str(record), "--period", "2026-11", "--unit", "街道办", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "范围：街道办" in result.output and out.exists()
    book = openpyxl.load_workbook(out)
    groups = [r[1] for r in book["按群组"].iter_rows(min_row=2, values_only=True)]
    assert sorted(groups) == ["街道办工作群", "街道办通知群"]
    bad = CliRunner().invoke(main, ["report", "-c", str(record), "--period", "2026-13"])
    assert bad.exit_code != 0 and "no month 13" in bad.output


async def test_the_counts_are_the_same_on_postgresql_and_sqlite(db_url: str) -> None:
    await seed_store(db_url)
    groups = [
        {"platform": "console", "chat_id": chat, "name": name, "unit": unit}
        for chat, (unit, name) in GROUPS.items()
        if unit
    ]
    settings = Settings.model_validate({"groups": groups})
    period = parse_period("2026-11", None, None, ZONE, datetime(2026, 12, 5).date())
    store = await Store.open(db_url, migrate=False)
    try:
        now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        data = await store.read(lambda r: gather(r, settings, period, now=now))
    finally:
        await store.close()
    want = expected(period.start, period.end)
    assert {u: c.detections for u, c in data.units.items() if c.detections} == dict(
        want["detections"]
    )
    assert {u: c.actions for u, c in data.units.items()} == dict(want["actions"])
    assert {k: v[0] for k, v in data.categories.items() if v[0]} == dict(want["categories"])


def test_a_font_of_the_chart_font_stack_covers_every_chinese_label(record: Path) -> None:
    """The charts are SVG text drawn with the reader's fonts: on Linux that is fontconfig and
    Debian's Noto CJK (scripts/setup-test-system.sh installs it). Every CJK character of
    every label must be in one font of the stack, or the reader would see boxes."""
    import os
    import re
    import shutil
    import subprocess

    from bot.supervision.render import FONT_STACK

    if (
        shutil.which("fc-list") is None
        or not subprocess.run(
            ["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True
        ).stdout.strip()
    ):
        if os.environ.get("GROUPGUARD_REQUIRE_CJK_FONT") == "1":
            pytest.fail("no CJK font installed but GROUPGUARD_REQUIRE_CJK_FONT=1")
        pytest.skip("no fontconfig CJK font on this machine")
    settings, data = asyncio.run(november(record))
    page = render(data, "html", Catalogue("zh-CN"), settings.zone).decode("utf-8")
    parser = _Texts()
    parser.feed(page)
    cjk = sorted({c for text in parser.svg_text for c in text if ord(c) > 0x2E7F})
    assert len(cjk) > 10
    charset = " ".join(f"{ord(c):x}" for c in cjk)
    covering = subprocess.run(
        ["fc-list", f":charset={charset}", "family"], capture_output=True, text=True, check=True
    ).stdout
    families = {f.strip() for line in covering.splitlines() for f in line.split(",")}
    stack = [f.strip("'") for f in FONT_STACK.split(",")]
    assert families & set(stack), (stack, sorted(families)[:10])
    assert re.search(r"Noto Sans CJK SC|Source Han Sans SC|WenQuanYi", covering)
