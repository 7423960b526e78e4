"""One detector with the shipped lexicons for the whole detection test session (load is pure,
so sharing it is safe)."""

from __future__ import annotations

import pytest

from rules.detection import Detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector.load()
