"""Issue 14: every start-up failure is one clear line and a failing exit status, never a
traceback; `groupguard check` exits 1 on a hit; audit shows local times and nicknames."""

from __future__ import annotations

import builtins
import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner
from event_support import free_port

from bot.cli import main
from bot.i18n import Catalogue


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, input=input)


def config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "config.yaml"
    db = tmp_path / "gg.db"
    path.write_text(f"database:\n  url: sqlite+aiosqlite:///{db}\n{body}", encoding="utf-8")
    return str(path)


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def start_fails(path: str, env: dict[str, str], platform: str) -> str:
    result = run("run", "-c", path, env=env)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    prefix = Catalogue().t("startup.failed", platform=platform, reason="")
    assert line.startswith("Error: " + prefix), line
    return line


def test_unreachable_telegram_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    path = config(tmp_path, f"telegram:\n  base_url: http://127.0.0.1:{port}/bot\n")
    start_fails(path, {"TELEGRAM_BOT_TOKEN": "123:abc"}, "telegram")


def test_unreachable_wechat_puppet_service_is_one_line(tmp_path: Path) -> None:
    if importlib.util.find_spec("wechaty") is None:  # not imported here: compat.py patches it
        pytest.skip("the wechat extra is not installed")
    port = free_port()
    path = config(tmp_path, f"wechat:\n  endpoint: 127.0.0.1:{port}\n  start_timeout: 5s\n")
    line = start_fails(path, {"WECHATY_PUPPET_SERVICE_TOKEN": "x"}, "wechat")
    assert f"127.0.0.1:{port}" in line


def test_wechat_endpoint_without_its_token_fails_not_falls_back(tmp_path: Path) -> None:
    path = config(tmp_path, "wechat:\n  endpoint: 127.0.0.1:1\n")
    result = run("run", "-c", path, env={"WECHATY_PUPPET_SERVICE_TOKEN": ""}, input="/quit\n")
    assert result.exit_code == 1
    assert "WECHATY_PUPPET_SERVICE_TOKEN" in one_error_line(result.output)


def test_wechat_without_its_extra_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_grpclib(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith(("wechaty", "grpclib", "adapters.wechat.adapter")):
            raise ModuleNotFoundError(f"No module named {name!r}", name="grpclib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_grpclib)
    path = config(tmp_path, "wechat:\n  endpoint: 127.0.0.1:1\n")
    result = run("run", "-c", path, env={"WECHATY_PUPPET_SERVICE_TOKEN": "x"})
    assert result.exit_code == 1
    assert ".[wechat]" in one_error_line(result.output)


# ---------------------------------------------------------------- check
def test_check_exits_1_on_a_hit_and_0_when_clean() -> None:
    assert run("check", "加我微信带你赌博").exit_code == 1
    assert run("check", "明天上午九点开会").exit_code == 0
    assert run("check", "--stdin", input="明天开会\n带你赌博\n").exit_code == 1
    assert run("check", "--json", "明天开会").exit_code == 0


# ---------------------------------------------------------------- audit
def test_audit_shows_local_times_and_nicknames_and_takes_a_nickname(tmp_path: Path) -> None:
    path = config(tmp_path, "timezone: Asia/Shanghai\n")
    quick = "/join 小明\n张三-党群工作部: 加我微信带你赌博\n/quit\n"
    assert run("run", "-c", path, input=quick).exit_code == 0
    listing = run("audit", "-c", path).output
    assert "member=张三-党群工作部（u2）" in listing and "CST" in listing, listing
    by_name = run("audit", "-c", path, "--member", "张三-党群工作部").output
    assert by_name == run("audit", "-c", path, "--member", "u2").output
    assert "小明" not in by_name and "张三-党群工作部" in by_name


def test_audit_refuses_an_unknown_category(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    result = run("audit", "-c", path, "--category", "foo")
    assert result.exit_code == 2 and "unknown category 'foo'" in result.output
    assert "illegal" in result.output  # the known ones are listed
    # audit never creates a database (issue 13): a known category on a missing one is refused
    assert run("audit", "-c", path, "--category", "quiet").exit_code == 1
    assert run("db", "upgrade", "-c", path).exit_code == 0
    assert run("audit", "-c", path, "--category", "quiet").exit_code == 0


def test_the_licence_is_an_spdx_expression_so_installs_print_no_deprecation() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"  # not the deprecated {text = ...}
    (setuptools,) = [r for r in project["build-system"]["requires"] if "setuptools" in r]
    assert setuptools == "setuptools>=77"  # the first release that reads PEP 639 licences


def test_the_deployment_guide_covers_each_platform_and_names_real_keys() -> None:
    from adapters.telegram.plugin import TelegramSection
    from adapters.wechat.plugin import WeChatSection

    root = Path(__file__).resolve().parents[2]
    guide = (root / "docs" / "deploy.md").read_text(encoding="utf-8")
    for topic in ("## Telegram", "## WeChat", "systemd", "## PostgreSQL", "chat id", "user id"):
        assert topic in guide, topic
    assert "/start" in guide and "QR" in guide and "proxy" in guide
    for key in ("proxy", "base_url", "base_file_url"):
        assert f"  {key}:" in guide and key in TelegramSection.model_fields
    assert "  endpoint:" in guide and "endpoint" in WeChatSection.model_fields
    assert "docs/deploy.md" in (root / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_config_validate_speaks_the_files_language(tmp_path: Path, language: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"language: {language}\ngroups:\n  - chat_id: 1\n    foo: 1\n", "utf-8")
    result = run("config", "validate", str(path))
    t = Catalogue(language).t
    assert result.exit_code == 1
    assert t("config_check.invalid", file=path) in result.output
    assert t("config_check.line", line=4) + "groups.0.foo: " + t("config_phrase.extra") in (
        result.output
    )
    path.write_text(f"language: {language}\n", "utf-8")
    assert run("config", "validate", str(path)).output.strip() == t("config_check.ok", file=path)
