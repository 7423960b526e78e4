"""One public-opinion incident, stage by stage (R2 Art.18-20): the five stages of the
regulation's process with what happened at each, when, by whom and the notes; a form to add
a note and, for those entitled (``Viewer.may_act``), to take the next step. Every change goes
through the bot's own ``IncidentDesk`` — the code ``/incident`` uses — so it is journaled and
told to the tiers exactly as from the chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.names import Names
from bot.supervision.incidents_view import FullIncident, load_full, mask_name
from bot.web.app import _deps, _t, _viewer, journal_refusal, refuse, render
from bot.workflows.incident.desk import Result
from bot.workflows.incident.records import STAGES, IncidentRow, StepRow, person_actor
from rules.masking import mask_pii
from storage.directory import RegistryRow

VERBS = ("note", "advance", "propose", "major")  # the form's buttons
ACTING = frozenset({"advance", "propose", "major"})  # need Viewer.may_act


@dataclass(frozen=True, slots=True)
class StageView:
    name: str
    state: str  # done, current, next, later
    steps: list[dict[str, Any]]


def _who(names: Names, incident: IncidentRow, actor: str) -> str:
    # Staff acting from the console or command line are on record by name; members only
    # ever appear masked (李*-财务科).
    if actor == "bot":
        return "GroupGuard"
    person = person_actor(actor)
    if person is not None:
        return person
    return mask_name(names.nickname(incident.platform, incident.chat_id, actor) or actor)


def _step(full: FullIncident, step: StepRow) -> dict[str, Any]:
    return {
        "at": step.at,
        "by": _who(full.names, full.incident, step.actor),
        "note": mask_pii(step.note) if step.note else "",
        # The step records the tiers it went to ("tier:1"); who in each is in the notice's
        # own record (the record page, kind incident_notice).
        "tiers": [int(x[5:]) for x in step.told if x.startswith("tier:") and x[5:].isdigit()],
    }


def stages(full: FullIncident) -> list[StageView]:
    """The five stages in order, each with its steps; later notes stay under their stage."""
    incident = full.incident
    reached = STAGES.index(incident.stage) if incident.stage in STAGES else len(STAGES) - 1
    closed = incident.closed_at is not None
    views = []
    for i, name in enumerate(STAGES):
        if i < reached or (closed and i == reached):
            state = "done"
        elif i == reached:
            state = "current"
        elif i == reached + 1:
            state = "next"
        else:
            state = "later"
        steps = [_step(full, s) for s in full.steps if s.stage == name]
        views.append(StageView(name, state, steps))
    return views


async def _load(request: web.Request) -> tuple[FullIncident, RegistryRow | None] | None:
    deps = _deps(request)
    incident_id = int(request.match_info["incident_id"])
    full = await deps.app.store.read(lambda r: load_full(r, deps.app.settings, incident_id))
    if full is None:
        return None
    group = await deps.app.directory.group(full.incident.platform, full.incident.chat_id)
    return full, group


def _may_see(request: web.Request, group: RegistryRow | None) -> bool:
    viewer = _viewer(request)
    # An incident in a group nobody registered is for those who see every group.
    return viewer.everything or (group is not None and viewer.may_see(group))


def _page(
    request: web.Request,
    full: FullIncident,
    group: RegistryRow | None,
    *,
    status: int = 200,
    message: str = "",
    error: str = "",
) -> web.Response:
    incident = full.incident
    desk = _deps(request).app.incidents
    viewer = _viewer(request)
    following = None if incident.closed_at else incident.next_stage
    return render(
        request,
        "incident.html",
        status=status,
        incident=incident,
        group=full.names.group(incident.platform, incident.chat_id),
        unit=full.names.unit(incident.platform, incident.chat_id),
        member=mask_name(full.names.nickname(incident.platform, incident.chat_id, incident.user_id))
        if incident.user_id
        else "—",
        opened_by=_who(full.names, incident, incident.opened_by),
        signals=desk.explain(incident.signals),
        stages=stages(full),
        following=following,
        may_act=group is not None and viewer.may_act(group),
        message=message,
        error=error,
    )


async def incident_page(request: web.Request) -> web.Response:
    found = await _load(request)
    if found is None:
        raise web.HTTPNotFound()
    full, group = found
    if not _may_see(request, group):
        return await refuse(request, "incident", group=group, detail="incident outside scope")
    return _page(request, full, group)


async def incident_post(request: web.Request) -> web.Response:
    found = await _load(request)
    if found is None:
        raise web.HTTPNotFound()
    full, group = found
    viewer = _viewer(request)
    form = await request.post()
    verb = str(form.get("verb", ""))
    note = str(form.get("note", "")).strip()[:1000]
    if not _may_see(request, group) or verb not in VERBS:
        return await refuse(request, "incident", group=group, detail="incident outside scope")
    if verb in ACTING and (group is None or not viewer.may_act(group)):
        return await refuse(request, f"incident:{verb}", group=group, detail="not entitled")
    t = _t(request)
    if verb in ("note", "propose") and not note:
        return _page(request, full, group, status=422, error=t("web.incident_note_needed"))
    # The stage the form offered: if someone moved the incident meanwhile, the desk refuses.
    stage = str(form.get("stage", ""))
    result = await _act(request, full.incident, verb, note, stage)
    if not result.ok:
        # Refused by the workflow (out of order, no proposal yet): journaled as in the chat.
        await journal_refusal(request, f"incident:{verb}", group=group, detail=result.text)
    deps = _deps(request)
    moved = await deps.app.store.read(lambda r: load_full(r, deps.app.settings, full.incident.id))
    assert moved is not None
    return _page(
        request,
        moved,
        group,
        status=200 if result.ok else 409,
        message=result.text if result.ok else "",
        error="" if result.ok else result.text,
    )


async def _act(
    request: web.Request, incident: IncidentRow, verb: str, note: str, stage: str
) -> Result:
    desk = _deps(request).app.incidents
    actor = f"web:{_viewer(request).name}"
    if verb == "advance":
        # The next stage only: the desk refuses anything else, as it does in the chat.
        return await desk.advance(incident.id, stage, actor, note)
    if verb == "propose":
        return await desk.propose(incident.id, actor, note)
    if verb == "major":
        return await desk.mark_major(incident.id, actor, note)
    return await desk.note(incident.id, actor, note)


def add_incident_page(app: web.Application) -> None:
    app.router.add_get("/incidents/{incident_id:\\d{1,18}}", incident_page)
    app.router.add_post("/incidents/{incident_id:\\d{1,18}}", incident_post)
