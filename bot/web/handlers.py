"""The console's own pages: the approvals inbox, groups, the record and the message checker.
Each reads what the viewer's roles allow (``bot.web.access``) and refuses the rest, journaled."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func, select

from bot.web.app import GROUPS, _deps, _t, _viewer, refuse, render
from bot.web.member_view import member_view
from rules.detection.report import hits_to_json
from rules.masking import mask_pii
from storage import journal
from storage.directory import RegistryRow
from storage.filings import FilingRepository, FilingRow
from storage.models import Member
from storage.record_page import RecordFilter, RecordQueries

PAGE = 100  # rows on a record page


# ---------------------------------------------------------------------------- approvals
async def _waiting_for(request: web.Request) -> list[FilingRow]:
    deps = _deps(request)
    viewer = _viewer(request)
    pending = await deps.app.store.read(lambda r: FilingRepository(r.c).all("pending"))
    mine = []
    for filing in pending:
        holder = await deps.app.directory.holder(filing.steps[filing.step], filing.unit)
        if holder is not None and holder.person.name == viewer.name:
            mine.append(filing)
    return mine


async def _card(request: web.Request, filing: FilingRow, message: str = "") -> dict[str, Any]:
    gov = _deps(request).app.governance
    return {
        "filing": filing,
        "form": gov.filing_text(filing),
        "progress": await gov.progress_text(filing),
        "waiting": gov.role_name(filing.steps[filing.step]) if filing.status == "pending" else "",
        "message": message,
    }


async def inbox(request: web.Request) -> web.Response:
    cards = [await _card(request, f) for f in await _waiting_for(request)]
    return render(request, "inbox.html", cards=cards)


async def decide(request: web.Request) -> web.Response:
    deps = _deps(request)
    viewer = _viewer(request)
    t = _t(request)
    filing_id = int(request.match_info["filing_id"])
    form = await request.post()
    verb = str(form.get("decision", ""))
    reason = str(form.get("reason", "")).strip()
    filing = await deps.app.store.read(lambda r: FilingRepository(r.c).get(filing_id))
    group = None
    if filing is not None:
        group = await deps.app.directory.group(filing.platform, filing.chat_id)
    if verb not in ("approve", "reject") or filing is None:
        return await refuse(request, "decide", group=group, detail="no such filing or decision")
    if verb == "reject" and not reason:  # the submitter is owed a reason, as in chat
        card = await _card(request, filing, t("web.reason_needed"))
        return render(request, "filing_card.html", status=422, card=card)
    answer = await deps.app.governance.decide(
        filing_id, "web", viewer.name, verb, reason, as_person=viewer.name
    )
    if answer.refused:
        return await refuse(request, f"{verb}", group=group, detail=answer.detail)
    moved = await deps.app.store.read(lambda r: FilingRepository(r.c).get(filing_id))
    assert moved is not None
    return render(request, "filing_card.html", card=await _card(request, moved, answer.text))


# ---------------------------------------------------------------------------- groups
async def _latest_filings(request: web.Request) -> dict[tuple[str, str], FilingRow]:
    rows = await _deps(request).app.store.read(lambda r: FilingRepository(r.c).all())
    return {(f.platform, f.chat_id): f for f in rows}  # ordered by id: the latest wins


async def _member_counts(request: web.Request) -> dict[tuple[str, str], int]:
    async def work(r: Any) -> dict[tuple[str, str], int]:
        stmt = (
            select(Member.platform, Member.chat_id, func.count())
            .where(Member.status == "active")
            .group_by(Member.platform, Member.chat_id)
        )
        return {(p, c): n for p, c, n in (await r.c.execute(stmt)).all()}

    counts: dict[tuple[str, str], int] = await _deps(request).app.store.read(work)
    return counts


async def groups_page(request: web.Request) -> web.Response:
    viewer = _viewer(request)
    all_groups: list[RegistryRow] = request[GROUPS]
    visible = [g for g in all_groups if viewer.may_see(g)]
    q = request.query
    status, unit, klass = q.get("status", ""), q.get("unit", ""), q.get("class", "")
    text = q.get("q", "").strip()
    rows = [
        g
        for g in visible
        if (not status or g.status == status)
        and (not unit or g.unit == unit)
        and (not klass or g.group_class == klass)
        and (not text or text in (g.name or "") or text in g.chat_id)
    ]
    filings = await _latest_filings(request)
    counts = await _member_counts(request)
    return render(
        request,
        "groups.html",
        rows=rows,
        filings=filings,
        counts=counts,
        units=sorted({g.unit for g in visible if g.unit}),
        statuses=("unfiled", "pending", "filed", "approved", "cancelled", "dissolved"),
        filters={"status": status, "unit": unit, "class": klass, "q": text},
    )


async def _visible_group(request: web.Request, what: str) -> RegistryRow | web.Response:
    platform, chat_id = request.match_info["platform"], request.match_info["chat_id"]
    group = await _deps(request).app.directory.group(platform, chat_id)
    if group is None:
        raise web.HTTPNotFound()
    if not _viewer(request).may_see(group):
        return await refuse(request, what, group=group, detail="group outside the viewer's scope")
    return group


async def group_page(request: web.Request) -> web.Response:
    found = await _visible_group(request, "group")
    if isinstance(found, web.Response):
        return found
    group = found
    deps = _deps(request)
    gov = deps.app.governance
    filing = (await _latest_filings(request)).get((group.platform, group.chat_id))
    recent = RecordFilter(chats=((group.platform, group.chat_id),))
    actions = await deps.app.store.read(lambda r: RecordQueries(r.c).page(recent, limit=30))
    members = deps.app.members
    report = await members.audits.audit(group.platform, group.chat_id, group.name)
    days = members.policy(group.platform, group.chat_id, group).inactive_after.days
    return render(
        request,
        "group.html",
        group=group,
        registry=gov.registry_text(group),
        progress=await gov.progress_text(filing) if filing else "",
        actions=[_masked(a) for a in actions],
        group_names={(group.platform, group.chat_id): group.name or group.chat_id},
        audit=member_view(report, _t(request), days),
    )


# ---------------------------------------------------------------------------- record
def _masked(row: dict[str, Any]) -> dict[str, Any]:
    """An action row as a supervisor may read it: evidence and free text masked, no ids."""
    evidence = "; ".join(mask_pii(str(e.get("match", ""))) for e in row.get("evidence") or [])
    return {
        "id": row["id"],
        "at": row["at"],
        "platform": row["platform"],
        "chat_id": row["chat_id"],
        "kind": row["kind"],
        "category": row["category"],
        "article": row["article"],
        "outcome": row.get("outcome"),
        "detail": mask_pii(row.get("detail") or ""),
        "evidence": evidence,
        "actor": "bot" if row.get("actor") == "bot" else mask_pii(str(row.get("actor") or "")),
    }


def _day(text: str, zone: Any) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), time(), zone)
    except ValueError:
        return None


def _before(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


async def record_page(request: web.Request) -> web.Response:
    """A page of the record, newest first; every filter and the paging are SQL
    (``storage.record_page``), so the page costs the same however long the record grows."""
    deps = _deps(request)
    viewer = _viewer(request)
    zone = deps.app.settings.zone
    q = request.query
    group_key, unit = q.get("group", ""), q.get("unit", "")
    member, category = q.get("member", "").strip(), q.get("category", "")
    since, until = _day(q.get("since", ""), zone), _day(q.get("until", ""), zone)
    if until is not None:
        until += timedelta(days=1)  # the "until" day is included, as in a report period
    groups = {(g.platform, g.chat_id): g for g in request[GROUPS] if viewer.may_see(g)}
    chats: tuple[tuple[str, str], ...] | None = tuple(groups)
    if group_key:
        platform, _, chat_id = group_key.partition(":")
        if (platform, chat_id) not in groups:
            known = await deps.app.directory.group(platform, chat_id)
            return await refuse(request, "record", group=known, detail="group outside scope")
        chats = ((platform, chat_id),)
    if unit and not viewer.may_see_unit(unit):
        return await refuse(request, "record", detail=f"unit {unit} outside scope")
    if unit:
        chats = tuple(k for k in chats or groups if groups[k].unit == unit)
    elif viewer.everything and not group_key:
        chats = None  # every chat, groups nobody registered too
    before = _before(q.get("before", ""))

    async def work(r: Any) -> tuple[list[dict[str, Any]], int]:
        record = RecordQueries(r.c)
        accounts = await record.members(chats, member) if member else None
        flt = RecordFilter(chats, accounts, category or None, since, until)
        return await record.page(flt, before=before, limit=PAGE + 1), await record.count(flt)

    rows, total = await deps.app.store.read(work)
    filters = {
        "group": group_key,
        "unit": unit,
        "member": member,
        "category": category,
        "since": q.get("since", ""),
        "until": q.get("until", ""),
    }
    shown = rows[:PAGE]
    older = ""
    if len(rows) > PAGE:
        older = "/record?" + urlencode({**filters, "before": shown[-1]["id"]})
    t = _t(request)
    keys = deps.catalogues[deps.app.settings.language].keys()  # a set (not a mapping)
    categories = sorted(k.removeprefix("category.") for k in keys if k.startswith("category."))
    return render(
        request,
        "record.html",
        rows=[_masked(row) for row in shown],
        total=total,
        older=older,
        newest="/record?" + urlencode(filters) if before is not None else "",
        groups=sorted(groups.values(), key=lambda g: (g.unit or "", g.name or g.chat_id)),
        units=sorted({g.unit for g in groups.values() if g.unit}),
        categories=[(c, t(f"category.{c}")) for c in categories],
        filters=filters,
        group_names={k: g.name or g.chat_id for k, g in groups.items()},
    )


async def record_verify(request: web.Request) -> web.Response:
    """The hash chain's state, loaded by HTMX after the page; a full walk of the journal only
    when the head moved or the last check is old (``bot.web.head_cache``)."""
    deps = _deps(request)
    store = deps.app.store
    checked = await deps.verified.get(
        "chain",
        lambda: store.read(lambda r: journal.head(r.c)),
        lambda: store.read(lambda r: journal.verify(r.c)),
        deps.app.clock.now(),
    )
    return render(request, "verify.html", found=checked.value, head=checked.head, at=checked.at)


# ---------------------------------------------------------------------------- checker
async def check_page(request: web.Request) -> web.Response:
    """``groupguard check`` in a page: the hits and why, personal data masked. The bot's own
    detector answers, so a lexicon reload (SIGHUP) shows here at once."""
    text = ""
    result: dict[str, Any] = {"hits": []}
    if request.method == "POST":
        form = await request.post()
        text = str(form.get("text", ""))[:5000]
        if text.strip():
            result = hits_to_json(text, _deps(request).app.detector.detect(text), raw=False)
    fragment = request.method == "POST" and bool(request.headers.get("HX-Request"))
    return render(
        request,
        "check_result.html" if fragment else "check.html",
        text=text,
        hits=result["hits"],
        checked=request.method == "POST",
    )
