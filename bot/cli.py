"""The ``groupguard`` command line: run, replay, check, audit, db upgrade, config validate,
filing and registry (governance)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.config import Settings

# Imports are lazy, per command: `check` loads only the detector (no pydantic config unless a
# config file is used, no database or platform stack).
DEFAULT_CONFIG = Path("config.yaml")


def _settings(config: Path | None) -> Settings:
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


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """GroupGuard: enforces the conduct rules of work chat groups."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Decide and record, but never act on the platform.")
def run(config: Path | None, dry_run: bool) -> None:
    """Run the bot: Telegram/WeChat when configured, else a local console group chat."""
    settings = _settings(config)
    if dry_run:
        settings = settings.model_copy(update={"dry_run": True})
    from bot.ports import PlatformConfigError
    from bot.runtime import platform_adapters

    try:
        adapters = platform_adapters(settings)
    except PlatformConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not adapters:
        from bot.console_runner import run_console
        from bot.i18n import Catalogue

        click.echo(Catalogue(settings.language).t("console.no_token"))
        asyncio.run(run_console(settings))
        return
    from bot.service import serve

    asyncio.run(serve(settings, adapters))


@main.command()
@config_option
@click.argument("transcript", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay(config: Path | None, transcript: Path) -> None:
    """Run a JSON Lines transcript through the full pipeline and print every decision."""
    from bot.console_runner import replay as run_replay

    settings = _settings(config)
    with tempfile.TemporaryDirectory(prefix="groupguard-replay-") as scratch:
        if config is None and not DEFAULT_CONFIG.exists():
            # A replay should not write into the working directory's database by accident.
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
            settings = settings.model_copy(
                update={"database": settings.database.model_copy(update={"url": url})}
            )
        asyncio.run(run_replay(settings, transcript))


@main.command()
@config_option
@click.option("--stdin", "from_stdin", is_flag=True, help="Read messages from stdin, one a line.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line.")
@click.option("--raw", is_flag=True, help="Show personal data unmasked (masked by default).")
@click.argument("texts", nargs=-1)
def check(
    config: Path | None, from_stdin: bool, as_json: bool, raw: bool, texts: tuple[str, ...]
) -> None:
    """Show which content rules a message hits, and why."""
    from rules.detection import Detector
    from rules.detection.report import format_hits, json_line

    if not texts and not from_stdin:
        raise click.UsageError("give TEXT arguments or --stdin")
    if config is None and not DEFAULT_CONFIG.exists():
        detector = Detector.load()  # built-in defaults: no config machinery at all
    else:
        settings = _settings(config)
        detector = Detector.load(settings.lexicon_dirs, include_builtin=settings.builtin_lexicons)
    lines = list(texts) if texts else (line.rstrip("\n") for line in sys.stdin)
    detect = detector.detect
    out = sys.stdout
    batch: list[str] = []
    for text in lines:
        hits = detect(text)
        batch.append(
            json_line(text, hits, raw=raw) if as_json else format_hits(text, hits, raw=raw)
        )
        if len(batch) >= 1024:
            batch.append("")
            out.write("\n".join(batch))
            batch.clear()
    if batch:
        batch.append("")
        out.write("\n".join(batch))
    out.flush()


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value} (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@main.command()
@config_option
@click.option("--group", "chat_id", help="Chat id.")
@click.option("--platform", help="telegram, wechat or console.")
@click.option("--member", "user_id", help="Member user id.")
@click.option("--category", help="e.g. illegal, harmful, nickname, command.")
@click.option("--since", help="From this date (YYYY-MM-DD).")
@click.option("--until", help="Before this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")
@click.option("--limit", default=1000, show_default=True)
def audit(
    config: Path | None,
    chat_id: str | None,
    platform: str | None,
    user_id: str | None,
    category: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
    limit: int,
) -> None:
    """List recorded actions with their article, evidence and outcome."""
    from storage.store import Store

    settings = _settings(config)

    async def query() -> tuple[list[dict], dict[tuple[str, str], str]]:
        from storage.directory import DirectoryRepository

        store = await Store.open(settings.database.resolved_url(), retry_for=5)
        try:
            # The registered name and unit of each group (G1), shown beside its id.
            groups = await store.read(lambda r: DirectoryRepository(r.c).groups())
            names = {
                (g.platform, g.chat_id): g.name + (f"（{g.unit}）" if g.unit else "")
                for g in groups
                if g.name
            }
            rows = await store.read(
                lambda r: r.audit(
                    platform=platform,
                    chat_id=chat_id,
                    user_id=user_id,
                    category=category,
                    since=_parse_date(since),
                    until=_parse_date(until),
                    limit=limit,
                )
            )
            return rows, names
        finally:
            await store.close()

    rows, names = asyncio.run(query())
    for row in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()},
                    ensure_ascii=False,
                )
            )
            continue
        evidence = "; ".join(f"{e['match']}[{e['start']}:{e['end']}]" for e in row["evidence"])
        click.echo(
            f"#{row['id']} {row['at']:%Y-%m-%d %H:%M:%S} {row['platform']}:{row['chat_id']} "
            + (f"[{name}] " if (name := names.get((row["platform"], row["chat_id"]))) else "")
            + f"user={row['user_id'] or '-'} by={row['actor']} {row['kind']} "
            f"[{row['category']} {row['article']}] → {row['outcome'] or 'NO OUTCOME'}"
            + (f" ({row['detail']})" if row["detail"] else "")
            + (f" evidence: {evidence}" if evidence else "")
            + (f" told: {', '.join(row['notified'])}" if row.get("notified") else "")
        )
    if not as_json:
        click.echo(f"{len(rows)} action(s)")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
def db_upgrade(config: Path | None) -> None:
    """Apply Alembic migrations up to the newest schema."""
    from storage.db import make_engine, upgrade

    settings = _settings(config)

    async def go() -> None:
        engine = make_engine(settings.database.resolved_url())
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(go())
    click.echo("database is at the newest schema")


@main.group("config")
def config_group() -> None:
    """Configuration tools."""


@config_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def config_validate(file: Path) -> None:
    """Check a config file; report each problem with its key and line."""
    from bot.config import ConfigError, load_settings

    try:
        load_settings(file)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{file}: OK")


def _governance_commands() -> None:
    from bot.workflows.governance.cli import filing_group, registry_group

    main.add_command(filing_group)
    main.add_command(registry_group)


_governance_commands()


def _members_commands() -> None:
    from bot.workflows.members.cli import roster_group

    main.add_command(roster_group)


_members_commands()

if __name__ == "__main__":
    main()
