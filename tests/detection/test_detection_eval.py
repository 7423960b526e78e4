"""The labelled evaluation set holds the quality the docs report (regression guard)."""

from __future__ import annotations

import json
from pathlib import Path

from rules.detection import CATEGORIES, Detector

EVAL = Path(__file__).resolve().parent.parent / "data" / "detection_eval.jsonl"
DEVELOPMENT = ("dev", "heldout", "heldout2")  # the lexicons were fitted to these
HELD_OUT = "heldout3"  # written before the third lexicon round, measured once (docs/detection.md)
# Positives found per category on heldout3 when it was measured: the figures must not get worse.
HELD_OUT_FOUND = {
    "illegal": 14,
    "harmful": 10,
    "secret": 8,
    "internal": 8,
    # 10 when measured; issue 17 says the sender's own work contact is no privacy offence, so
    # '简历发我邮箱 liuyang_hr@qq.com' (the sender's own address) is now rightly clean.
    "privacy": 9,
    "abuse": 12,
    "unverified": 13,
    "offtopic": 9,
}
# Development misses left on purpose (docs/detection.md): a word list does not reach them, and
# the terms that would (真好, 让更多人知道) flag ordinary messages.
KNOWN_DEVELOPMENT_MISSES = {
    ("harmful", "地震了真好，学校塌了就不用上课了哈哈"),
    ("unverified", "某某医院又死人了，内幕太恐怖，转发让更多人知道！！"),
}


# Round 4's held-out split (tests/detection/data/heldout4.jsonl): written before any round-4 rule
# change, measured once after the round (docs/detection.md); positives found per category then.
HELDOUT4 = Path(__file__).resolve().parent / "data" / "heldout4.jsonl"
HELDOUT4_FOUND = {
    "illegal": 13,
    "harmful": 7,
    "secret": 7,
    "internal": 5,
    "privacy": 10,
    "abuse": 11,
    "unverified": 11,
    "offtopic": 11,
}


def records() -> list[dict]:
    with EVAL.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def measure(
    detector: Detector, recs: list[dict], misses: set | None = None
) -> tuple[dict, dict, int, int]:
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
            if misses is not None and cat not in got:
                misses.add((cat, rec["text"]))
        if not rec["labels"]:
            ordinary += 1
            flagged += bool(got)
    return found, total, ordinary, flagged


def test_eval_set_covers_every_category_and_has_held_out_parts():
    recs = records()
    assert len(recs) >= 450
    labelled = {c for r in recs for c in r["labels"]}
    assert labelled == set(CATEGORIES)
    assert {r["split"] for r in recs} == {*DEVELOPMENT, HELD_OUT}
    for split in (*DEVELOPMENT, HELD_OUT):
        assert {c for r in recs if r["split"] == split for c in r["labels"]} == set(CATEGORIES)
    held = [r for r in recs if r["split"] == HELD_OUT]
    assert len(held) >= 150
    assert sum(1 for r in held if not r["labels"]) >= 70
    for cat in CATEGORIES:
        assert sum(1 for r in held if cat in r["labels"]) >= 10, cat


def test_development_recall_and_false_alarms_hold(detector: Detector):
    recs = [r for r in records() if r["split"] in DEVELOPMENT]
    misses: set[tuple[str, str]] = set()
    _found, _total, ordinary, flagged = measure(detector, recs, misses)
    assert misses <= KNOWN_DEVELOPMENT_MISSES, misses - KNOWN_DEVELOPMENT_MISSES
    assert flagged == 0, (flagged, ordinary)


def test_held_out_figures_do_not_regress(detector: Detector):
    recs = [r for r in records() if r["split"] == HELD_OUT]
    found, total, ordinary, flagged = measure(detector, recs)
    for cat in CATEGORIES:
        assert found[cat] >= HELD_OUT_FOUND[cat], (cat, found[cat], total[cat])
    assert flagged / ordinary <= 0.02, (flagged, ordinary)


def test_heldout4_figures_do_not_regress(detector: Detector):
    with HELDOUT4.open(encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    assert {r["split"] for r in recs} == {"heldout4"} and len(recs) >= 150
    found, total, ordinary, flagged = measure(detector, recs)
    for cat in CATEGORIES:
        assert total[cat] >= 10, cat
        assert found[cat] >= HELDOUT4_FOUND[cat], (cat, found[cat], total[cat])
    assert flagged / ordinary <= 0.02, (flagged, ordinary)
