"""Scale tests reuse the core scenario harness (tests/core/core_harness.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest puts only each test file's own folder on the import path.
_CORE = str(Path(__file__).resolve().parents[1] / "core")
if _CORE not in sys.path:
    sys.path.append(_CORE)
