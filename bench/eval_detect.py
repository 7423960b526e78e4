"""Detection quality: precision/recall per category on the labelled set, and COLD figures.

    python bench/eval_detect.py [--eval tests/data/detection_eval.jsonl] [--cold PATH] [--show]
                                [--splits dev heldout heldout2 heldout3]

Message-level scoring: a message counts for a category if the detector reports at least one hit of
it that is acted on; a held guess (an illegal or secret guess above the high threshold: the message
is taken down at once, the admins decide the sanction) counts as acted on, and the table says how
many positives only a held guess caught ("of it held"). ``--show`` prints every miss and false
alarm. One table per split: ``dev``, ``heldout`` and ``heldout2`` … ``heldout6`` are development
data now (each was held out for one round, then worked on; the work-chat model trains on them);
``heldout7`` (tests/detection/data/heldout7.jsonl, pass it with ``--eval``) is round 7's held-out
set, written by a separate writer before the work-chat model was trained and measured before and
after it (see docs/detection.md) — not to be tuned on.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # the held-out registry the training scripts read

# Never trained on: heldout13 (measured at the end of round 9), heldout15 … heldout27 (each written
# before the round that first measured it). heldout10–12 and heldout14 were measured, then trained
# on: development data now.
from workchat_data import HELD_OUT  # noqa: E402

from rules.detection import CATEGORIES, Detector  # noqa: E402
from rules.detection.model import MODEL_PATH  # noqa: E402
from rules.detection.workchat import WORKCHAT_PATH  # noqa: E402

DEFAULT_EVAL = ROOT / "tests" / "data" / "detection_eval.jsonl"
DEFAULT_COLD = ROOT.parent / "shared" / "data" / "cold" / "dev.csv"
SPLITS = {
    "dev": "development",
    "heldout": "development since the second round",
    "heldout2": "development since the third round",
    "heldout3": "held out in round 3; development since round 4",
    "heldout4": "held out in round 4 (tests/detection/data/heldout4.jsonl, pass it with --eval)",
    "heldout5": "held out in round 5 (tests/detection/data/heldout5.jsonl, pass it with --eval)",
    "heldout6": "held out in round 6 (tests/detection/data/heldout6.jsonl, pass it with --eval)",
    "heldout7": "held out in round 7 (tests/detection/data/heldout7.jsonl, pass it with --eval)",
    "heldout8": "held out in round 8 (tests/detection/data/heldout8.jsonl, pass it with --eval)",
    "heldout9": "held out in round 8 (tests/detection/data/heldout9.jsonl, pass it with --eval)",
    "heldout10": "held out (tests/detection/data/heldout10.jsonl, pass it with --eval)",
    "heldout11": "held out in round 9 (tests/detection/data/heldout11.jsonl, pass it with --eval)",
    "heldout12": "held out in round 9 (tests/detection/data/heldout12.jsonl, pass it with --eval)",
    "heldout13": "held out in round 9 (tests/detection/data/heldout13.jsonl, pass it with --eval)",
    "heldout14": "held out in round 10 (tests/detection/data/heldout14.jsonl, pass it with --eval)",
    "heldout15": "held out in round 11 (tests/detection/data/heldout15.jsonl, pass it with --eval)",
    "heldout16": "held out in round 12 (tests/detection/data/heldout16.jsonl, pass it with --eval)",
    "heldout17": "held out in round 13 (tests/detection/data/heldout17.jsonl, pass it with --eval)",
    "heldout18": "held out in round 13 (tests/detection/data/heldout18.jsonl, pass it with --eval)",
    "heldout19": "held out in round 14 (tests/detection/data/heldout19.jsonl, pass it with --eval)",
    "heldout20": "held out in round 16 (tests/detection/data/heldout20.jsonl, pass it with --eval)",
    "heldout21": "held out in round 17 (tests/detection/data/heldout21.jsonl, pass it with --eval)",
    "heldout22": "held out in round 18 (tests/detection/data/heldout22.jsonl, pass it with --eval)",
    "heldout23": "held out in round 19 (tests/detection/data/heldout23.jsonl, pass it with --eval)",
    "heldout24": "held out in round 20 (tests/detection/data/heldout24.jsonl, pass it with --eval)",
    "heldout25": "held out in round 20 (tests/detection/data/heldout25.jsonl, pass it with --eval)",
    "heldout26": "held out in round 20 (tests/detection/data/heldout26.jsonl, pass it with --eval)",
    "heldout27": "held out in round 20 (tests/detection/data/heldout27.jsonl, pass it with --eval)",
}


def load_eval(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def predict(detector: Detector, rec: dict) -> tuple[set[str], set[str], set[str]]:
    """One detection of ``rec``, as (categories acted on, categories acted on or sent to the
    admins, categories only a held guess found). A held guess counts as acted on: its message is
    taken down at once, the admins decide the sanction; other model hits in the review band go to
    the admins and count only in the second set."""
    hits = detector.detect(
        rec["text"],
        forwarded=rec.get("forwarded", False),
        forward_origin=rec.get("forward_origin"),
        media_kind=rec.get("media_kind"),
    )
    acted = {h.category for h in hits if h.acted}
    held = acted - {h.category for h in hits if not h.needs_review}
    return acted, {h.category for h in hits}, held


def score(detector: Detector, records: list[dict], title: str, show: bool) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    ordinary = flagged_ordinary = reviewed_ordinary = 0
    reviewed: Counter[str] = Counter()  # positives found only with the review band counted
    held: Counter[str] = Counter()  # positives acted on only by a held guess
    shown: list[str] = []
    for rec in records:
        gold = set(rec["labels"])
        got, seen, held_only = predict(detector, rec)
        reviewed.update((gold & seen) - got)
        held.update(gold & held_only)
        if not gold:
            reviewed_ordinary += bool(seen) and not got
        for cat in CATEGORIES:
            if cat in gold and cat in got:
                tp[cat] += 1
            elif cat in got:
                fp[cat] += 1
                if show:
                    shown.append(f"  FP {cat:<10} {rec['text']!r}")
            elif cat in gold:
                fn[cat] += 1
                if show:
                    shown.append(f"  FN {cat:<10} {rec['text']!r}")
        if not gold:
            ordinary += 1
            flagged_ordinary += bool(got)
    print(f"\n{title}: {len(records)} messages ({ordinary} ordinary)")
    print(
        f"  {'category':<11}{'n':>5}{'precision':>11}{'recall':>9}{'of it held':>12}"
        f"{'+ review':>10}"
    )
    for cat in CATEGORIES:
        n = tp[cat] + fn[cat]
        p = tp[cat] / (tp[cat] + fp[cat]) if tp[cat] + fp[cat] else float("nan")
        r = tp[cat] / n if n else float("nan")
        rr = (tp[cat] + reviewed[cat]) / n if n else float("nan")
        print(f"  {cat:<11}{n:>5}{p:>11.3f}{r:>9.3f}{held[cat]:>12}{rr:>10.3f}")
    share = flagged_ordinary / ordinary if ordinary else float("nan")
    print(f"  ordinary work messages flagged: {flagged_ordinary}/{ordinary} = {share:.1%}")
    extra = reviewed_ordinary / ordinary if ordinary else float("nan")
    print(f"  … and sent to admins for review only: {reviewed_ordinary}/{ordinary} = {extra:.1%}")
    for line in shown:
        print(line)


def cold(detector: Detector, path: Path, show: bool) -> None:
    if not path.is_file():
        print(f"\nCOLD: {path} not found — skipped")
        return
    safe = safe_flagged = offensive = offensive_flagged = 0
    safe_review = offensive_review = 0
    by_category: Counter[str] = Counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["TEXT"]
            hits = detector.detect(text)
            cats = {h.category for h in hits if not h.needs_review}
            review = not cats and any(h.needs_review for h in hits)
            if row["label"] == "0":
                safe_review += review
                safe += 1
                if cats:
                    safe_flagged += 1
                    by_category.update(cats)
                    if show:
                        print(f"  COLD-safe flagged {sorted(cats)} {text!r}")
            else:
                offensive += 1
                offensive_flagged += bool(cats & {"abuse", "harmful"})
                offensive_review += review
    print(f"\nCOLD ({path.name}): {safe} safe, {offensive} offensive")
    print(f"  safe flagged (any category): {safe_flagged}/{safe} = {safe_flagged / safe:.1%}")
    print(f"    by category: {dict(by_category.most_common())}")
    print(
        f"  offensive flagged as abuse or harmful: {offensive_flagged}/{offensive} = "
        f"{offensive_flagged / offensive:.1%}"
    )
    print(
        f"  sent to admins for review only (model score between the thresholds): safe "
        f"{safe_review}/{safe} = {safe_review / safe:.1%}, offensive {offensive_review}/"
        f"{offensive} = {offensive_review / offensive:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--cold", type=Path, default=DEFAULT_COLD)
    parser.add_argument("--show", action="store_true", help="print misses and false alarms")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), help="splits to score")
    parser.add_argument("--no-cold", action="store_true", help="skip the COLD measurement")
    parser.add_argument("--no-model", action="store_true", help="without the COLD classifier")
    parser.add_argument("--no-workchat", action="store_true", help="without the work-chat model")
    parser.add_argument("--workchat", type=Path, help="another work-chat model file")
    args = parser.parse_args()
    detector = Detector.load(
        model=None if args.no_model else MODEL_PATH,
        workchat=None if args.no_workchat else (args.workchat or WORKCHAT_PATH),
    )
    records = load_eval(args.eval)
    for split in args.splits:
        part = [r for r in records if r.get("split") == split]
        if part:
            score(detector, part, f"eval {split} ({SPLITS.get(split, 'other')})", args.show)
    # The development splits together (the held-out split keeps its own table only).
    development = [s for s in args.splits if s not in HELD_OUT]
    chosen = [r for r in records if r.get("split") in development]
    if len(development) > 1:
        score(detector, chosen, f"eval {' + '.join(development)} (development)", False)
    if not args.no_cold:
        cold(detector, args.cold, args.show)


if __name__ == "__main__":
    main()
