"""Lexicon files: parsing and discovery (the format is documented in rules/lexicons/README.md).

Layout of a lexicon directory::

    <category>/<kind>.txt   terms of one category and sub-kind (category = one of CATEGORIES)
    allow/<name>.txt        allow-lists: ``@mode span`` phrases or ``@mode context`` cue words
    homoglyphs.txt          extra character folds for the normaliser
    checks.toml             metadata and word lists for PII checks and heuristics

A file in a later directory with the same relative path replaces the earlier one; other files
add to what is loaded. ``-term`` lines remove a term loaded from an earlier file of the same kind.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.detection.hits import CATEGORIES

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "lexicons"
ALLOW_DIR = "allow"


@dataclass(frozen=True, slots=True)
class TermFile:
    """One ``<category>/<kind>.txt`` file."""

    path: Path
    category: str
    kind: str
    article: str
    reason: str
    terms: tuple[tuple[str, frozenset[str]], ...]  # (term, flags such as {"py"})
    removals: tuple[str, ...]


ALLOW_MODES = ("span", "context", "quoted", "guess")


@dataclass(frozen=True, slots=True)
class AllowFile:
    """An allow-list: ``span`` phrases neutralise hits inside them; ``context`` cue words
    neutralise hits of the listed categories/kinds in the same sentence; ``quoted`` cue words do
    so only for a hit in quotation marks (the word is mentioned, not used); ``guess`` cue words
    drop no hit a rule found, they only keep the models from guessing the listed categories."""

    path: Path
    mode: str
    applies: frozenset[str]  # "illegal" or "illegal.fraud"; empty means every category
    phrases: tuple[str, ...]
    # ``quoted`` mode: characters the quotation may hold beside the hit (``@quote_room``)
    quote_room: int = 4
    # ``guess`` mode: categories whose model guesses go to the admins instead of being silenced
    # or acted on (``@review``)
    review: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LexiconSources:
    term_files: tuple[TermFile, ...]
    allow_files: tuple[AllowFile, ...]
    homoglyph_files: tuple[Path, ...]
    checks: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def _parse(path: Path) -> tuple[dict[str, str], list[tuple[str, frozenset[str]]], list[str]]:
    headers: dict[str, str] = {}
    terms: list[tuple[str, frozenset[str]]] = []
    removals: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # A comment needs a space before '#', so '#' may still appear inside a term.
        for marker in (" #", "\t#"):
            if marker in line:
                line = line.split(marker, 1)[0].strip()
        if line.startswith("@") and " " in line and not terms:
            key, _, value = line[1:].partition(" ")
            headers[key.strip()] = value.strip()
            continue
        words = line.split(" @")
        term = words[0].strip()
        flags = frozenset(w.strip() for w in words[1:] if w.strip())
        if term.startswith("-") and len(term) > 1:
            removals.append(term[1:])
        elif term:
            terms.append((term, flags))
    return headers, terms, removals


def read_term_file(path: Path, category: str) -> TermFile:
    headers, terms, removals = _parse(path)
    return TermFile(
        path=path,
        category=headers.get("category", category),
        kind=headers.get("kind", path.stem),
        article=headers.get("article", ""),
        reason=headers.get("reason", ""),
        terms=tuple(terms),
        removals=tuple(removals),
    )


def _int_header(headers: dict[str, str], key: str, default: int, path: Path) -> int:
    raw = headers.get(key)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{path}: @{key} must be a whole number, not {raw!r}") from None


def read_allow_file(path: Path) -> AllowFile:
    headers, terms, _ = _parse(path)
    return AllowFile(
        path=path,
        mode=headers.get("mode", "span"),
        quote_room=_int_header(headers, "quote_room", 4, path),
        applies=frozenset(headers.get("applies", "").split()),
        phrases=tuple(t for t, _ in terms),
        review=frozenset(headers.get("review", "").split()),
    )


def _merge_checks(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; lists extend (a deployment adds words), scalars replace."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge_checks(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = old + [v for v in value if v not in old]
        else:
            merged[key] = value
    return merged


def discover(dirs: Sequence[Path]) -> LexiconSources:
    """Collect every lexicon file under ``dirs`` in order; later same-path files replace."""
    by_relpath: dict[str, Path] = {}
    homoglyphs: list[Path] = []
    checks: dict[str, Any] = {}
    warnings: list[str] = []
    for directory in dirs:
        directory = Path(directory)
        if not directory.is_dir():
            warnings.append(f"lexicon directory not found: {directory}")
            continue
        for sub in (*CATEGORIES, ALLOW_DIR):
            for path in sorted((directory / sub).glob("*.txt")):
                by_relpath[f"{sub}/{path.name}"] = path
        if (directory / "homoglyphs.txt").is_file():
            homoglyphs.append(directory / "homoglyphs.txt")
        if (directory / "checks.toml").is_file():
            with (directory / "checks.toml").open("rb") as fh:
                checks = _merge_checks(checks, tomllib.load(fh))
    term_files: list[TermFile] = []
    allow_files: list[AllowFile] = []
    for relpath, path in by_relpath.items():
        sub = relpath.split("/", 1)[0]
        if sub == ALLOW_DIR:
            try:
                allow = read_allow_file(path)
            except ValueError as bad:
                warnings.append(str(bad))
                continue
            if allow.mode not in ALLOW_MODES:
                warnings.append(f"{path}: unknown @mode {allow.mode!r} (one of {ALLOW_MODES})")
                continue
            unknown = sorted(
                name
                for name in allow.applies | allow.review
                if name.split(".", 1)[0] not in CATEGORIES
            )
            if unknown:
                # A misspelt category would silently apply to nothing: the file is not used.
                warnings.append(
                    f"{path}: unknown category in @applies/@review: {', '.join(unknown)}"
                )
                continue
            if allow.review and allow.mode != "guess":
                warnings.append(
                    f"{path}: @review is for @mode guess only (this file is {allow.mode})"
                )
                continue
            allow_files.append(allow)
            continue
        term_file = read_term_file(path, sub)
        if term_file.category not in CATEGORIES:
            warnings.append(f"{path}: unknown category {term_file.category!r}")
            continue
        term_files.append(term_file)
    return LexiconSources(
        tuple(term_files), tuple(allow_files), tuple(homoglyphs), checks, tuple(warnings)
    )
