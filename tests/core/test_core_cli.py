"""The groupguard command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.i18n import Catalogue

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_every_subcommand_has_help() -> None:
    for args in (
        ["--help"],
        ["run", "--help"],
        ["replay", "--help"],
        ["check", "--help"],
        ["audit", "--help"],
        ["db", "upgrade", "--help"],
        ["config", "validate", "--help"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_the_committed_example_config_is_valid() -> None:
    result = run("config", "validate", str(ROOT / "config.example.yaml"))
    assert result.exit_code == 0, result.output


def test_a_broken_config_names_the_key_and_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "language: zh-CN\npolicy:\n  nickname:\n    grace_period: soon\n"
        "escalation:\n  tiers:\n    1:\n      - {platform: telegram}\n",
        encoding="utf-8",
    )
    result = run("config", "validate", str(broken))
    assert result.exit_code == 1
    # In the file's language (zh-CN): 第 4 行：… (issue 14); the key and line as before.
    line = Catalogue().t
    assert line("config_check.line", line=4) + "policy.nickname.grace_period" in result.output
    assert line("config_check.line", line=8) + "escalation.tiers.1.0.chat_id" in result.output
    assert line("config_phrase.missing") in result.output and "Field required" not in result.output


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "bad.yaml"
    broken.write_text("language: zh-CN\npolicy: [unclosed\n", encoding="utf-8")
    result = run("config", "validate", str(broken))
    t = Catalogue().t
    assert result.exit_code == 1 and t("config_phrase.not_yaml") in result.output
    assert t("config_check.line", line=3) in result.output


def test_secrets_come_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.config import Settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GROUPGUARD_DATABASE_URL", "postgresql+asyncpg://u:pw@db/gg")
    settings = Settings()
    assert settings.section("telegram").token() == "123:abc"
    assert settings.database.resolved_url().endswith("@db/gg")
    assert (
        "token"
        not in (ROOT / "config.example.yaml")
        .read_text(encoding="utf-8")
        .split("token_env")[0]
        .lower()
    )


def test_check_json_has_the_documented_shape() -> None:
    result = run("check", "--json", "加我微信带你赌博", "明天上午开会")
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["categories"] == ["illegal"]
    hit = first["hits"][0]
    assert {"category", "kind", "article", "match", "start", "end"} <= hit.keys()
    assert first["text"][hit["start"] : hit["end"]] == hit["match"]
    assert second["categories"] == [] and second["hits"] == []


def test_check_reads_stdin_one_message_a_line() -> None:
    result = run("check", "--stdin", "--json", input="机密文件\n大家好\n")
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [x["categories"] for x in lines] == [["secret"], []]


def test_replay_prints_decisions_and_a_summary() -> None:
    result = run("replay", str(ROOT / "examples" / "transcript.jsonl"))
    assert result.exit_code == 0
    for category in (
        "nickname",
        "illegal",
        "abuse",
        "secret",
        "internal",
        "privacy",
        "unverified",
        "offtopic",
        "restricted",
        "quiet",
        "blacklist",
    ):
        assert f"· {category} ·" in result.output, category
    assert "汇总" in result.output


def test_audit_lists_actions_with_article_and_evidence(tmp_path: Path) -> None:
    db = tmp_path / "gg.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite+aiosqlite:///{db}\n", encoding="utf-8")
    import asyncio

    from bot.config import load_settings
    from bot.console_runner import run_console

    asyncio.run(
        run_console(
            load_settings(config),
            out=lambda _: None,
            lines=["张三-党群工作部: 加我微信带你赌博", "/join 小明"],
        )
    )
    result = run("audit", "-c", str(config), "--category", "illegal")
    assert "R1 Art.7" in result.output and "evidence: 赌博" in result.output
    assert "blacklist" in result.output and "→ done" in result.output
    reminded = run("audit", "-c", str(config), "--category", "nickname").output
    assert "remind" in reminded and "told: u2" in reminded  # who was told is on record
    assert run("audit", "-c", str(config), "--category", "quiet").output.startswith("0 action")
    as_json = [json.loads(x) for x in run("audit", "-c", str(config), "--json").output.splitlines()]
    assert all(row["outcome"] for row in as_json)


def test_a_broken_group_policy_override_stops_start_up_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "group.yaml"
    broken.write_text(
        "groups:\n  - platform: telegram\n    chat_id: '-100'\n    policy:\n"
        "      nickname:\n        grace_period: whenever\n",
        encoding="utf-8",
    )
    result = run("config", "validate", str(broken))
    assert result.exit_code == 1
    t = Catalogue().t
    assert (
        t("config_check.line", line=6)
        + "groups.0.policy.nickname.grace_period: "
        + t("config_phrase.not_duration")
    ) in result.output
