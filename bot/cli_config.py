"""What every ``groupguard`` subcommand shares: the ``-c/--config`` option and loading the
settings it names (problems told in the file's language). Its own module so command groups
kept elsewhere (bot/supervision/cli.py) use it without importing the command line's root,
which imports them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.config import Settings

# Imports are lazy, per command: `check` loads only the detector (no pydantic config unless a
# config file is used, no database or platform stack).
DEFAULT_CONFIG = Path("config.yaml")


def settings_for(config: Path | None) -> Settings:
    from bot.config import ConfigError, load_settings

    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    try:
        return load_settings(config)
    except ConfigError as exc:
        raise click.ClickException(config_problems(exc, config)) from None


_LINE = re.compile(r"^line (\S+): ")


def config_problems(exc: Exception, path: Path | None) -> str:
    """A ConfigError in the language the file asks for (zh-CN unless it says ``en``): the
    header, the line labels and pydantic's common messages come from the catalogue; our own
    checks' details (key names, values, lists of choices) are shown as they are."""
    from bot.i18n import Catalogue

    language = "zh-CN"
    try:
        head = Path(path).read_text(encoding="utf-8", errors="replace") if path else ""
    except OSError:
        head = ""
    if re.search(r"(?m)^language:\s*['\"]?en['\"]?\s*$", head):
        language = "en"
    catalogue = Catalogue(language)
    t = catalogue.t
    first, *problems = str(exc).split("\n")
    lines = [t("config_check.invalid", file=first.removesuffix(": invalid configuration"))]
    for problem in problems:
        text = problem.strip()
        text = _LINE.sub(lambda m: t("config_check.line", line=m.group(1)), text, count=1)
        for english, key in _PHRASES:
            text = text.replace(english, t(key))
        lines.append("  " + text)
    return "\n".join(lines)


# pydantic's and our most common English phrases, and the catalogue key for each.
_PHRASES = (
    ("Extra inputs are not permitted", "config_phrase.extra"),
    ("Field required", "config_phrase.missing"),
    ("Input should be a valid string", "config_phrase.string"),
    ("Input should be a valid integer", "config_phrase.integer"),
    ("Input should be a valid boolean", "config_phrase.boolean"),
    ("Input should be a valid dictionary", "config_phrase.mapping"),
    ("Input should be a valid list", "config_phrase.list"),
    ("not a duration:", "config_phrase.not_duration"),
    ("(use e.g. 10m, 2h, 3d)", "config_phrase.duration_hint"),
    ("is not a date-time", "config_phrase.not_datetime"),
    ("unknown time zone", "config_phrase.unknown_zone"),
    ("not valid YAML", "config_phrase.not_yaml"),
)


config_option = click.option(
    "-c",
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML config file (default: ./config.yaml if present, else built-in defaults).",
)
