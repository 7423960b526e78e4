"""Explaining hits: the JSON shape of ``groupguard check --json`` and a readable text form."""

from __future__ import annotations

from typing import Any

from rules.detection.hits import CATEGORIES, Hit


def hits_to_json(text: str, hits: list[Hit]) -> dict[str, Any]:
    """``{"text", "categories", "hits": [...]}``; an empty ``categories`` means clean."""
    present = {h.category for h in hits}
    return {
        "text": text,
        "categories": [c for c in CATEGORIES if c in present],
        "hits": [
            {
                "category": h.category,
                "kind": h.kind,
                "article": h.article,
                "match": h.match,
                "start": h.start,
                "end": h.end,
                "reason": h.reason,
            }
            for h in hits
        ],
    }


def format_hits(text: str, hits: list[Hit]) -> str:
    """One line for the verdict, then one line per hit with span, kind, article and reason."""
    if not hits:
        return f"{text}\n  clean"
    present = {h.category for h in hits}
    lines = [text, "  categories: " + ", ".join(c for c in CATEGORIES if c in present)]
    for h in hits:
        where = f"[{h.start}:{h.end}] {h.match!r}" if h.end > h.start else "[message]"
        lines.append(
            f"  - {h.category}/{h.kind} {where} {h.article} ({h.source}) — {h.reason}".rstrip()
        )
    return "\n".join(lines)
