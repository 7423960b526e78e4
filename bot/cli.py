"""The ``groupguard`` command line: run, replay, check, audit, db upgrade, config validate."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import click

from bot.cli_config import DEFAULT_CONFIG, config_option
from bot.cli_config import settings_for as _settings


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

    try:
        asyncio.run(serve(settings, adapters))
    except PlatformConfigError as exc:  # e.g. a start-up refusal: the token was wrong
        raise click.ClickException(str(exc)) from None


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
        detector = Detector.load(
            settings.lexicon_dirs,
            include_builtin=settings.builtin_lexicons,
            **settings.detection.options(),
        )
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


def _parse_date(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    """A date or date-time typed by a person; without an offset it is read in ``zone``
    (the configured time zone: "since 2026-11-01" means midnight there)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value} (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@main.group(invoke_without_command=True)
@config_option
@click.option("--group", "chat_id", help="Chat id.")
@click.option("--platform", help="telegram, wechat or console.")
@click.option("--member", "user_id", help="Member user id.")
@click.option("--category", help="e.g. illegal, harmful, nickname, command.")
@click.option("--since", help="From this date (YYYY-MM-DD, configured time zone).")
@click.option("--until", help="Before this date (YYYY-MM-DD, configured time zone).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")
@click.option("--limit", default=1000, show_default=True)
@click.pass_context
def audit(
    ctx: click.Context,
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
    """List recorded actions with their article, evidence and outcome; `audit verify` checks
    that the record was not altered. Never creates a database."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.directory import load_directory
    from bot.supervision.access import RecordUnavailable, open_existing

    settings = _settings(config)
    zone = settings.zone

    async def query() -> tuple[list[dict], Any]:
        try:
            store = await open_existing(settings)
        except RecordUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        try:
            rows = await store.read(
                lambda r: r.audit(
                    platform=platform,
                    chat_id=chat_id,
                    user_id=user_id,
                    category=category,
                    since=_parse_date(since, zone),
                    until=_parse_date(until, zone),
                    limit=limit,
                )
            )
            chats = {(row["platform"], row["chat_id"]) for row in rows}
            names = await store.read(lambda r: load_directory(r, settings, chats))
            return rows, names
        finally:
            await store.close()

    rows, names = asyncio.run(query())
    for row in rows:
        group = names.group(row["platform"], row["chat_id"])
        if as_json:
            record = {
                k: (v.astimezone(zone).isoformat() if isinstance(v, datetime) else v)
                for k, v in row.items()
            }
            record["group_name"] = group
            record["unit"] = names.unit(row["platform"], row["chat_id"], "")
            record["nickname"] = names.nickname(row["platform"], row["chat_id"], row["user_id"])
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        evidence = "; ".join(f"{e['match']}[{e['start']}:{e['end']}]" for e in row["evidence"])
        actor = row["actor"]
        if actor != "bot":
            actor = names.member(row["platform"], row["chat_id"], actor.split(":")[-1])
        click.echo(
            f"#{row['id']} {row['at'].astimezone(zone):%Y-%m-%d %H:%M:%S %Z} "
            f"{group} [{row['platform']}:{row['chat_id']}] "
            f"{names.member(row['platform'], row['chat_id'], row['user_id'])} by={actor} "
            f"{row['kind']} [{row['category']} {row['article']}] → {row['outcome'] or 'NO OUTCOME'}"
            + (f" ({row['detail']})" if row["detail"] else "")
            + (f" evidence: {evidence}" if evidence else "")
            + (f" told: {', '.join(row['notified'])}" if row.get("notified") else "")
        )
    if not as_json:
        click.echo(f"{len(rows)} action(s)")


@audit.command("verify")
@config_option
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="SEQ:HASH",
    help="A journal head printed in a report; the chain must still pass through it.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def audit_verify(config: Path | None, anchors: tuple[str, ...], as_json: bool) -> None:
    """Walk the hash chain and compare every kept record with it. Exit status 1 and the
    first altered, removed, inserted or truncated entry when the record was rewritten."""
    from bot.supervision.verify import parse_anchor, run_verify

    parent = click.get_current_context().parent
    settings = _settings(config or (parent.params.get("config") if parent else None))
    try:
        heads = [parse_anchor(a) for a in anchors]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from None
    ok, text = asyncio.run(run_verify(settings, heads, as_json=as_json))
    click.echo(text)
    if not ok:
        sys.exit(1)


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


def _register_supervision() -> None:
    # The supervision commands live in their own module (bot/supervision/cli.py).
    from bot.supervision.cli import incident, report

    main.add_command(report)
    main.add_command(incident)


_register_supervision()

if __name__ == "__main__":
    main()
