"""The labelled evaluation set holds the quality the docs report (regression guard)."""

from __future__ import annotations

import json
from pathlib import Path

from rules.detection import CATEGORIES, Detector

EVAL = Path(__file__).resolve().parent.parent / "data" / "detection_eval.jsonl"


def records() -> list[dict]:
    with EVAL.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_eval_set_covers_every_category_and_has_a_held_out_part():
    recs = records()
    assert len(recs) >= 300
    labelled = {c for r in recs for c in r["labels"]}
    assert labelled == set(CATEGORIES)
    assert {r["split"] for r in recs} == {"dev", "heldout"}
    for split in ("dev", "heldout"):
        assert {c for r in recs if r["split"] == split for c in r["labels"]} == set(CATEGORIES)


def test_eval_recall_and_false_alarms_hold(detector: Detector):
    recs = records()
    found = {c: 0 for c in CATEGORIES}
    total = {c: 0 for c in CATEGORIES}
    ordinary = flagged = 0
    for rec in recs:
        got = {
            h.category
            for h in detector.detect(
                rec["text"],
                forwarded=rec.get("forwarded", False),
                forward_origin=rec.get("forward_origin"),
                media_kind=rec.get("media_kind"),
            )
        }
        for cat in rec["labels"]:
            total[cat] += 1
            found[cat] += cat in got
        if not rec["labels"]:
            ordinary += 1
            flagged += bool(got)
    for cat in CATEGORIES:
        assert found[cat] / total[cat] >= 0.8, (cat, found[cat], total[cat])
    assert flagged / ordinary <= 0.03
