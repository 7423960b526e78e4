"""The work-chat gate's second look: one hidden layer over the same clause n-grams.

A linear gate adds up evidence: each n-gram counts the same whatever stands beside it, and out of
fold it finds three violations in five at the acted-on threshold. A hidden layer of a few dozen
units over exactly the gate's features weighs n-grams together and ranks violations far better
(round 13's experiment, ``docs/detection.md``). It is too slow to run on every message in plain
Python, and it needs not: the linear gate screens, and only a message it scores at or above the
file's ``screen`` probability is looked at again — the threshold is chosen so that the positives
the hidden layer would find below it are almost none (``scripts/train_workchat.py``).

The first layer is linear in the clause n-grams, so it decomposes over clauses like the gate: a
clause's contribution is the sum of its n-grams' rows, remembered per clause. Each row is stored
as signed bytes (``w = stored * scale[unit]``, kept as ``stored + 128``, never negative) in one
``bytes`` of the file's rows. To sum a clause's rows, each is widened into one Python integer
with a 32-bit field per unit and one more that counts the rows, so the rows add up in one ``sum``
in C and the fields come out of one ``to_bytes`` read as an array of 32-bit integers. A field
overflows only past 2**32 / 255 rows, far beyond what the models read of a message
(``MODEL_MAX_CHARS``). Rows are widened when a clause new to the memo needs them, not at load:
widened, the 200,000 rows would hold ~55 MB for the few messages that reach the second look.

The file: xz (gzip before round 19) of a JSON header line, a JSON list of the n-grams, and the
rows' bytes (``units`` per n-gram, each ``stored + 128``, in the list's order). The rows are near
noise to gzip, which codes each byte alone; xz, which reads a byte beside the one before it, keeps
the same rows in a fifth less (6.6 → 5.4 MB in round 19, when more training data grew the file and
the three model files would otherwise pass 10 MB together), for ~0.3 s more at load.
"""

from __future__ import annotations

import gzip
import json
import lzma
import math
import sys
from array import array
from pathlib import Path

from rules.detection.model import ngrams, split_clauses

HIDDEN_FORMAT = "groupguard-workchat-hidden/1"
_FIELD_BYTES = 4
# Unsigned 32-bit array items (``I`` is 4 bytes where ``int`` is; ``L`` elsewhere), and whether
# the machine reads them big end first: the packed integers are written little end first.
_FIELD_TYPE = "I" if array("I").itemsize == _FIELD_BYTES else "L"
_SWAP = sys.byteorder == "big"
_OFFSET = 128
# Remembered clauses (a short string, an integer of ~130 bytes and a count each) and messages;
# each memo is emptied when it reaches its size.
CLAUSE_MEMO_SIZE = 16384
TEXT_MEMO_SIZE = 4096


_XZ_MAGIC = b"\xfd7zXZ\x00"


def decompress(stored: bytes) -> bytes:
    """A second look's file as written (xz, or gzip as files before round 19 were)."""
    return lzma.decompress(stored) if stored.startswith(_XZ_MAGIC) else gzip.decompress(stored)


def split_file(blob: bytes) -> tuple[dict, list[str], bytes]:
    """A second look's file, decompressed: its header, its n-grams and their rows' bytes."""
    header_line, grams_line, matrix = blob.split(b"\n", 2)
    return json.loads(header_line), json.loads(grams_line), matrix


