"""``groupguard filing …`` and ``groupguard registry …``: submit, decide, list and export
filings from the command line. Nothing here talks to a platform: approval requests are left
as timers due at once, which the running bot sends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import Settings
    from bot.runtime import Runtime

T = TypeVar("T")


class _Loader:
    def __init__(self, load: LoadSettings, build: BuildRuntime) -> None:
        self.load = load
        self.build = build


config_option = click.option(
    "-c",
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML config file (default: ./config.yaml if present).",
)


# How the main command line reads ``-c FILE`` (its default and its error messages); handed in
# by ``bot.cli`` so this module does not import it back.
LoadSettings = Callable[[Path | None], "Settings"]
# Builds the application with no platform connected (``bot.runtime.build(settings, {})``).
BuildRuntime = Callable[["Settings"], Awaitable["Runtime"]]


def _run(config: Path | None, work: Callable[[Application], Awaitable[T]]) -> T:
    loader = click.get_current_context().find_object(_Loader)
    assert loader is not None
    settings = loader.load(config)

    async def go() -> T:
        runtime = await loader.build(settings)
        try:
            await runtime.app.governance.start()
            return await work(runtime.app)
        finally:
            await runtime.close()

    return asyncio.run(go())


@click.group("filing")
def filing_group() -> None:
    """Filings (备案表, R2 Annex 1) and their approval chain."""


@filing_group.command("template")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
def filing_template(output: Path) -> None:
    """Write a blank form: .xlsx (labels in column A) or .yaml."""
    from bot.workflows.governance.export import write_template
    from bot.workflows.governance.form import FIELDS

    if output.suffix.lower() == ".xlsx":
        write_template(output)
    else:
        lines = ["# 网络平台交流群组备案表（附件1）— fill in, then: groupguard filing submit FILE"]
        lines += [f"{label}: " for _, label, _ in FIELDS]
        output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"wrote {output}")


def _forms(file: Path) -> list[dict[str, Any]]:
    from bot.workflows.governance.export import read_forms

    if file.suffix.lower() == ".xlsx":
        return list(read_forms(file))
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        return data
    raise click.ClickException(f"{file}: expected one form (a mapping) or a list of forms")


@filing_group.command("submit")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--by", "by", required=True, help="Real name of the person submitting (填报人).")
def filing_submit(config: Path | None, file: Path, by: str) -> None:
    """Submit the form(s) in FILE (.yaml or .xlsx); 平台类别 and 群组ID place the group."""
    from bot.workflows.governance.form import FormError, labelled, parse_form, platform_of

    forms = _forms(file)

    async def work(app: Application) -> list[str]:
        gov = app.governance
        out = []
        for number, raw in enumerate(forms, start=1):
            try:
                values = labelled(raw)
                form = parse_form(values, gov.today())
                platform = platform_of(form.platform_label)
                if not platform or not form.chat_id:
                    raise FormError("governance.form_missing", fields="平台类别、群组ID")
                submitted = await gov.submit(form, platform, form.chat_id, "cli", by)
            except FormError as exc:
                out.append(f"form {number}: " + app.catalogue.t(exc.key, **exc.params))
                continue
            out.extend(submitted.replies)
        return out

    for line in _run(config, work):
        click.echo(line)


@filing_group.command("list")
@config_option
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]))
def filing_list(config: Path | None, status: str | None) -> None:
    """Filings with where each stands in its chain."""
    from storage.filings import FilingRepository

    async def work(app: Application) -> list[str]:
        rows = await app.store.read(lambda r: FilingRepository(r.c).all(status))
        return [await app.governance.progress_text(f) + f"  [{f.group_name}]" for f in rows]

    lines = _run(config, work)
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} filing(s)")


def _decide(config: Path | None, filing_id: int, by: str, verb: str, comment: str) -> None:
    async def work(app: Application) -> tuple[str, bool]:
        from bot.actions.spec import Target
        from rules.decisions import Decision

        answer = await app.governance.decide(filing_id, "cli", by, verb, comment, as_person=by)
        if answer.refused:  # journaled like a refused press, against the filing's group
            from storage.filings import FilingRepository

            filing = await app.store.read(lambda r: FilingRepository(r.c).get(filing_id))
            where = (filing.platform, filing.chat_id) if filing else ("cli", "-")
            await app.executor.record(
                Target(*where, None, None, "", actor=f"cli:{by}"),
                Decision(
                    rule="workflow",
                    article="R2 Art.9",
                    category="refused",
                    severity="info",
                    actions=(),
                    reason=f"cli:{verb}",
                ),
                f"cli:{verb}",
                {"filing_id": filing_id},
                "refused",
                answer.detail,
            )
        return answer.text, answer.refused

    text, refused = _run(config, work)
    if refused:
        raise click.ClickException(text)
    click.echo(text)


@filing_group.command("approve")
@config_option
@click.argument("filing_id", type=int)
@click.option("--as", "by", required=True, help="Your real name, as in the directory.")
@click.option("--comment", default="", help="Optional remark recorded with the step.")
def filing_approve(config: Path | None, filing_id: int, by: str, comment: str) -> None:
    """Approve the waiting step of FILING_ID (only its approver may)."""
    _decide(config, filing_id, by, "approve", comment)


@filing_group.command("reject")
@config_option
@click.argument("filing_id", type=int)
@click.option("--as", "by", required=True, help="Your real name, as in the directory.")
@click.option("--reason", required=True, help="Why it is returned; the submitter is told.")
def filing_reject(config: Path | None, filing_id: int, by: str, reason: str) -> None:
    """Return FILING_ID to its submitter with a reason."""
    _decide(config, filing_id, by, "reject", reason)


@filing_group.command("export")
@config_option
@click.option("--format", "fmt", type=click.Choice(["xlsx"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
def filing_export(config: Path | None, fmt: str, output: Path) -> None:
    """Write the 备案表: one row per filing, the Annex columns, then the approval steps."""
    from bot.workflows.governance.export import write_export
    from storage.filings import FilingRepository

    async def work(app: Application) -> int:
        async def load(r):  # type: ignore[no-untyped-def]
            f = FilingRepository(r.c)
            return [(row, await f.steps(row.id)) for row in await f.all()]

        rows = await app.store.read(load)
        gov = app.governance
        write_export(output, rows, gov.word, gov.role_name, gov.local)
        return len(rows)

    count = _run(config, work)
    click.echo(f"wrote {count} filing(s) to {output} ({fmt})")


@click.group("registry")
def registry_group() -> None:
    """The group registry (G1): every managed group, its owner and filing status."""


@registry_group.command("list")
@config_option
@click.option(
    "--status",
    type=click.Choice(["unfiled", "pending", "filed", "approved", "cancelled", "dissolved"]),
)
def registry_list(config: Path | None, status: str | None) -> None:
    """Registered groups; ``--status unfiled`` is the list a supervisor works through."""
    from storage.directory import DirectoryRepository

    async def work(app: Application) -> list[str]:
        rows = await app.store.read(lambda r: DirectoryRepository(r.c).groups(status))
        return [
            f"{g.platform}:{g.chat_id}  " + app.governance.registry_text(g).replace("\n", "  ")
            for g in rows
        ]

    lines = _run(config, work)
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} group(s)")


def commands(load: LoadSettings, build: BuildRuntime) -> list[click.Group]:
    """The ``filing`` and ``registry`` groups, reading config the way the main CLI does."""

    def with_loader(group: click.Group) -> click.Group:
        group.context_settings = {**group.context_settings, "obj": _Loader(load, build)}
        return group

    return [with_loader(filing_group), with_loader(registry_group)]
