"""The content detector: normalise once, one automaton pass, then PII validators and heuristics.

``Detector.load`` is pure (it only reads lexicon files) and keeps nothing at module level, so a
reload is: build a new Detector, swap the reference.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rules.detection.chartable import build_char_map, read_homoglyphs, read_t2s
from rules.detection.heuristics import HEURISTICS, HeuristicSpec, MessageMeta, Span
from rules.detection.hits import CATEGORIES, Hit
from rules.detection.lexicon import BUILTIN_DIR, AllowFile, LexiconSources, discover
from rules.detection.matcher import ALLOW, CUE, TERM, TRIGGER, Matcher, Role
from rules.detection.normaliser import SENTENCE_ENDS, Normalised, Normaliser
from rules.detection.pii import find_pii, may_hold_pii
from rules.detection.variants import pinyin_variants

_MIN_TERM_CHARS = 2
_PLAIN = MessageMeta(False, None, None)
_DOUBLED_CJK = tuple(
    chr(c) * 2 for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)) for c in range(low, high + 1)
)
_RANK = MappingProxyType({c: i for i, c in enumerate(CATEGORIES)})
_RAW_LISTS = frozenset({"triggers", "media_kinds", "require"})  # not normalised as word lists


@dataclass(frozen=True, slots=True)
class _Info:
    category: str
    kind: str
    article: str
    reason: str


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _sentence_bounds(folded: str, pos: int) -> tuple[int, int]:
    lo = pos
    while lo > 0 and folded[lo - 1] not in SENTENCE_ENDS:
        lo -= 1
    hi = pos
    while hi < len(folded) and folded[hi] not in SENTENCE_ENDS:
        hi += 1
    return lo, hi


def _applies(allow: AllowFile, hit: Hit) -> bool:
    return not allow.applies or bool({hit.category, f"{hit.category}.{hit.kind}"} & allow.applies)


class _Builder:
    """Collects patterns and their roles while a Detector is loaded."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.patterns: dict[str, list[Role]] = {}
        self.warnings: list[str] = []

    def add(self, term: str, role: Role, where: str) -> str | None:
        norm = self.normaliser.term(term)
        if len(norm) < _MIN_TERM_CHARS:
            # One-character patterns would flag every message that shares the character.
            self.warnings.append(f"{where}: term {term!r} too short after normalisation")
            return None
        roles = self.patterns.setdefault(norm, [])
        if role not in roles:
            roles.append(role)
        return norm


