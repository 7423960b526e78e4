"""The held-out splits' files and one measurement of a detector on them, shared by the rounds'
guard tests."""

from __future__ import annotations

import json
from pathlib import Path

from rules.detection import CATEGORIES, Detector

DATA = Path(__file__).resolve().parent / "data"


def records(name: str) -> list[dict]:
    return [json.loads(x) for x in (DATA / f"{name}.jsonl").read_text("utf-8").splitlines()]


def measure(
    detector: Detector, name: str, *, held: bool = False
) -> tuple[dict[str, int], dict[str, int], int, int, int]:
    """Per category, positives acted on and positives acted on or asked about; then ordinary
    messages, those flagged and those only asked about. ``held``: a held guess counts as acted on
    (its message is taken down; round 9)."""
    acted = dict.fromkeys(CATEGORIES, 0)
    review = dict.fromkeys(CATEGORIES, 0)
    ordinary = flagged = asked = 0
    for rec in records(name):
        hits = detector.detect(rec["text"])
        got = {h.category for h in hits if (h.acted if held else not h.needs_review)}
        seen = {h.category for h in hits}
        for cat in rec["labels"]:
            acted[cat] += cat in got
            review[cat] += cat in seen
        if not rec["labels"]:
            ordinary += 1
            flagged += bool(got)
            asked += bool(seen) and not got
    return acted, review, ordinary, flagged, asked


Guard = tuple[tuple[int, ...], tuple[int, ...], int, int]


def assert_guarded(detector: Detector, name: str, guard: Guard) -> None:
    """Per category at least ``guard``'s positives acted on (a held guess counts) and acted on or
    asked about; at most its ordinary messages flagged and only asked about."""
    acted, seen, _, flagged, asked = measure(detector, name, held=True)
    floor_acted, floor_seen, most_flagged, most_asked = guard
    assert all(acted[c] >= n for c, n in zip(CATEGORIES, floor_acted, strict=True)), acted
    assert all(seen[c] >= n for c, n in zip(CATEGORIES, floor_seen, strict=True)), seen
    assert flagged <= most_flagged and asked <= most_asked, (flagged, asked)
