"""``groupguard report`` and ``groupguard incident``: supervision from the command line."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.cli_config import config_option
from bot.cli_config import settings_for as _settings


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
            unknown = Catalogue(settings.language).t("supervision.unit_unregistered")
            return await store.read(
                lambda r: gather(
                    r, settings, chosen, unit=unit, chats=chats, now=now, unknown_unit=unknown
                )
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


# ---------------------------------------------------------------------- incidents
@click.group()
def incident() -> None:
    """Public-opinion incidents (舆情): list, show, export; open and walk them from here too
    (the running bot then tells the tiers)."""


def _run_with_desk(config: Path | None, work):  # type: ignore[no-untyped-def]
    """Open the existing record, hand ``work`` the desk and the store, close."""
    from bot.clock import Clock
    from bot.i18n import Catalogue
    from bot.supervision.access import RecordUnavailable, open_existing
    from bot.workflows.incident.desk import IncidentDesk

    settings = _settings(config)

    async def go():  # type: ignore[no-untyped-def]
        try:
            store = await open_existing(settings, need_journal=True)
        except RecordUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        try:
            desk = IncidentDesk(settings, store, Clock(), Catalogue(settings.language))
            return await work(desk, store, settings)
        finally:
            await store.close()

    return asyncio.run(go())


@incident.command("list")
@config_option
@click.option("--open", "open_only", is_flag=True, help="Only incidents not yet reported.")
@click.option("--period", help="Opened in this month (2026-11) or quarter (2026-Q4).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")
def incident_list(config: Path | None, open_only: bool, period: str | None, as_json: bool) -> None:
    """List incidents: number, when, group and unit, stage, major risk, summary."""
    from bot.names import load_names
    from bot.supervision.incidents_view import incident_json, incident_line
    from bot.supervision.report import parse_period
    from bot.workflows.incident import records

    async def work(desk, store, settings):  # type: ignore[no-untyped-def]
        since = until = None
        if period:
            try:
                chosen = parse_period(period, None, None, settings.zone, datetime.now(UTC).date())
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--period") from None
            since, until = chosen.start, chosen.end

        async def read(r):  # type: ignore[no-untyped-def]
            rows = await records.listing(r, open_only=open_only, since=since, until=until)
            return rows, await load_names(r, settings)

        rows, names = await store.read(read)
        for row in rows:
            click.echo(
                incident_json(row, names, settings)
                if as_json
                else incident_line(row, names, settings, desk)
            )
        if not as_json:
            click.echo(f"{len(rows)} incident(s)")

    _run_with_desk(config, work)


@incident.command("show")
@config_option
@click.argument("incident_id", type=int)
def incident_show(config: Path | None, incident_id: int) -> None:
    """One incident with its signals, proposal and every step (who, when, note, who was told)."""
    from bot.supervision.incidents_view import load_full, render_text

    async def work(desk, store, settings):  # type: ignore[no-untyped-def]
        full = await store.read(lambda r: load_full(r, settings, incident_id))
        if full is None:
            raise click.ClickException(f"no incident #{incident_id}")
        from bot.i18n import Catalogue

        click.echo(render_text(full, settings, desk, Catalogue(settings.language).t))

    _run_with_desk(config, work)


@incident.command("export")
@config_option
@click.argument("incident_ids", type=int, nargs=-1)
@click.option("--period", help="Every incident opened in this month or quarter.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="json")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
def incident_export(
    config: Path | None,
    incident_ids: tuple[int, ...],
    period: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Export incidents with all their steps, for the file (报告) — personal data masked."""
    from bot.supervision.incidents_view import export, load_full
    from bot.supervision.report import parse_period
    from bot.workflows.incident import records

    async def work(desk, store, settings):  # type: ignore[no-untyped-def]
        ids = list(incident_ids)
        if period or not ids:
            try:
                chosen = parse_period(period, None, None, settings.zone, datetime.now(UTC).date())
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--period") from None
            rows = await store.read(
                lambda r: records.listing(r, since=chosen.start, until=chosen.end)
            )
            ids += [row.id for row in rows if row.id not in ids]
        fulls = []
        for i in ids:
            full = await store.read(lambda r, i=i: load_full(r, settings, i))
            if full is None:
                raise click.ClickException(f"no incident #{i}")
            fulls.append(full)
        from bot.i18n import Catalogue

        return export(fulls, fmt, settings, desk, Catalogue(settings.language).t)

    blob = _run_with_desk(config, work)
    if output is None:
        click.echo(blob.decode("utf-8-sig"), nl=False)
    else:
        output.write_bytes(blob)
        click.echo(str(output))


@incident.command("open")
@config_option
@click.option("--group", "chat_id", required=True, help="Chat id of the group concerned.")
@click.option("--platform", help="Needed when the chat id is not a configured group.")
@click.option("--summary", required=True, help="What is happening (personal data is masked).")
@click.option("--by", "by", required=True, help="Who records it (name or id).")
def incident_open(
    config: Path | None, chat_id: str, platform: str | None, summary: str, by: str
) -> None:
    """Record an incident seen outside the bot's view; the running bot tells the tiers."""

    async def work(desk, store, settings):  # type: ignore[no-untyped-def]
        chosen = platform or next(
            (g.platform for g in settings.groups if g.chat_id == chat_id), None
        )
        if chosen is None:
            raise click.BadParameter(
                "not a configured group: give --platform", param_hint="--group"
            )
        result = await desk.open(
            platform=chosen, chat_id=chat_id, source="cli", by=f"cli:{by}", summary=summary
        )
        click.echo(result.text)

    _run_with_desk(config, work)


@incident.command("advance")
@config_option
@click.argument("incident_id", type=int)
@click.argument(
    "step", type=click.Choice(["analyse", "confirm", "handle", "report", "proposal", "major"])
)
@click.option(
    "--note", default="", help="The note of this step (the proposal text for 'proposal')."
)
@click.option("--by", "by", required=True, help="Who takes this step.")
def incident_advance(config: Path | None, incident_id: int, step: str, note: str, by: str) -> None:
    """Take the next step: analyse → confirm → handle → report; or record the proposed
    handling ('proposal', to 分管主任), or mark a major risk ('major', to the cyberspace office)."""

    async def work(desk, store, settings):  # type: ignore[no-untyped-def]
        actor = f"cli:{by}"
        if step == "proposal":
            if not note:
                raise click.BadParameter("the proposal is the --note", param_hint="--note")
            result = await desk.propose(incident_id, actor, note)
        elif step == "major":
            result = await desk.mark_major(incident_id, actor, note)
        else:
            result = await desk.advance(incident_id, step, actor, note)
        click.echo(result.text)
        if not result.ok:
            sys.exit(1)

    _run_with_desk(config, work)
