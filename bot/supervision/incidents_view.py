"""Incidents as people read them: a line for ``incident list``, the whole record for
``incident show``, and the export (JSON, CSV, HTML) that goes into the file. Exports mask
personal data: members' names keep their first character and their unit (李*-财务科)."""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.names import Names, load_names
from bot.workflows.incident import records
from bot.workflows.incident.desk import IncidentDesk
from rules.masking import mask_pii
from storage.repository import Repository


@dataclass(frozen=True, slots=True)
class FullIncident:
    incident: records.IncidentRow
    steps: list[records.StepRow]
    names: Names


async def load_full(repo: Repository, settings: Settings, incident_id: int) -> FullIncident | None:
    incident = await records.get(repo, incident_id)
    if incident is None:
        return None
    steps = await records.steps(repo, incident_id)
    names = await load_names(repo, settings, [(incident.platform, incident.chat_id)])
    return FullIncident(incident, steps, names)


def mask_name(nickname: str | None) -> str:
    """李明-财务科 → 李*-财务科: enough for a reader who knows the unit, not a full name."""
    if not nickname:
        return "-"
    name, dash, unit = nickname.partition("-")
    return (name[:1] + "*" * max(len(name) - 1, 1)) + dash + unit


def _local(moment: datetime | None, settings: Settings) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(settings.zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def _actor(names: Names, incident: records.IncidentRow, actor: str, masked: bool) -> str:
    if actor == "bot":
        return "GroupGuard"
    person = records.person_actor(actor)
    if person is not None:
        return person if not masked else mask_name(person)
    nickname = names.nickname(incident.platform, incident.chat_id, actor)
    if masked:
        return mask_name(nickname or actor)
    return names.member(incident.platform, incident.chat_id, actor)


def incident_line(
    row: records.IncidentRow, names: Names, settings: Settings, desk: IncidentDesk
) -> str:
    stage = desk.stage("closed" if row.closed_at else row.stage)
    major = " ⚠" + desk.text("supervision.col_major") if row.major else ""
    return (
        f"#{row.id} {_local(row.opened_at, settings)} {names.group(row.platform, row.chat_id)} "
        f"({names.unit(row.platform, row.chat_id)}) [{stage}]{major} {row.summary[:60]}"
    )


def incident_json(row: records.IncidentRow, names: Names, settings: Settings) -> str:
    return json.dumps(_incident_dict(row, names, settings, masked=False), ensure_ascii=False)


def _incident_dict(
    row: records.IncidentRow, names: Names, settings: Settings, *, masked: bool
) -> dict[str, Any]:
    nickname = names.nickname(row.platform, row.chat_id, row.user_id)
    return {
        "id": row.id,
        "group": names.group(row.platform, row.chat_id),
        "unit": names.unit(row.platform, row.chat_id),
        "member": mask_name(nickname)
        if masked
        else names.member(row.platform, row.chat_id, row.user_id),
        "source": row.source,
        "opened_at": _local(row.opened_at, settings),
        "opened_by": _actor(names, row, row.opened_by, masked),
        "stage": row.stage,
        "closed_at": _local(row.closed_at, settings) if row.closed_at else None,
        "major": row.major,
        "summary": row.summary,
        "signals": row.signals,
        "proposal": row.proposal,
    }


def _steps(full: FullIncident, settings: Settings, *, masked: bool) -> list[dict[str, Any]]:
    return [
        {
            "stage": s.stage,
            "at": _local(s.at, settings),
            "by": _actor(full.names, full.incident, s.actor, masked),
            "note": mask_pii(s.note) if masked else s.note,
            "told": s.told,
        }
        for s in full.steps
    ]


def render_text(full: FullIncident, settings: Settings, desk: IncidentDesk, t: Any) -> str:
    row, names = full.incident, full.names
    info = _incident_dict(row, names, settings, masked=False)

    def label(key: str) -> str:
        return t(f"supervision.{key}")

    source = t(f"incident.source_{row.source}")
    lines = [
        incident_line(row, names, settings, desk),
        f"  {label('col_member')}：{info['member']}　{label('col_opened_by')}："
        f"{info['opened_by']}（{source}）",
        f"  {label('col_signals')}：{desk.explain(row.signals) or '-'}",
        f"  {label('col_proposal')}：{row.proposal or '-'}",
    ]
    for step in _steps(full, settings, masked=False):
        told = f"  → {', '.join(step['told'])}" if step["told"] else ""
        stage = desk.stage(step["stage"])
        lines.append(f"  · {stage}  {step['at']}  {step['by']}: {step['note'] or '-'}{told}")
    return "\n".join(lines)


def export(
    fulls: list[FullIncident], fmt: str, settings: Settings, desk: IncidentDesk, t: Any
) -> bytes:
    items = [
        {
            **_incident_dict(f.incident, f.names, settings, masked=True),
            "steps": _steps(f, settings, masked=True),
        }
        for f in fulls
    ]
    if fmt == "json":
        return (json.dumps(items, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["incident", "group", "unit", "major", "stage", "at", "by", "note", "told"])
        for item in items:
            for step in item["steps"]:
                w.writerow(
                    [
                        item["id"],
                        item["group"],
                        item["unit"],
                        item["major"],
                        desk.stage(step["stage"]),
                        step["at"],
                        step["by"],
                        step["note"],
                        " ".join(step["told"]),
                    ]
                )
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def label(key: str) -> str:
        return html.escape(t(f"supervision.{key}"))

    parts = []
    for item in items:
        steps = "".join(
            f"<tr><td>{html.escape(desk.stage(s['stage']))}</td><td>{html.escape(s['at'])}</td>"
            f"<td>{html.escape(s['by'])}</td><td>{html.escape(s['note'])}</td></tr>"
            for s in item["steps"]
        )
        major = f" ⚠ {label('col_major')}" if item["major"] else ""
        parts.append(
            f"<h2>#{item['id']} {html.escape(item['group'])}（{html.escape(item['unit'])}）"
            f"{major}</h2><p>{html.escape(item['summary'])}</p>"
            f"<p>{label('col_proposal')}：{html.escape(item['proposal'] or '-')}</p>"
            f"<table><tr><th>{label('col_stage')}</th><th>{label('col_at')}</th>"
            f"<th>{label('col_by')}</th><th>{label('col_note')}</th></tr>{steps}</table>"
        )
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{label('sheet_incidents')}</title>"
        "<style>table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .5em}"
        f"</style></head><body>{''.join(parts)}</body></html>"
    )
    return page.encode("utf-8")
