"""The supervision pages of the web console: reports (the supervision report's own HTML with
its inline SVG charts, and its downloads) and incidents. Scope follows ``bot.web.access``:
a supervisor of one unit reads only that unit's report and incidents."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.names import load_names
from bot.supervision.render import render as render_report
from bot.supervision.report import Period, gather, parse_period
from bot.web.app import GROUPS, SESSION, _deps, _t, _viewer, refuse, render
from bot.workflows.incident import records
from rules.masking import mask_pii
from storage import journal

FORMATS = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _scope(request: web.Request) -> tuple[Period | None, str | None, str]:
    """(period, unit, error) from the query; the unit defaults to the viewer's own scope."""
    deps = _deps(request)
    viewer = _viewer(request)
    settings = deps.app.settings
    today = deps.app.clock.now().astimezone(settings.zone).date()
    unit = request.query.get("unit") or None
    if unit is None and not viewer.everything:
        unit = viewer.unit if viewer.may_see_unit(viewer.unit) else min(viewer.units, default=None)
    try:
        period = parse_period(request.query.get("period") or None, None, None, settings.zone, today)
    except ValueError as exc:
        return None, unit, str(exc)
    return period, unit, ""


async def reports_page(request: web.Request) -> web.Response:
    viewer = _viewer(request)
    period, unit, error = _scope(request)
    if not (viewer.may_see_unit(unit) if unit else viewer.everything):
        return await refuse(request, "report", detail=f"unit {unit} outside scope")
    units = sorted(
        {g.unit for g in request[GROUPS] if g.unit and viewer.may_see_unit(g.unit)}
        | set(viewer.units)
    )
    return render(
        request,
        "reports.html",
        period=period,
        unit=unit or "",
        units=units,
        error=error,
        query=f"period={period.label if period else ''}&unit={unit or ''}",
    )


async def report_file(request: web.Request) -> web.StreamResponse:
    deps = _deps(request)
    viewer = _viewer(request)
    fmt = request.match_info["fmt"]
    period, unit, error = _scope(request)
    if period is None:
        raise web.HTTPBadRequest(text=error)
    if not (viewer.may_see_unit(unit) if unit else viewer.everything):
        return await refuse(request, "report", detail=f"unit {unit} outside scope")
    settings = deps.app.settings
    catalogue = deps.catalogues.get(
        request[SESSION].lang or settings.language, deps.catalogues[settings.language]
    )
    unknown = catalogue.t("supervision.unit_unregistered")
    now = deps.app.clock.now()
    store = deps.app.store

    async def build() -> bytes:
        data = await store.read(
            lambda r: gather(r, settings, period, unit=unit, now=now, unknown_unit=unknown)
        )
        return render_report(data, fmt, catalogue, settings.zone)

    # Rebuilt only when something was recorded since (the journal head moved).
    kept = await deps.reports.get(
        (fmt, period.label, unit, catalogue.language),
        lambda: store.read(lambda r: journal.head(r.c)),
        build,
        now,
    )
    blob = kept.value
    name = f"report-{period.label.replace('..', '_')}{'-' + unit if unit else ''}.{fmt}"
    headers = {}
    if request.query.get("download"):
        # RFC 5987: the unit's name is Chinese.
        from urllib.parse import quote

        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return web.Response(body=blob, headers=headers, content_type=FORMATS[fmt].split(";")[0])


async def incidents_page(request: web.Request) -> web.Response:
    deps = _deps(request)
    viewer = _viewer(request)
    open_only = request.query.get("open") == "1"
    visible = {(g.platform, g.chat_id) for g in request[GROUPS] if viewer.may_see(g)}

    async def read(r: Any) -> tuple[list[records.IncidentRow], Any]:
        rows = await records.listing(r, open_only=open_only)
        return rows, await load_names(r, deps.app.settings)

    rows, names = await deps.app.store.read(read)
    t = _t(request)
    shown = [
        {
            "id": row.id,
            "opened_at": row.opened_at,
            "group": names.group(row.platform, row.chat_id),
            "unit": names.unit(row.platform, row.chat_id),
            "stage": t(f"incident.stage_{'closed' if row.closed_at else row.stage}"),
            "major": row.major,
            "summary": mask_pii(row.summary[:120]),
        }
        for row in reversed(rows)
        if viewer.everything or (row.platform, row.chat_id) in visible
    ]
    return render(request, "incidents.html", rows=shown, open_only=open_only)


def add_pages(app: web.Application) -> None:
    """Called by ``bot.web.server.build_app``."""
    app.router.add_get("/reports", reports_page)
    app.router.add_get("/reports/file.{fmt:html|xlsx|csv}", report_file)
    app.router.add_get("/incidents", incidents_page)
