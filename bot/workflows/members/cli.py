"""``groupguard roster import FILE`` and ``groupguard roster list``: the roster (名册) from the
command line. Nothing here talks to a platform: reminders to people marked 调离/离职 are left
as a timer due at once, which the running bot sends."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.workflows.governance.cli import _run, config_option

if TYPE_CHECKING:
    from bot.app import Application


@click.group("roster")
def roster_group() -> None:
    """The roster (名册) of known people: import a CSV/xlsx, list it (personal data masked)."""


@roster_group.command("import")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--strict", is_flag=True, help="Import nothing when any row is rejected.")
def roster_import(config: Path | None, file: Path, dry_run: bool, strict: bool) -> None:
    """Import FILE (.csv or .xlsx; columns 姓名 单位 部门 [职务 手机 telegram wechat qq 状态]).
    Prints what was added, changed and rejected, with row numbers."""
    from bot.workflows.members.roster_file import RosterFileError, read_roster
    from bot.workflows.members.roster_import import import_roster

    async def work(app: Application) -> tuple[list[str], int]:
        t = app.catalogue.t
        try:
            parsed = read_roster(file)
        except RosterFileError as exc:
            reason = t(exc.key, **exc.params)
            await app.members.journal(
                "roster_rejected", "roster", "import", "cli", outcome="rejected", detail=reason
            )
            return [t("members.import_aborted", reason=reason)], 1
        if strict and parsed.rejected:
            lines = [
                t("members.import_rejected", row=r.row, reason=t(r.key, **r.params))
                for r in parsed.rejected
            ]
            return [t("members.import_aborted", reason="--strict"), *lines], 1
        result = await import_roster(app.store, parsed, app.clock.now(), dry_run=dry_run)
        head = t(
            "members.import_head",
            file=file.name,
            added=len(result.added),
            changed=len(result.changed),
            unchanged=result.unchanged,
            rejected=len(result.rejected),
        )
        lines = [head + (" " + t("members.import_dry_run") if dry_run else "")]
        for item in result.added:
            lines.append(t("members.import_added", row=item.row, **_who(item.person)))
        for item in result.changed:
            fields = "、".join(t(f"members.field_{f}") for f in item.changed)
            lines.append(
                t("members.import_changed", row=item.row, fields=fields, **_who(item.person))
            )
        for rejected in result.rejected:
            reason = t(rejected.key, **rejected.params)
            lines.append(t("members.import_rejected", row=rejected.row, reason=reason))
        if result.left_post and not dry_run:
            lines.append(t("members.import_left_post", count=len(result.left_post)))
        if not dry_run:
            await app.members.journal(
                "roster_imported",
                "roster",
                "import",
                "cli",
                params={
                    "file": file.name,
                    "added": len(result.added),
                    "changed": len(result.changed),
                    "rejected": [r.row for r in result.rejected],
                },
            )
        return lines, 0

    lines, code = _run(config, work)
    for line in lines:
        click.echo(line, err=code != 0)
    if code:
        sys.exit(code)


def _who(person: object) -> dict[str, str]:
    name, unit, department = (getattr(person, k) for k in ("name", "unit", "department"))
    return {"name": name, "unit": "/".join(p for p in (unit, department) if p)}


@roster_group.command("list")
@config_option
@click.option("--status", type=click.Choice(["active", "transferred", "departed"]))
def roster_list(config: Path | None, status: str | None) -> None:
    """The roster, one person a line; mobile numbers masked as stored."""
    from storage.roster import RosterRepository

    async def work(app: Application) -> list[str]:
        t = app.catalogue.t
        entries = await app.store.read(lambda r: RosterRepository(r.c).entries())
        return [
            t(
                "members.list_line",
                name=e.name,
                unit=e.unit,
                department=e.department or "—",
                title=e.title or "—",
                phone=e.phone_masked or "—",
                status=t(f"members.word_{e.status}"),
                accounts=" ".join(f"{p}:{u}" for p, u in e.accounts) or "—",
            )
            for e in entries
            if status is None or e.status == status
        ]

    for line in _run(config, work):
        click.echo(line)