class HiddenGate:
    """P(violation) from a hidden layer of rectified units over clause n-grams; immutable
    weights, a bounded memo of clause sums."""

    __slots__ = (
        "_index",
        "_matrix",
        "_memo",
        "_out",
        "_size",
        "_text_memo",
        "_unit_scales",
        "bias",
        "first_bias",
        "input_scale",
        "max_n",
        "units",
    )

    def __init__(
        self,
        grams: list[str],
        matrix: bytes,
        *,
        units: int,
        unit_scales: tuple[float, ...],
        first_bias: tuple[float, ...],
        out: tuple[float, ...],
        bias: float,
        input_scale: float,
        max_n: int = 3,
    ) -> None:
        """``matrix``: ``units`` bytes per n-gram of ``grams``, in order, each ``stored + 128``."""
        if not len(unit_scales) == len(first_bias) == len(out) == units:
            raise ValueError("hidden gate: every unit needs a scale, a bias and an output weight")
        if len(matrix) != len(grams) * units:
            raise ValueError("hidden gate: the rows do not match the n-grams")
        self._index = {gram: i * units for i, gram in enumerate(grams)}.get
        self._matrix = bytes(matrix)
        self._size = len(grams)
        self._memo: dict[str, tuple[int, int]] = {}
        self._text_memo: dict[str, float] = {}
        # The input scaling folded into each unit's scale: one multiplication per unit.
        self._unit_scales = tuple(s * input_scale for s in unit_scales)
        self._out = out
        self.units = units
        self.first_bias = first_bias
        self.bias = bias
        self.input_scale = input_scale
        self.max_n = max_n

    @classmethod
    def from_bytes(cls, blob: bytes) -> HiddenGate:
        header, grams, matrix = split_file(blob)
        if header.get("format") != HIDDEN_FORMAT:
            raise ValueError(f"not a {HIDDEN_FORMAT} model")
        return cls(
            grams,
            matrix,
            units=int(header["units"]),
            unit_scales=tuple(float(s) for s in header["unit_scales"]),
            first_bias=tuple(float(b) for b in header["first_bias"]),
            out=tuple(float(w) for w in header["out"]),
            bias=float(header["bias"]),
            input_scale=float(header["input_scale"]),
            max_n=int(header["max_n"]),
        )

    @classmethod
    def from_stored(cls, stored: bytes) -> HiddenGate:
        return cls.from_bytes(decompress(stored))

    @classmethod
    def load(cls, path: Path) -> HiddenGate:
        return cls.from_stored(path.read_bytes())

    def __len__(self) -> int:
        return self._size

    def clause_sum(self, clause: str) -> tuple[int, int]:
        """One clause's packed row sum and its number of distinct n-grams (remembered)."""
        memo = self._memo
        known = memo.get(clause)
        if known is None:
            grams = ngrams(clause, self.max_n)
            rows = [self._widen(at) for at in map(self._index, grams) if at is not None]
            known = (sum(rows), len(grams))
            if len(memo) >= CLAUSE_MEMO_SIZE:
                memo.clear()
            memo[clause] = known
        return known

    def probability(self, text: str) -> float:
        """P(violation) for prepared text, cut into clauses as the linear gate cuts it
        (remembered for the last few thousand texts)."""
        memo = self._text_memo
        p = memo.get(text)
        if p is None:
            p = self._score(text)
            if len(memo) >= TEXT_MEMO_SIZE:
                memo.clear()
            memo[text] = p
        return p

    def _score(self, text: str) -> float:
        packed = count = 0
        for clause in split_clauses(text):
            row, grams = self.clause_sum(clause)
            packed += row
            count += grams
        if not count:
            return self.probability_of_fields([0] * self.units, 1)
        fields = array(_FIELD_TYPE, packed.to_bytes(_FIELD_BYTES * (self.units + 1), "little"))
        if _SWAP:
            fields.byteswap()
        summed = fields[self.units]  # the number of rows summed: each added 128 to every field
        offset = _OFFSET * summed
        return self.probability_of_fields([f - offset for f in fields[: self.units]], count)

    def _widen(self, at: int) -> int:
        """The row at byte ``at`` as one integer: a 32-bit field per unit holding its stored
        byte, and one holding 1, little end first."""
        units = self.units
        wide = bytearray(_FIELD_BYTES * (units + 1))
        wide[::_FIELD_BYTES] = self._matrix[at : at + units] + b"\x01"
        return int.from_bytes(wide, "little")

    def probability_of_fields(self, fields: list[int], count: int) -> float:
        """The output for the first layer's stored sums (one per unit) over ``count`` n-grams."""
        root = 1.0 / math.sqrt(count)
        z = self.bias
        for field, scale, bias, out in zip(
            fields, self._unit_scales, self.first_bias, self._out, strict=True
        ):
            pre = field * scale * root + bias
            if pre > 0.0:
                z += pre * out
        return 0.0 if z < -30 else 1.0 / (1.0 + math.exp(-z))
