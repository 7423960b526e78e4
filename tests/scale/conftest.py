"""Scale tests reuse the core scenario harness (tests/core/core_harness.py) and the fake Bot
API (tests/telegram/fake_bot_api.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest puts only each test file's own folder on the import path.
for _folder in ("core", "telegram"):
    _path = str(Path(__file__).resolve().parents[1] / _folder)
    if _path not in sys.path:
        sys.path.append(_path)
