"""Where the labelled work-chat messages live, which splits are never trained on, and the
training data read from them (``train_workchat.py``, ``train_classifier.py``). Standard library
only, so that the tests read the same registry without the training extra."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPLIT_FILES = (
    ROOT / "tests" / "data" / "detection_eval.jsonl",
    ROOT / "tests" / "detection" / "data" / "heldout4.jsonl",
    ROOT / "tests" / "detection" / "data" / "heldout5.jsonl",
    ROOT / "tests" / "detection" / "data" / "heldout6.jsonl",
    ROOT / "tests" / "detection" / "data" / "heldout7.jsonl",  # held out in round 7
    ROOT / "tests" / "detection" / "data" / "heldout8.jsonl",  # held out in round 8
    ROOT / "tests" / "detection" / "data" / "heldout9.jsonl",  # held out in round 8's second half
    ROOT / "tests" / "detection" / "data" / "heldout10.jsonl",  # held out in round 8's third part
    ROOT / "tests" / "detection" / "data" / "heldout11.jsonl",  # held out in round 9
    ROOT / "tests" / "detection" / "data" / "heldout12.jsonl",  # held out in round 9
    ROOT / "tests" / "detection" / "data" / "heldout14.jsonl",  # held out in round 10
)
CORPUS = ROOT / "scripts" / "data" / "workchat"
# Measured, never trained on.
HELD_OUT = {"heldout13", *(f"heldout{n}" for n in range(15, 28))}  # 13, 15 … 27
HELD_OUT_DATA = ROOT / "tests" / "detection" / "data"
# Written after the shipped models were trained: their texts join the drop (``unseen_keys``) with
# the next model, or ``--check`` could not reproduce the shipped one. Equal to a training
# message: two of heldout24's texts ("谢谢！", "谁有充电宝借我用一下，手机快没电了。"; both
# ordinary) and four of heldout25's ("你妈没教过你怎么好好说话吗？", "滚！别在群里丢人现眼",
# "砍一刀，谢谢", "砍一刀谢谢"), three of heldout26's ("我看你就是欠收拾", "谢谢啦", "辛苦啦").
NOT_YET_DROPPED = {"heldout24", "heldout25", "heldout26", "heldout27"}  # 27: none equal
UNSEEN_FILES = (
    *(HELD_OUT_DATA / f"{name}.jsonl" for name in sorted(HELD_OUT - NOT_YET_DROPPED)),
    HELD_OUT_DATA / "kindness.jsonl",
)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def text_key(text: str) -> str:
    """What makes two messages the same text: NFKC, case, and no punctuation, symbols (emoji)
    or spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def unseen_keys() -> set[str]:
    """The texts of the never-trained sets (a file not written yet is skipped)."""
    keys = {text_key(r["text"]) for path in UNSEEN_FILES if path.exists() for r in _jsonl(path)}
    return keys - {""}


def load_workchat(*, drop_unseen_equal: bool = True) -> list[dict]:
    """The training messages: the development splits and the corpus, the held-out splits left
    out, and (unless told otherwise, to reproduce round 17's models) every message whose text
    equals a never-trained set's: a model that has seen it is measured on its own answer."""
    files = [*SPLIT_FILES, *sorted(CORPUS.glob("*.jsonl"))]
    unseen = unseen_keys() if drop_unseen_equal else set()
    return [
        r
        for path in files
        for r in _jsonl(path)
        if r.get("split") not in HELD_OUT and text_key(r["text"]) not in unseen
    ]