class Detector:
    """Finds content the regulations forbid and explains each finding (see ``Hit``)."""

    def __init__(
        self,
        *,
        normaliser: Normaliser,
        patterns: Sequence[str],
        roles: Sequence[tuple[Role, ...]],
        infos: Sequence[_Info],
        allow_files: Sequence[AllowFile],
        heuristics: Sequence[HeuristicSpec],
        pii: dict[str, _Info],
        disabled: frozenset[str],
        warnings: Sequence[str] = (),
        overrides: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> None:
        self._normaliser = normaliser
        # Repeat markers: every doubled CJK character ("赌赌", "谢谢"), after the real patterns.
        # The fast path matches text with repeats not yet collapsed; a marker match says the
        # text needs collapsing and a second pass (a fifth of chat messages, 哈哈 and 谢谢).
        self._first_marker = len(patterns)
        self._matcher = Matcher([*patterns, *_DOUBLED_CJK])
        self._find = self._matcher.finder()
        self._roles = tuple(roles)
        self._latin_edges = tuple(
            (_latin(p[0]), _latin(p[-1])) if p.isascii() or _latin(p[0]) or _latin(p[-1])
            else (False, False)
            for p in patterns
        )  # fmt: skip
        self._infos = tuple(infos)
        self._allow = tuple(allow_files)
        self._heuristics = tuple(heuristics)
        # Heuristic hits that enforcement/publicity cues drop like lexicon hits (category, kind).
        self._cued = frozenset((h.category, h.kind) for h in heuristics if h.cues)
        # (winners, losers): a loser hit sharing a sentence with a winner hit is dropped.
        self._overrides = tuple(overrides)
        self._loser_categories = frozenset(
            name.split(".", 1)[0] for _, losers in self._overrides for name in losers
        )
        self._message_level = frozenset(i for i, h in enumerate(heuristics) if not h.triggers)
        self._checks = tuple(HEURISTICS[h.check or h.name] for h in heuristics)
        # Patterns that are only heuristic triggers (and not Latin): no span is needed for them.
        self._trigger_only = frozenset(
            i
            for i, rs in enumerate(roles)
            if rs and all(r.role == TRIGGER for r in rs) and self._latin_edges[i] == (False, False)
        )
        self._pii = dict(pii)
        self._pii_on = bool(self._pii)
        self._disabled = disabled
        self._term_count = sum(1 for rs in roles if any(r.role == TERM for r in rs))
        self.warnings: tuple[str, ...] = tuple(warnings)

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        lexicon_dirs: Sequence[Path] = (),
        *,
        include_builtin: bool = True,
        disabled_categories: Collection[str] = (),
    ) -> Detector:
        """Build a detector from the built-in lexicons (``rules/lexicons``) and ``lexicon_dirs``
        in order; a later file with the same relative path replaces an earlier one."""
        dirs = [BUILTIN_DIR] if include_builtin else []
        dirs.extend(Path(d) for d in lexicon_dirs)
        sources = discover(dirs)
        char_map = build_char_map(read_t2s(), read_homoglyphs(sources.homoglyph_files))
        normaliser = Normaliser(char_map)
        return cls._from_sources(sources, normaliser, frozenset(disabled_categories))

    @classmethod
    def _from_sources(
        cls, sources: LexiconSources, normaliser: Normaliser, disabled: frozenset[str]
    ) -> Detector:
        builder = _Builder(normaliser)
        builder.warnings.extend(sources.warnings)
        removed: dict[tuple[str, str], set[str]] = {}
        for tf in sources.term_files:
            for term in tf.removals:
                removed.setdefault((tf.category, tf.kind), set()).add(normaliser.term(term))
        infos: list[_Info] = []
        for tf in sources.term_files:
            if tf.category in disabled:
                continue
            gone = removed.get((tf.category, tf.kind), set())
            role = Role(TERM, len(infos))
            infos.append(_Info(tf.category, tf.kind, tf.article, tf.reason))
            for term, flags in tf.terms:
                forms = [term, *pinyin_variants(term)] if "py" in flags else [term]
                for form in forms:
                    if normaliser.term(form) not in gone:
                        builder.add(form, role, str(tf.path))
        for index, allow in enumerate(sources.allow_files):
            role = Role(ALLOW if allow.mode == "span" else CUE, index)
            for phrase in allow.phrases:
                builder.add(phrase, role, str(allow.path))
        heuristics = cls._heuristic_specs(sources.checks, normaliser, disabled, builder)
        pii = {
            kind: _Info(t["category"], t.get("kind", kind), t["article"], t["reason"])
            for kind, t in sources.checks.get("pii", {}).items()
            if t.get("category", "privacy") not in disabled and t.get("enabled", True)
        }
        patterns = list(builder.patterns)
        return cls(
            normaliser=normaliser,
            patterns=patterns,
            roles=[tuple(builder.patterns[p]) for p in patterns],
            infos=infos,
            allow_files=sources.allow_files,
            heuristics=heuristics,
            pii=pii,
            disabled=disabled,
            warnings=builder.warnings,
            overrides=cls._override_rules(sources.checks, builder),
        )

    @staticmethod
    def _override_rules(
        checks: dict[str, Any], builder: _Builder
    ) -> list[tuple[frozenset[str], frozenset[str]]]:
        """``[overrides]`` in checks.toml: ``winner = ["loser", ...]``, each a category or
        category.kind."""
        rules: list[tuple[frozenset[str], frozenset[str]]] = []
        for winner, losers in checks.get("overrides", {}).items():
            names = [winner, *losers] if isinstance(losers, list) else [winner]
            if not isinstance(losers, list) or any(
                n.split(".", 1)[0] not in CATEGORIES for n in names
            ):
                builder.warnings.append(f"checks.toml: bad override {winner!r} = {losers!r}")
                continue
            rules.append((frozenset([winner]), frozenset(losers)))
        return rules

    @staticmethod
    def _heuristic_specs(
        checks: dict[str, Any], normaliser: Normaliser, disabled: frozenset[str], builder: _Builder
    ) -> list[HeuristicSpec]:
        specs: list[HeuristicSpec] = []
        for name, table in checks.get("heuristic", {}).items():
            check = table.get("check", name)
            if check not in HEURISTICS:
                builder.warnings.append(f"checks.toml: unknown heuristic {check!r} ({name})")
                continue
            if table["category"] in disabled or not table.get("enabled", True):
                continue
            words = {
                key: tuple(filter(None, (normaliser.term(w) for w in value)))
                for key, value in table.items()
                if isinstance(value, list) and key not in _RAW_LISTS
            }
            values = {k: tuple(v) for k, v in table.items() if k in _RAW_LISTS and k != "triggers"}
            role = Role(TRIGGER, len(specs))
            added = (builder.add(t, role, f"heuristic {name}") for t in table.get("triggers", ()))
            triggers = tuple(n for n in added if n)
            specs.append(
                HeuristicSpec(
                    name=name,
                    check=check,
                    category=table["category"],
                    kind=table["kind"],
                    article=table["article"],
                    reason=table["reason"],
                    triggers=triggers,
                    words=words,
                    values=values,
                    cues=bool(table.get("cues", False)),
                    window=int(table.get("window", 0)),
                )
            )
        return specs

    # -- detection ---------------------------------------------------------------------------

    @property
    def term_count(self) -> int:
        """Distinct normalised lexicon terms (pinyin forms included)."""
        return self._term_count

    def detect(
        self,
        text: str,
        *,
        forwarded: bool = False,
        forward_origin: str | None = None,
        media_kind: str | None = None,
    ) -> list[Hit]:
        """Every hit in ``text``, sorted by start; spans index the original ``text``."""
        text = text or ""
        normaliser = self._normaliser
        prepared, same_offsets = normaliser.prepare(text)
        raw = self._find(prepared)
        collapsed = None
        if raw and max(raw)[0] >= self._first_marker:  # markers have the highest pattern ids
            collapsed = normaliser.collapse(prepared)  # a repeated character: collapse, redo
            raw = self._find(collapsed)
        want_pii = self._pii_on and may_hold_pii(text)
        if not raw and not forwarded and not media_kind:
            if not want_pii:
                return []
            hits = self._pii_hits(text, [])
            return self._dedupe(hits) if hits else hits
        if collapsed is not None:
            folded = prepared if same_offsets else normaliser.fold(text)
            norm = Normalised(text, folded, collapsed, normaliser)
        elif same_offsets:
            norm = Normalised(text, prepared, prepared, None)
        else:
            norm = Normalised(text, normaliser.fold(text), prepared, normaliser)

        hits: list[Hit] = []
        allow_spans: list[tuple[int, int, int]] = []
        cues: list[tuple[int, int, int]] = []
        triggers: dict[int, list[Span]] = {}
        folded = norm.folded
        trigger_only = self._trigger_only
        for pid, s, e in raw:
            if pid in trigger_only:  # heuristics work in normalised offsets
                for role in self._roles[pid]:
                    triggers.setdefault(role.ref, []).append((s, e))
                continue
            start, end = norm.span(s, e)
            latin_start, latin_end = self._latin_edges[pid]
            if (latin_start and start > 0 and _latin(folded[start - 1])) or (
                latin_end and end < len(folded) and _latin(folded[end])
            ):
                continue  # a Latin term inside a longer Latin word ("sb" in "asbestos")
            for role in self._roles[pid]:
                if role.role == TERM:
                    info = self._infos[role.ref]
                    hits.append(
                        Hit(info.category, info.kind, info.article, text[start:end], start, end,
                            info.reason, "lexicon")
                    )  # fmt: skip
                elif role.role == ALLOW:
                    allow_spans.append((role.ref, start, end))
                elif role.role == CUE:
                    cues.append((role.ref, start, end))
                else:
                    triggers.setdefault(role.ref, []).append((s, e))

        if triggers or ((forwarded or media_kind) and self._message_level):
            meta = (
                MessageMeta(forwarded, forward_origin, media_kind)
                if forwarded or forward_origin is not None or media_kind is not None
                else _PLAIN
            )
            hits.extend(self._run_heuristics(text, norm, triggers, meta))
        if hits and (allow_spans or cues):
            hits = self._suppress(hits, allow_spans, cues, folded)
        if (
            self._overrides
            and len(hits) > 1
            and any(h.category in self._loser_categories for h in hits)
        ):
            hits = self._override(hits, text)
        if want_pii:
            hits = self._pii_hits(text, hits)
        return self._dedupe(hits) if hits else hits

    def _pii_hits(self, text: str, hits: list[Hit]) -> list[Hit]:
        for match in find_pii(text):
            info = self._pii.get(match.kind)
            if info is not None:
                hits.append(
                    Hit(info.category, info.kind, info.article, text[match.start : match.end],
                        match.start, match.end, info.reason, "pii")
                )  # fmt: skip
        return hits

    def _run_heuristics(
        self, text: str, norm: Normalised, triggers: dict[int, list[Span]], meta: MessageMeta
    ) -> list[Hit]:
        order = sorted(triggers.keys() | self._message_level) if self._message_level else triggers
        hits: list[Hit] = []
        for index in order:
            spec = self._heuristics[index]
            for start, end in self._checks[index](spec, norm, triggers.get(index, []), meta):
                hits.append(
                    Hit(spec.category, spec.kind, spec.article, text[start:end], start, end,
                        spec.reason, "heuristic")
                )  # fmt: skip
        return hits

    def _suppress(
        self,
        hits: list[Hit],
        allow_spans: list[tuple[int, int, int]],
        cues: list[tuple[int, int, int]],
        folded: str,
    ) -> list[Hit]:
        """Drop hits inside an allow-listed phrase (of the categories its file applies to, all by
        default), and lexicon hits sharing a sentence with an
        enforcement/publicity cue (打击, 禁毒, 反诈 …) that is not itself part of a hit.
        Heuristics already weigh their own context, so cues leave them alone."""
        term_spans = [(h.start, h.end) for h in hits if h.source == "lexicon"]
        live_cues = [
            (ref, cs, ce)
            for ref, cs, ce in cues
            if not any(hs < ce and cs < he for hs, he in term_spans)
        ]
        kept: list[Hit] = []
        for hit in hits:
            if hit.end > hit.start and any(
                a <= hit.start and hit.end <= b and _applies(self._allow[ref], hit)
                for ref, a, b in allow_spans
            ):
                continue
            if live_cues and (hit.source == "lexicon" or (hit.category, hit.kind) in self._cued):
                lo, hi = _sentence_bounds(folded, hit.start)
                if any(
                    lo <= cs and ce <= hi and _applies(self._allow[ref], hit)
                    for ref, cs, ce in live_cues
                ):
                    continue
            kept.append(hit)
        return kept

    def _override(self, hits: list[Hit], text: str) -> list[Hit]:
        """Drop a hit of a lesser category sharing a sentence with a hit that overrides it
        (``出售…业主信息，需要的私聊`` is illegal, not also an advert; ``机密，仅限内部传阅`` is
        secret, not also internal)."""
        kept: list[Hit] = []
        for hit in hits:
            keys = {hit.category, f"{hit.category}.{hit.kind}"}
            losing = [w for w, losers in self._overrides if keys & losers]
            if losing and hit.end > hit.start:
                lo, hi = _sentence_bounds(text, hit.start)
                if any(
                    lo <= o.start < hi
                    and o.end > o.start
                    and any({o.category, f"{o.category}.{o.kind}"} & w for w in losing)
                    for o in hits
                ):
                    continue
            kept.append(hit)
        return kept

    def _dedupe(self, hits: list[Hit]) -> list[Hit]:
        """One hit per finding: drop exact repeats and spans inside a same-category hit."""
        if self._disabled:
            hits = [h for h in hits if h.category not in self._disabled]
        if len(hits) <= 1:
            return hits
        hits.sort(key=lambda h: (h.start, h.start - h.end, _RANK.get(h.category, 99), h.kind))
        result: list[Hit] = []
        for hit in hits:
            if hit.end == hit.start:  # message-level: only an identical one is a duplicate
                duplicate = any(
                    o.category == hit.category and o.kind == hit.kind and o.end == o.start
                    for o in result
                )
            else:
                duplicate = any(
                    o.category == hit.category and o.start <= hit.start and hit.end <= o.end
                    for o in result
                    if o.end > o.start
                )
            if not duplicate:
                result.append(hit)
        return result

    def categories(self, hits: Iterable[Hit]) -> list[str]:
        """The distinct categories of ``hits`` in the canonical order."""
        present = {h.category for h in hits}
        return [c for c in CATEGORIES if c in present]
