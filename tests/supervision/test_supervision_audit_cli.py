"""``groupguard audit`` and ``audit verify`` on a record made by the console pipeline."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_record(tmp_path: Path) -> tuple[Path, Path]:
    from bot.config import load_settings
    from bot.console_runner import run_console

    db = tmp_path / "gg.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{db}\n"
        "groups:\n  - platform: console\n    chat_id: console-group\n"
        "    name: 党群工作部工作群\n    unit: 党群工作部\n",
        encoding="utf-8",
    )
    asyncio.run(
        run_console(
            load_settings(config),
            out=lambda _: None,
            lines=["张三-党群工作部: 加我微信带你赌博", "/join 小明"],
        )
    )
    return config, db


def test_audit_refuses_a_missing_database_and_creates_none(tmp_path: Path) -> None:
    db = tmp_path / "gone.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite+aiosqlite:///{db}\n", encoding="utf-8")
    for args in (["audit"], ["audit", "verify"]):
        result = CliRunner().invoke(main, [*args[:1], "-c", str(config), *args[1:]])
        assert result.exit_code != 0, args
        assert "gone.db" in result.output
    assert not db.exists()


def test_audit_shows_nicknames_the_registered_name_and_local_times(tmp_path: Path) -> None:
    config, _ = make_record(tmp_path)
    result = run("audit", "-c", str(config), "--category", "illegal")
    assert "党群工作部工作群" in result.output
    assert "张三-党群工作部（" in result.output
    assert " CST " in result.output  # Asia/Shanghai, the configured zone


def test_verify_passes_then_finds_an_edit_with_its_entry_number(tmp_path: Path) -> None:
    config, db = make_record(tmp_path)
    ok = run("audit", "verify", "-c", str(config))
    assert ok.exit_code == 0 and "记录完整" in ok.output
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER actions_no_update")
        conn.execute("UPDATE actions SET kind = 'warn' WHERE id = 1")
    broken = CliRunner().invoke(main, ["audit", "verify", "-c", str(config)])
    assert broken.exit_code == 1
    assert "actions #1" in broken.output and "第 " in broken.output
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER journal_no_delete")
        conn.execute("DELETE FROM journal WHERE seq = 2")
    broken = CliRunner().invoke(main, ["audit", "verify", "-c", str(config), "--json"])
    assert broken.exit_code == 1 and '"seq": 2' in broken.output and "removed" in broken.output
