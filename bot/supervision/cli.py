"""``groupguard report`` and ``groupguard incident``: supervision from the command line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.cli import _settings, config_option


@click.command()
@config_option
@click.option("--period", help="A month (2026-11) or quarter (2026-Q4); default: last month.")
@click.option("--from", "start", help="First day (YYYY-MM-DD), with --to.")
@click.option("--to", "end", help="Last day, inclusive (YYYY-MM-DD).")
@click.option("--unit", help="Only the groups of this unit (config groups[].unit).")
@click.option("--group", "chats", multiple=True, help="Only this chat id (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "html", "csv"]), default="xlsx", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
def report(
    config: Path | None,
    period: str | None,
    start: str | None,
    end: str | None,
    unit: str | None,
    chats: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Write a supervision report: per unit, group, category and week, with charts and the
    journal head. Personal data is masked. Never creates a database."""
    from bot.i18n import Catalogue
    from bot.supervision.access import RecordUnavailable, open_existing
    from bot.supervision.render import render, summary_message
    from bot.supervision.report import gather, parse_period

    settings = _settings(config)
    now = datetime.now(UTC)
    try:
        chosen = parse_period(
            period, start, end, settings.zone, now.astimezone(settings.zone).date()
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None

    async def build():  # type: ignore[no-untyped-def]
        try:
            store = await open_existing(settings, need_journal=True)
        except RecordUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        try:
            return await store.read(
                lambda r: gather(r, settings, chosen, unit=unit, chats=chats, now=now)
            )
        finally:
            await store.close()

    data = asyncio.run(build())
    catalogue = Catalogue(settings.language)
    target = output or Path(
        f"report-{chosen.label.replace('..', '_')}{'-' + unit if unit else ''}.{fmt}"
    )
    target.write_bytes(render(data, fmt, catalogue, settings.zone))
    click.echo(summary_message(catalogue, data))
    click.echo(str(target))
