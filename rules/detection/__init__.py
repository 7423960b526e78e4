"""Content detection (REQUIREMENTS C1–C9): normaliser, lexicons, PII validators, heuristics."""

from rules.detection.detector import Detector
from rules.detection.hits import CATEGORIES, Hit
from rules.detection.report import format_hits, hits_to_json

__all__ = ["CATEGORIES", "Detector", "Hit", "format_hits", "hits_to_json"]
