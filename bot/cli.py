"""The ``groupguard`` command line: run, replay, check, audit (and audit verify), db upgrade,
config validate, filing and registry (governance), report and incident (supervision)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

from bot.cli_config import DEFAULT_CONFIG, config_option
from bot.cli_config import config_problems as _config_problems
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
    if settings.observability.json_logs:
        from bot.log_format import use_json_logs

        use_json_logs(settings.zone)
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
    from bot.i18n import Catalogue
    from bot.observability import ObservabilityStartError
    from bot.ports import PlatformStartError
    from bot.service import serve

    try:
        asyncio.run(serve(settings, adapters))
    except PlatformStartError as exc:
        # One line (the traceback is in the log with -v), and a failing exit status.
        t = Catalogue(settings.language).t
        raise click.ClickException(
            t("startup.failed", platform=exc.platform, reason=exc.reason)
        ) from None
    except PlatformConfigError as exc:  # e.g. a start-up refusal: the token was wrong
        raise click.ClickException(str(exc)) from None
    except ObservabilityStartError as exc:  # the metrics port is taken
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
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes for a long --stdin input; 0: one per core.",
)
@click.argument("texts", nargs=-1)
def check(
    config: Path | None,
    from_stdin: bool,
    as_json: bool,
    raw: bool,
    jobs: int,
    texts: tuple[str, ...],
) -> None:
    """Show which content rules a message hits, and why. Exits 1 when one does (like grep)."""
    from bot.batch_check import check_lines, default_jobs
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
    detect = detector.detect
    line_of = json_line if as_json else format_hits

    def render(batch: list[str]) -> tuple[str, bool]:
        rendered: list[str] = []
        hit_any = False
        for text in batch:
            hits = detect(text)
            hit_any = hit_any or bool(hits)
            rendered.append(line_of(text, hits, raw=raw))
        rendered.append("")
        return "\n".join(rendered), hit_any

    lines = list(texts) if texts else (line.rstrip("\n") for line in sys.stdin)
    hit_any = check_lines(lines, render, sys.stdout, jobs=jobs or default_jobs())
    # Like grep: 1 when any message hits a rule, so scripts can test the result.
    sys.exit(1 if hit_any else 0)


def _parse_date(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date: {value} (use YYYY-MM-DD)") from None
    # A date without a zone is a day in the configured zone, as everywhere else.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _known_category(category: str | None) -> str | None:
    """A category the journal can hold (every one has a name in the catalogue), or a usage
    error listing them: a typo must not read as "0 action(s)"."""
    from bot.i18n import Catalogue

    if category is None:
        return None
    keys = Catalogue().keys()  # a set of catalogue keys (the Catalogue is not a mapping)
    known = sorted(k.removeprefix("category.") for k in keys if k.startswith("category."))
    if category not in known:
        raise click.BadParameter(
            f"unknown category {category!r}; known: {', '.join(known)}", param_hint="--category"
        )
    return category


@main.group(invoke_without_command=True)
@config_option
@click.option("--group", "chat_id", help="Chat id.")
@click.option("--platform", help="telegram, wechat or console.")
@click.option("--member", "member", help="Member: nickname or user id.")
@click.option("--category", help="e.g. illegal, harmful, nickname, command.")
@click.option("--since", help="From this date (YYYY-MM-DD, in the configured time zone).")
@click.option("--until", help="Before this date (YYYY-MM-DD, in the configured time zone).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")
@click.option("--limit", default=1000, show_default=True)
@click.pass_context
def audit(
    ctx: click.Context,
    config: Path | None,
    chat_id: str | None,
    platform: str | None,
    member: str | None,
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
    from bot.supervision.access import RecordUnavailable, open_existing

    settings = _settings(config)
    category = _known_category(category)
    zone = settings.zone

    async def query() -> tuple[list[dict], dict[tuple[str, str, str], str], dict]:
        from storage.directory import DirectoryRepository

        try:
            store = await open_existing(settings)
        except RecordUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        try:
            # The registered name and unit of each group (G1), shown beside its id.
            groups = await store.read(lambda r: DirectoryRepository(r.c).groups())
            group_names = {
                (g.platform, g.chat_id): g.name + (f"（{g.unit}）" if g.unit else "")
                for g in groups
                if g.name
            }
            rows, names = await store.read(
                lambda r: _audit_rows(
                    r,
                    member,
                    platform,
                    chat_id,
                    category,
                    _parse_date(since, zone),
                    _parse_date(until, zone),
                    limit,
                )
            )
            return rows, names, group_names
        finally:
            await store.close()

    rows, names, group_names = asyncio.run(query())
    for row in rows:
        nickname = names.get((row["platform"], row["chat_id"], row["user_id"] or ""))
        if as_json:
            record = {
                k: (v.astimezone(zone).isoformat() if isinstance(v, datetime) else v)
                for k, v in row.items()
            }
            record["nickname"] = nickname
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        evidence = "; ".join(f"{e['match']}[{e['start']}:{e['end']}]" for e in row["evidence"])
        who = f"{nickname}（{row['user_id']}）" if nickname else (row["user_id"] or "-")
        actor = names.get((row["platform"], row["chat_id"], row["actor"]), row["actor"])
        local = row["at"].replace(tzinfo=row["at"].tzinfo or UTC).astimezone(zone)
        click.echo(
            f"#{row['id']} {local:%Y-%m-%d %H:%M:%S %Z} {row['platform']}:{row['chat_id']} "
            + (f"[{name}] " if (name := group_names.get((row["platform"], row["chat_id"]))) else "")
            + f"member={who} by={actor} {row['kind']} "
            f"[{row['category']} {row['article']}] → {row['outcome'] or 'NO OUTCOME'}"
            + (f" ({row['detail']})" if row["detail"] else "")
            + (f" evidence: {evidence}" if evidence else "")
            + (f" told: {', '.join(row['notified'])}" if row.get("notified") else "")
        )
    if not as_json:
        click.echo(f"{len(rows)} action(s)")


async def _audit_rows(
    r,  # type: ignore[no-untyped-def]
    member: str | None,
    platform: str | None,
    chat_id: str | None,
    category: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> tuple[list[dict], dict[tuple[str, str, str], str]]:
    """The audit rows, and the nickname of each member they name (admins read names; the
    ids stay beside them). ``member`` may be a nickname or a user id."""
    names: dict[tuple[str, str, str], str] = {}
    for group_platform, group_chat, _title in await r.groups(platform):
        for m in await r.members_of(group_platform, group_chat):
            names[(group_platform, group_chat, m.user_id)] = m.nickname
    user_ids: list[str | None] = [None]
    if member is not None:
        matched = sorted({key[2] for key, nick in names.items() if nick == member})
        user_ids = matched or [member]
    rows: list[dict] = []
    for user_id in user_ids:
        rows += await r.audit(
            platform=platform,
            chat_id=chat_id,
            user_id=user_id,
            category=category,
            since=since,
            until=until,
            limit=limit,
        )
    rows.sort(key=lambda row: row["id"])
    return rows[:limit], names


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
        settings = load_settings(file)
    except ConfigError as exc:
        click.echo(_config_problems(exc, file), err=True)
        sys.exit(1)
    from bot.i18n import Catalogue

    click.echo(Catalogue(settings.language).t("config_check.ok", file=file))


async def _build_offline(settings: Settings) -> Runtime:
    from bot.runtime import build

    return await build(settings, {})  # no platform: the running bot sends what is due


def _workflow_commands() -> None:
    from bot.workflows.governance.cli import commands, with_loader
    from bot.workflows.members.cli import roster_group

    for group in commands(_settings, _build_offline):
        main.add_command(group)
    main.add_command(with_loader(roster_group, _settings, _build_offline))


_workflow_commands()


def _supervision_commands() -> None:
    # The supervision commands live in their own module (bot/supervision/cli.py).
    from bot.supervision.cli import incident, report

    main.add_command(report)
    main.add_command(incident)


_supervision_commands()


def _web_command() -> None:
    from bot.web.cli import command

    main.add_command(command(_settings, _build_offline))


_web_command()

if __name__ == "__main__":
    main()
