"""The detector of this checkout beside the detector of another revision, in one process.

    python bench/detect_versus.py REV [--messages 30000] [--turns 12] [--no-models]

On a shared machine the speed of one run drifts by tens of percent within minutes, more than most
changes gain; figures printed by separate runs cannot tell a 10 % change from the drift. This
loads both detectors side by side (``rules/`` of ``REV`` is copied out of git as a package of
another name) and lets them take turns over the same new messages (a fresh batch every turn,
alternating which goes first; like ``bench/detect.py``'s steady passes, a batch repeats some texts
of earlier ones, which a detector that remembers clean texts answers from memory). It
prints the best pass of each and their ratio. Each version uses its own lexicons and models, as
shipped at that revision. Asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detect import realistic_messages, timed  # noqa: E402

from rules.detection import Detector  # noqa: E402

# Every import of the package in its own sources names it like this.
_IMPORT_RE = re.compile(r"\b(from|import)\s+rules(?=[.\s])")


def other_revision(rev: str, into: Path) -> str:
    """Copy ``rules/`` at ``rev`` into ``into`` as a package of its own name; returns the name."""
    name = "rules_" + re.sub(r"\W", "_", rev)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "rules"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / name
    (into / "rules").rename(package)
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(_IMPORT_RE.sub(rf"\1 {name}", text), encoding="utf-8")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="a git revision: HEAD~3, a tag, a commit")
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--no-models", action="store_true", help="both without either model")
    args = parser.parse_args()
    options = {"model": None, "workchat": None} if args.no_models else {}
    with tempfile.TemporaryDirectory() as tmp:
        name = other_revision(args.rev, Path(tmp))
        sys.path.insert(0, tmp)
        theirs = importlib.import_module(f"{name}.detection").Detector.load(**options)
        ours = Detector.load(**options)
        sides = {"this checkout": ours, args.rev: theirs}
        best = dict.fromkeys(sides, 0.0)
        for turn in range(args.turns):
            messages = realistic_messages(args.messages, random.Random(1000 + turn))
            order = list(sides.items())
            for label, detector in order if turn % 2 else order[::-1]:
                best[label] = max(best[label], timed(detector.detect, messages))
    what = "no model" if args.no_models else "both models"
    print(f"{args.turns} turns of {args.messages:,} new messages each, {what}; best pass:")
    for label, per_sec in best.items():
        print(f"  {label:<24} {per_sec:>10,.0f} msg/s {1e6 / per_sec:>8.2f} µs/msg")
    ours_rate, theirs_rate = best.values()
    print(f"  this checkout / {args.rev}: {ours_rate / theirs_rate:.2f}×")


if __name__ == "__main__":
    main()
