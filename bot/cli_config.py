"""What every ``groupguard`` subcommand shares: the ``-c/--config`` option and loading the
settings it names. Its own module so command groups kept elsewhere (bot/supervision/cli.py)
use it without importing the command line's root, which imports them."""

from __future__ import annotations

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
        raise click.ClickException(str(exc)) from None


config_option = click.option(
    "-c",
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML config file (default: ./config.yaml if present, else built-in defaults).",
)
