"""Explaining hits: the JSON shape of ``groupguard check --json`` and a readable text form.

Personal data is masked by default (``138****5678`` in both ``text`` and ``match``); ``raw=True``
shows it as written. Spans always index the original text.
"""

from __future__ import annotations

import json
from typing import Any

from rules.detection.hits import CATEGORIES, Hit
from rules.detection.pii import may_hold_pii
from rules.masking import mask_pii, mask_value


def _match(h: Hit, raw: bool) -> str:
    return h.match if raw or h.source != "pii" else mask_value(h.kind, h.match)


def _text(text: str, raw: bool) -> str:
    return text if raw or not may_hold_pii(text) else mask_pii(text)


def _hit_json(h: Hit, raw: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "category": h.category,
        "kind": h.kind,
        "article": h.article,
        "match": _match(h, raw),
        "start": h.start,
        "end": h.end,
        "reason": h.reason,
    }
    if h.source == "model":
        out.update(source="model", score=h.score, features=list(h.features))
        out["needs_review"] = h.needs_review
        if h.hold:
            out["hold"] = True
    elif h.doubted:
        out.update(needs_review=True, doubted=True, score=h.score)
    return out


def hits_to_json(text: str, hits: list[Hit], *, raw: bool = False) -> dict[str, Any]:
    """``{"text", "categories", "hits": [...]}``; an empty ``categories`` means clean. Model hits
    add ``source``, ``score``, ``features`` and ``needs_review`` (and ``hold`` when held); a hit
    needing review alone leaves ``categories`` empty (nothing is done; admins decide), a held one
    counts (the message is taken down; admins decide the sanction)."""
    present = {h.category for h in hits if h.acted}
    return {
        "text": _text(text, raw),
        "categories": [c for c in CATEGORIES if c in present],
        "hits": [_hit_json(h, raw) for h in hits],
    }


def json_line(text: str, hits: list[Hit], *, raw: bool = False) -> str:
    """``json.dumps(hits_to_json(...))`` with a shortcut for the common clean line."""
    if not hits:
        body = json.dumps(_text(text, raw), ensure_ascii=False)
        return f'{{"text": {body}, "categories": [], "hits": []}}'
    return json.dumps(hits_to_json(text, hits, raw=raw), ensure_ascii=False)


def format_hits(text: str, hits: list[Hit], *, raw: bool = True) -> str:
    """One line for the verdict, then one line per hit with span, kind, article and reason."""
    shown = _text(text, raw)
    if not hits:
        return f"{shown}\n  clean"
    present = {h.category for h in hits if h.acted}
    verdict = ", ".join(c for c in CATEGORIES if c in present) or "none (review only)"
    lines = [shown, "  categories: " + verdict]
    for h in hits:
        where = f"[{h.start}:{h.end}] {_match(h, raw)!r}" if h.end > h.start else "[message]"
        extra = ""
        if h.source == "model":
            band = (
                "held (removed, admins decide)"
                if h.hold
                else "review by admins"
                if h.needs_review
                else "acted on"
            )
            extra = f" score {h.score:.3f}, {band}, n-grams {'/'.join(h.features)}"
        elif h.doubted:
            extra = f", reads as ordinary talk (work-chat score {h.score:.3f}): review by admins"
        lines.append(
            f"  - {h.category}/{h.kind} {where} {h.article} ({h.source}{extra}) — "
            f"{h.reason}".rstrip()
        )
    return "\n".join(lines)
