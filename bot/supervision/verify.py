"""``groupguard audit verify``: the journal check as a supervisor reads it."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.config import Settings
from bot.i18n import Catalogue
from bot.supervision.access import RecordUnavailable, open_existing
from storage import journal
from storage.models import ReportRun

_ANCHOR = re.compile(r"([1-9][0-9]{0,17}):([0-9a-f]{64})")


def parse_anchor(text: str) -> journal.Head:
    match = _ANCHOR.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not SEQ:HASH (e.g. 1234:9f86d0…, 64 hex digits)")
    return journal.Head(int(match[1]), match[2])


async def reported_heads(repo: object) -> list[journal.Head]:
    """Heads printed in the reports sent so far: each must still be on the chain."""
    rows = await repo.c.execute(  # type: ignore[attr-defined]
        select(ReportRun.head_seq, ReportRun.head_hash).where(ReportRun.head_seq > 0).distinct()
    )
    return [journal.Head(int(s), h) for s, h in rows.all()]


async def run_verify(
    settings: Settings, anchors: list[journal.Head], *, as_json: bool = False
) -> tuple[bool, str]:
    """(intact, text to print). An unavailable record is a failure, not "0 entries"."""
    t = Catalogue(settings.language).t
    try:
        store = await open_existing(settings, need_journal=True)
    except RecordUnavailable as exc:
        return False, t("supervision.verify_unavailable", reason=str(exc))
    try:

        async def check(repo):  # type: ignore[no-untyped-def]
            heads = [*anchors, *await reported_heads(repo)]
            found = await journal.verify(repo.c, anchors=heads)
            head = await journal.head(repo.c)
            entry = None
            if found is not None:
                listed = await journal.entries(repo.c, since_seq=found.seq - 1, limit=1)
                entry = listed[0] if listed and listed[0].seq == found.seq else None
            return found, head, entry, len(heads)

        found, head, entry, anchored = await store.read(check)
    finally:
        await store.close()
    if as_json:
        body: dict[str, object] = {"intact": found is None, "head": str(head)}
        if found is not None:
            body.update(seq=found.seq, reason=found.reason, detail=found.detail, row=found.row)
        return found is None, json.dumps(body, ensure_ascii=False)
    if found is None:
        return True, t("supervision.verify_ok", entries=head.seq, head=str(head), anchors=anchored)
    span = ""
    if found.span is not None:
        span = t("supervision.verify_span", first=found.span[0], last=found.span[1])
    lines = [
        t(
            "supervision.verify_broken",
            seq=found.seq,
            reason=t(f"supervision.break_{found.reason}"),
            span=span,
        )
    ]
    if found.row:
        lines.append(t("supervision.verify_row", row=found.row))
    if entry is not None:
        local = entry.at.astimezone(settings.zone)
        lines.append(
            t(
                "supervision.verify_entry",
                seq=entry.seq,
                kind=entry.kind,
                at=f"{local:%Y-%m-%d %H:%M:%S %Z}",
            )
        )
    return False, "\n".join(lines)
