"""The content detector: normalise once, one automaton pass, then PII validators and heuristics.

``Detector.load`` is pure (it only reads lexicon files) and keeps nothing at module level, so a
reload is: build a new Detector, swap the reference.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rules.detection.chartable import build_char_map, read_homoglyphs, read_t2s
from rules.detection.contacts import LINK_CHARS, may_hold_link
from rules.detection.heuristics import HEURISTICS, HeuristicSpec, MessageMeta, Span
from rules.detection.hits import CATEGORIES, Hit
from rules.detection.lexicon import BUILTIN_DIR, AllowFile, LexiconSources, discover
from rules.detection.matcher import ALLOW, CUE, TERM, TRIGGER, Matcher, Role
from rules.detection.model import MODEL_PATH, TextModel
from rules.detection.normaliser import Normalised, Normaliser, SentenceIndex
from rules.detection.pii import PII_CHARS, find_pii, may_hold_pii, own_contact
from rules.detection.screen import ModelScreen
from rules.detection.variants import PinyinTable
from rules.detection.workchat import WORKCHAT_PATH, WorkchatModel

_MIN_TERM_CHARS = 2
_PLAIN = MessageMeta(False, None, None)
_DOUBLED_CJK = tuple(
    chr(c) * 2 for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)) for c in range(low, high + 1)
)
_RANK = MappingProxyType({c: i for i, c in enumerate(CATEGORIES)})
_RAW_LISTS = frozenset(
    {"triggers", "media_kinds", "require", "card_kinds"}
)  # not normalised as word lists
# Evidence bounds: a hit's ``match`` is clipped to this many characters (its span is not), and at
# most this many hits of one category and kind are kept per message (the first ones).
MAX_MATCH_CHARS = 120
MAX_HITS_PER_KIND = 10
# The models read at most this many characters of a message (a Telegram message's limit). They
# were fitted on messages of up to a few hundred, and a megabyte pasted in the console must not
# cost seconds of n-grams; the lexicons, heuristics and validators still read all of it.
MODEL_MAX_CHARS = 4096
# At most this many triggers per heuristic and message are looked at (a 1 MB message of one
# trigger word repeated must not cost a sentence scan per repeat).
_MAX_TRIGGERS = 64
# More repeat markers than this in a message and it is collapsed without looking closer.
_MAX_MARKERS = 16
# A number-only lexicon term (``8964``) is no hit when it is labelled as an identifier of a thing
# (``订单尾号8964``, ``验证码是8964``) or followed by a unit (``8964房间``, ``8964元``).
_NUMBER_LABELS = ("尾号", "单号", "订单", "编号", "工号", "房间", "房号", "验证码", "密码",
                  "号码", "电话", "手机", "分机", "取件码", "快递", "车牌", "账号", "卡号",
                  "工单", "批次", "货号", "序号", "门牌", "学号", "型号", "金额", "价格",
                  "邮编", "代码", "编码")  # fmt: skip
_NUMBER_UNITS = frozenset("号房室元块次件楼栋幢路米分个位台辆套户人期届栏排页")
_DIGITS = frozenset("0123456789")
_NOTHING: frozenset[str] = frozenset()
# A text with none of these characters can hold neither personal data nor a link: one search
# spares most messages both gates (a Chinese message without a digit or a Latin letter).
_MAY_HOLD_DATA_RE = re.compile(f"[{PII_CHARS}{LINK_CHARS}]")
# Recent plain messages found clean, remembered whole: work chat repeats itself (a notice posted
# to every group, then a column of "收到"), and a repeat costs one look-up instead of a pass.
# Two generations of at most this many texts each: when the newer fills up, it becomes the older
# and the older is dropped, so the most recent texts are always kept (emptying one memo when full
# would forget "收到" along with the rest). Only texts this short are kept: full, the memo holds
# ~14 MB of 35-character texts and ~35 MB at most (docs/detection.md, round 15).
CLEAN_MEMO_SIZE = 32768
CLEAN_MEMO_MAX_CHARS = 200


# The categories the COLD classifier's hits fall in (abuse, or harmful discrimination).
_COLD_CATEGORIES = frozenset({"abuse", "harmful"})


@dataclass(frozen=True, slots=True)
class _Info:
    category: str
    kind: str
    article: str
    reason: str


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _labelled_number(folded: str, start: int, end: int) -> bool:
    before = folded[max(0, start - 6) : start]
    if any(label in before for label in _NUMBER_LABELS):
        return True
    return end < len(folded) and folded[end] in _NUMBER_UNITS


# The models learnt Chinese chat: a message without a Chinese character ("is bad", "ok 👍") is
# left to the rules (a listed "sb", "nmsl"), which is where every such violation of the labelled
# sets is found.
_CJK_RE = re.compile("[\u3400-\u9fff]")


def _for_models(prepared: str) -> str:
    """What the models read of a message's prepared text: its first ``MODEL_MAX_CHARS``."""
    return prepared[:MODEL_MAX_CHARS] if len(prepared) > MODEL_MAX_CHARS else prepared


def _clip(match: str) -> str:
    return match if len(match) <= MAX_MATCH_CHARS else match[: MAX_MATCH_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """How the classifier's score becomes a hit (``Detector.load``'s ``model_*`` arguments)."""

    model: TextModel
    review: float  # at or above: a hit with needs_review=True (the admins decide)
    high: float  # at or above: a hit acted on like a lexicon hit
    min_chars: int  # shorter prepared texts are not scored ("收到", "好的")
    groups: tuple[str, ...]  # a group word present: harmful/discrimination, else abuse
    abuse: _Info
    discrimination: _Info


@dataclass(frozen=True, slots=True)
class WorkchatSettings:
    """How the work-chat model's gate score becomes a hit (``Detector.load``'s ``workchat_*``)."""

    model: WorkchatModel
    review: float  # at or above: a hit with needs_review=True
    high: float  # at or above: acted on, unless its category is review-only
    min_chars: int
    infos: dict[str, _Info]  # per category the model may name (disabled categories left out)
    review_only: frozenset[str]  # categories whose model hits always go to the admins
    hold: bool  # a review-only guess at or above ``high`` is held: removed while admins decide
    # A rule's hit on a message the gate scores below ``doubt_below`` goes to the admins instead
    # of being acted on, when it is a heuristic's or a listed word of at most ``doubt_chars``
    # characters (a longer phrase is specific enough to stand on its own), of a category in
    # ``doubt``. 0 turns it off.
    doubt_below: float = 0.0
    doubt_chars: int = 0
    doubt: frozenset[str] = frozenset()
    # The gate's probability from which the second look scores a message (``hidden.py``); its
    # score then meets ``review`` and ``high``. Without a second look: ``review``, the gate's own.
    screen: float = 1.0


def doubtable(hit: Hit, settings: WorkchatSettings) -> bool:
    """A rule's hit the gate's verdict of plainly ordinary talk outweighs: a heuristic's, or a
    short listed word's (``毒品``, ``网传``, ``拉票``: words a notice or a report uses too), of a
    category the gate may doubt. Validated personal data, longer listed phrases and model hits
    stand."""
    if hit.needs_review or hit.category not in settings.doubt:
        return False
    if hit.source == "heuristic":
        return True
    return hit.source == "lexicon" and hit.end - hit.start <= settings.doubt_chars


def _doubted(hit: Hit, gate_p: float) -> Hit:
    # Built directly: ``dataclasses.replace`` inspects the fields on every call.
    return Hit(hit.category, hit.kind, hit.article, hit.match, hit.start, hit.end, hit.reason,
               hit.source, round(gate_p, 4), hit.features, True, hit.hold, True)  # fmt: skip


def _thresholds(
    label: str,
    shipped: dict[str, float],
    review: float | None,
    high: float | None,
    *,
    default_high: float,
    builder: _Builder,
) -> tuple[float, float]:
    """A model's (review, high): the arguments, else the model file's; an impossible pair is a
    warning and review set to high, not a crash."""
    high = float(high if high is not None else shipped.get("high", default_high))
    review = float(review if review is not None else shipped.get("review", high))
    if not 0.0 < review <= high <= 1.0:
        builder.warnings.append(
            f"{label} thresholds must satisfy 0 < review <= high <= 1 (got {review}, {high}); "
            "review set to high"
        )
        review = high = min(max(high, 0.01), 1.0)
    return review, high


_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》", "〈": "〉", '"': '"', "'": "'", "‘": "’"}


def _quoted(text: str, start: int, end: int, slack: int) -> bool:
    """Whether ``text[start:end]`` lies inside one pair of quotation marks that holds little
    else: at most ``slack`` more characters (an allow file's ``@quote_room``: 4 for a word,
    "“刷单群”", more for an utterance on record), none of them a sentence end."""
    lo = max(0, start - slack)
    for i in range(start - 1, lo - 1, -1):
        close = _QUOTES.get(text[i])
        if close is not None:
            room = slack - (start - 1 - i)
            j = text.find(close, end, end + room + 1)
            return j >= 0
        if text[i] in "。！？!?\n":
            return False
    return False


def _applies(allow: AllowFile, hit: Hit) -> bool:
    return not allow.applies or bool({hit.category, f"{hit.category}.{hit.kind}"} & allow.applies)


class _Cover:
    """Spans indexed by start with the running furthest end: does one contain, or overlap, a
    query span? O(log n) per query."""

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self._starts = [a for a, _ in spans]
        reach: list[int] = []
        furthest = -1
        for _, b in spans:
            furthest = max(furthest, b)
            reach.append(furthest)
        self._reach = reach

    def contains(self, start: int, end: int) -> bool:
        """Some span [a, b] with a <= start and end <= b."""
        k = bisect_right(self._starts, start)
        return k > 0 and self._reach[k - 1] >= end

    def overlaps(self, start: int, end: int) -> bool:
        """Some span [a, b] with a < end and start < b."""
        k = bisect_left(self._starts, end)
        return k > 0 and self._reach[k - 1] > start


class _Builder:
    """Collects patterns and their roles while a Detector is loaded."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.patterns: dict[str, list[Role]] = {}
        self.warnings: list[str] = []

    def add(self, term: str, role: Role, where: str, *, short: bool = False) -> str | None:
        """``short``: a one-character trigger is allowed (a check that reads only whole short
        messages, where the character costs a look, not a hit)."""
        norm = self.normaliser.term(term)
        if len(norm) < (1 if short else _MIN_TERM_CHARS):
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
        model: ModelSettings | None = None,
        own_contact_cues: tuple[str, ...] = (),
        own_contact_not_work: tuple[str, ...] = (),
        own_contact_after: tuple[str, ...] = (),
        workchat: WorkchatSettings | None = None,
    ) -> None:
        self._normaliser = normaliser
        self._model = model
        self._workchat = workchat
        # Both models' first look at a message, in one pass over its clauses (``screen.py``).
        self._clean: set[str] = set()  # the newer generation of clean texts
        self._clean_older: set[str] = set()
        self._screen = (
            ModelScreen(
                model.model if model is not None else None,
                model.review if model is not None else 1.0,
                workchat.model.gate if workchat is not None else None,
            )
            if model is not None or workchat is not None
            else None
        )
        # Shorter texts are not screened: no model scores them.
        self._min_chars = min((s.min_chars for s in (model, workchat) if s is not None), default=0)
        # The gate's probability from which a work-chat hit may follow (never, with no model): its
        # review threshold, or with a second look the screen that passes a message to it.
        self._gate_screen = workchat.screen if workchat is not None else 2.0
        # Links are found by a regex, not the automaton: a message that may hold one runs the
        # contact check even when no handle word was matched.
        self._contact_index = next(
            (i for i, h in enumerate(heuristics) if h.check == "contact_ad"), None
        )
        self._card_kinds = frozenset(
            k for h in heuristics if h.check == "contact_ad" for k in h.values.get("card_kinds", ())
        )
        self._own_contact_cues = tuple(own_contact_cues)
        self._own_contact_not_work = tuple(own_contact_not_work)
        self._own_contact_after = tuple(own_contact_after)
        self._numeric = frozenset(i for i, p in enumerate(patterns) if set(p) <= _DIGITS)
        # Repeat markers: every doubled CJK character ("赌赌", "谢谢"), after the real patterns.
        # The fast path matches text with repeats not yet collapsed; a marker match says the
        # text needs collapsing and a second pass (a fifth of chat messages, 哈哈 and 谢谢).
        self._first_marker = len(patterns)
        self._matcher = Matcher([*patterns, *_DOUBLED_CJK])
        # Every three characters of a pattern around a CJK character inside it ("网赌平" of
        # "网赌平台"): what a collapsed run must sit between for collapsing to make a new match.
        self._inner_triples = frozenset(
            p[i - 1 : i + 2] for p in patterns for i in range(1, len(p) - 1) if p[i] >= "\u3400"
        )
        self._find = self._matcher.finder()
        self._roles = tuple(roles)
        self._latin_edges = tuple(
            (_latin(p[0]), _latin(p[-1])) if p.isascii() or _latin(p[0]) or _latin(p[-1])
            else (False, False)
            for p in patterns
        )  # fmt: skip
        self._infos = tuple(infos)
        self._allow = tuple(allow_files)
        # Per allow file: the categories its cues silence model hits of (all, when it lists none).
        # Quoted-mention cues (标题, 原话, 两个字) are everyday words: they silence no model.
        self._cue_categories = tuple(
            frozenset()
            if f.mode == "quoted"
            else frozenset(a.split(".", 1)[0] for a in f.applies)
            if f.applies
            else frozenset(CATEGORIES)
            for f in self._allow
        )
        self._heuristics = tuple(heuristics)
        # Per allow file: whether its cues keep the COLD classifier quiet. An enforcement or
        # publicity cue does (it quotes what it warns of); a ``guess`` cue only where its file
        # names a category the classifier's hits fall in (abuse, harmful).
        self._cue_silences_cold = tuple(
            f.mode != "quoted" and (f.mode != "guess" or bool(cats & _COLD_CATEGORIES))
            for f, cats in zip(self._allow, self._cue_categories, strict=True)
        )
        # Per allow file: the categories whose model guesses its cues send to the admins.
        self._cue_review = tuple(f.review if f.mode == "guess" else _NOTHING for f in self._allow)
        # Patterns that are only ``guess`` cues ("辛苦了", "下雨了"): a message matching nothing
        # else stays on the clean path, where the cues' effect on the models is applied.
        self._guess_only = frozenset(
            pid
            for pid, pattern_roles in enumerate(self._roles)
            if pattern_roles
            and all(r.role == CUE and self._allow[r.ref].mode == "guess" for r in pattern_roles)
        )
        # Files whose cues drop rule hits in their sentence (``guess`` cues drop none).
        self._dropping_cue = tuple(f.mode in ("context", "quoted") for f in self._allow)
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
        model: Path | TextModel | None = MODEL_PATH,
        model_review: float | None = None,
        model_high: float | None = None,
        model_min_chars: int = 4,
        trusted_domains: Collection[str] = ("gov.cn",),
        own_contact_ok: bool = True,
        workchat: Path | WorkchatModel | None = WORKCHAT_PATH,
        workchat_review: float | None = None,
        workchat_high: float | None = None,
    ) -> Detector:
        """Build a detector from the built-in lexicons (``rules/lexicons``) and ``lexicon_dirs``
        in order; a later file with the same relative path replaces an earlier one.

        ``model``: the shipped classifier (default), another model file, or None for none.
        ``model_review`` / ``model_high``: score thresholds (default: the model file's, chosen on
        COLD dev); a score at or above ``model_high`` is a hit acted on, one in between is a hit
        with ``needs_review``. ``trusted_domains``: links to these domains (and their
        subdomains) are never advertising. ``own_contact_ok``: the sender's own mobile or e-mail
        given in a work context (``联系我 138…``) is not a privacy hit. ``workchat``: the
        shipped work-chat model (default), another file, or None; ``workchat_review`` /
        ``workchat_high`` its thresholds (default: the file's, chosen out of fold)."""
        dirs = [BUILTIN_DIR] if include_builtin else []
        dirs.extend(Path(d) for d in lexicon_dirs)
        sources = discover(dirs)
        char_map = build_char_map(read_t2s(), read_homoglyphs(sources.homoglyph_files))
        normaliser = Normaliser(char_map)
        if isinstance(model, str | Path):
            model = TextModel.load(Path(model))
        if isinstance(workchat, str | Path):
            workchat = WorkchatModel.load(Path(workchat))
        return cls._from_sources(
            sources,
            normaliser,
            frozenset(disabled_categories),
            model=model,
            model_review=model_review,
            model_high=model_high,
            model_min_chars=model_min_chars,
            trusted_domains=tuple(trusted_domains),
            own_contact_ok=own_contact_ok,
            workchat=workchat,
            workchat_review=workchat_review,
            workchat_high=workchat_high,
        )

    @classmethod
    def _from_sources(
        cls,
        sources: LexiconSources,
        normaliser: Normaliser,
        disabled: frozenset[str],
        *,
        model: TextModel | None = None,
        model_review: float | None = None,
        model_high: float | None = None,
        model_min_chars: int = 4,
        trusted_domains: tuple[str, ...] = (),
        own_contact_ok: bool = True,
        workchat: WorkchatModel | None = None,
        workchat_review: float | None = None,
        workchat_high: float | None = None,
    ) -> Detector:
        pinyin = PinyinTable.load()
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
                forms = [term, *pinyin.variants(term)] if "py" in flags else [term]
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
        trusted = tuple(d.lower().strip(".") for d in trusted_domains if d.strip("."))
        heuristics = [
            replace(h, values={**h.values, "trusted": trusted}) if h.check == "contact_ad" else h
            for h in heuristics
        ]
        own_cues: tuple[str, ...] = ()
        own_not_work: tuple[str, ...] = ()
        own_after: tuple[str, ...] = ()
        if own_contact_ok:
            own = sources.checks.get("own_contact", {})
            if own.get("enabled", True):
                own_cues = tuple(own.get("cues", ()))
                own_not_work = tuple(own.get("not_work", ()))
                own_after = tuple(own.get("cues_after", ()))
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
            model=cls._model_settings(
                model, sources.checks, normaliser, disabled, model_review, model_high,
                model_min_chars, builder,
            ),
            own_contact_cues=own_cues,
            own_contact_not_work=own_not_work,
            own_contact_after=own_after,
            workchat=cls._workchat_settings(
                workchat, sources.checks, disabled, workchat_review, workchat_high,
                model_min_chars, builder,
            ),
        )  # fmt: skip

    @staticmethod
    def _workchat_settings(
        model: WorkchatModel | None,
        checks: dict[str, Any],
        disabled: frozenset[str],
        review: float | None,
        high: float | None,
        min_chars: int,
        builder: _Builder,
    ) -> WorkchatSettings | None:
        table = checks.get("workchat")
        if model is None or table is None or not table.get("enabled", True):
            return None  # no [workchat] table (a detector without the built-in lexicons)
        review, high = _thresholds(
            "work-chat model", model.thresholds, review, high, default_high=1.0, builder=builder
        )
        infos = {
            name: _Info(name, t.get("kind", "model"), t["article"], t["reason"])
            for name in model.categories.names
            if name not in disabled and (t := table.get(name))
        }
        missing = [n for n in model.categories.names if n not in disabled and n not in infos]
        if missing:
            builder.warnings.append(f"checks.toml: [workchat.{missing[0]}] needed")
            return None
        return WorkchatSettings(
            model,
            review,
            high,
            min_chars,
            infos,
            frozenset(table.get("review_only", ())),
            bool(table.get("hold", False)),
            float(table.get("doubt_below", 0.0)),
            int(table.get("doubt_chars", 0)),
            frozenset(table.get("doubt", ())),
            # A second look's screen stays below the review threshold, whatever the config sets.
            min(model.thresholds.get("screen", review), review)
            if model.hidden is not None
            else review,
        )

    @staticmethod
    def _model_settings(
        model: TextModel | None,
        checks: dict[str, Any],
        normaliser: Normaliser,
        disabled: frozenset[str],
        review: float | None,
        high: float | None,
        min_chars: int,
        builder: _Builder,
    ) -> ModelSettings | None:
        table = checks.get("model")
        if model is None or table is None or not table.get("enabled", True):
            return None  # no [model] table (a detector without the built-in lexicons): no model
        if "abuse" in disabled and "harmful" in disabled:
            return None
        review, high = _thresholds(
            "model", model.thresholds, review, high, default_high=0.9, builder=builder
        )
        infos = {
            key: _Info(t["category"], t["kind"], t["article"], t["reason"])
            for key in ("abuse", "discrimination")
            for t in [table.get(key, {})]
            if t
        }
        if len(infos) < 2:
            builder.warnings.append("checks.toml: [model.abuse] and [model.discrimination] needed")
            return None
        groups = tuple(filter(None, (normaliser.term(g) for g in table.get("groups", ()))))
        return ModelSettings(
            model, review, high, min_chars, groups, infos["abuse"], infos["discrimination"]
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
        tables = checks.get("heuristic", {})
        for name, table in tables.items():
            check = table.get("check", name)
            if "except_from" in table:
                # One list for kin checks (two threats share their offers of help): the named
                # check's ``except`` words, as extended by any extra directory, then this one's.
                source = tables.get(table["except_from"])
                if source is None:
                    builder.warnings.append(
                        f"checks.toml: [heuristic.{name}] except_from "
                        f"{table['except_from']!r}: no such heuristic"
                    )
                else:
                    table = {
                        **table,
                        "except": [*source.get("except", ()), *table.get("except", ())],
                    }
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
            short = bool(table.get("short_triggers", False))
            added = (
                builder.add(t, role, f"heuristic {name}", short=short)
                for t in table.get("triggers", ())
            )
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
                    next_sentence=bool(table.get("next_sentence", False)),
                    whole_message=bool(table.get("whole_message", False)),
                )
            )
        return specs

    # -- detection ---------------------------------------------------------------------------

    @property
    def term_count(self) -> int:
        """Distinct normalised lexicon terms (pinyin forms included)."""
        return self._term_count

    def prepare_for_model(self, text: str) -> str:
        """What the classifier scores: the prepared text (folded, separators dropped, repeats
        kept) up to ``MODEL_MAX_CHARS``, exactly as ``detect`` computes it."""
        return _for_models(self._normaliser.prepare(text or "")[0])

    @property
    def model(self) -> ModelSettings | None:
        return self._model

    @property
    def workchat(self) -> WorkchatSettings | None:
        return self._workchat

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
        # Only a message with nothing but its text is remembered: a forward or a card is judged
        # with what came with it.
        plain = not forwarded and forward_origin is None and media_kind is None
        if plain:
            if text in self._clean:
                return []
            if text in self._clean_older:
                self._remember_clean(text)  # still in use: kept into the next generation
                return []
        normaliser = self._normaliser
        prepared, same_offsets = normaliser.prepare(text)
        want_pii = want_links = False
        if _MAY_HOLD_DATA_RE.search(text) is not None:
            want_pii = self._pii_on and may_hold_pii(text)
            want_links = self._contact_index is not None and may_hold_link(text)
        if media_kind is not None and not want_links:
            want_links = self._contact_index is not None and media_kind in self._card_kinds
        raw = self._find(prepared)
        collapsed = None
        first_marker = self._first_marker
        if raw and max(raw)[0] >= first_marker:  # markers have the highest pattern ids
            if (
                min(raw)[0] >= first_marker
                and not (forwarded or media_kind or want_links)
                and not self._collapsing_matters(prepared, raw)
            ):
                # Only repeats no pattern runs through ("谢谢", "哈哈哈"): collapsing would find
                # nothing, and the clean path below reads no collapsed text.
                raw = []
            else:
                collapsed = normaliser.collapse(prepared)  # a repeated character: collapse, redo
                raw = self._find(collapsed)
        guess_raw: list[tuple[int, int, int]] = []
        if (
            raw
            and not (forwarded or media_kind or want_links)
            and all(pid in self._guess_only for pid, _, _ in raw)
        ):
            # Only words of care ("辛苦了"): no rule has anything to find, the models are told.
            guess_raw, raw = raw, []
        if not raw and not forwarded and not media_kind and not want_links:
            hits = self._pii_hits(text, []) if want_pii else []
            screen = self._screen
            if screen is not None and len(prepared) >= self._min_chars:
                # Nearly every message ends here: screened, and no model has anything to add.
                read = _for_models(prepared)
                verdict = screen(read)
                if hits or verdict[0] or verdict[1] >= self._gate_screen:
                    refs = [role.ref for pid, _, _ in guess_raw for role in self._roles[pid]]
                    cold, silenced, doubted = self._cue_effect(refs)
                    hits = self._model_hits(read, hits, cold=cold, silenced=silenced,
                                            verdict=verdict, doubted=doubted)  # fmt: skip
            if hits:
                return self._dedupe(hits)
            if plain and not want_pii:
                self._remember_clean(text)
            return hits
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
        numeric = self._numeric
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
            if pid in numeric and _labelled_number(folded, start, end):
                continue  # "订单尾号8964", "8964房间"
            for role in self._roles[pid]:
                if role.role == TERM:
                    info = self._infos[role.ref]
                    hits.append(
                        Hit(info.category, info.kind, info.article, _clip(text[start:end]), start,
                            end, info.reason, "lexicon")
                    )  # fmt: skip
                elif role.role == ALLOW:
                    allow_spans.append((role.ref, start, end))
                elif role.role == CUE:
                    cues.append((role.ref, start, end))
                else:
                    triggers.setdefault(role.ref, []).append((s, e))
        if want_links:
            triggers.setdefault(self._contact_index, [])  # type: ignore[arg-type]

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
        if self._screen is not None:
            # Enforcement or publicity wording ("警惕…都是骗子") quotes what it warns of: no COLD
            # hit at all (it reads quoted offence as offence), and no work-chat guess of a
            # category the cue's file applies to (a fraud warning silences a guess of fraud, not
            # one of somebody's private details beside it).
            # A quoted-mention cue's file silences nothing, so it leaves the COLD classifier on.
            # A ``guess`` cue (everyday care: "早日康复", "路上慢点") keeps the models from
            # guessing its file's categories, and drops no rule's hit.
            cold, silenced, doubted = self._cue_effect([ref for ref, _, _ in cues])
            if len(hits) > MAX_HITS_PER_KIND:
                # A word repeated a million times: keep the evidence before the gate's doubt is
                # applied to each hit. Dedupe keeps every category present, which is all the
                # models look at, and doubting after it changes no hit it keeps.
                hits = self._dedupe(hits)
            hits = self._model_hits(prepared, hits, cold=cold, silenced=silenced, doubted=doubted)
        if hits:
            return self._dedupe(hits)
        if plain and not want_pii:
            self._remember_clean(text)
        return hits

    def _cue_effect(self, refs: Sequence[int]) -> tuple[bool, frozenset[str], frozenset[str]]:
        """What the cues of these allow files (one ref per cue seen) let the models do: whether
        the COLD classifier may add a hit, the categories the work-chat model may not name, and
        those whose work-chat guess only asks the admins."""
        if not refs:
            return True, _NOTHING, _NOTHING
        cold = not any(self._cue_silences_cold[ref] for ref in refs)
        silenced = frozenset().union(*(self._cue_categories[ref] for ref in refs))
        doubted = frozenset().union(*(self._cue_review[ref] for ref in refs))
        return cold, silenced, doubted

    def _remember_clean(self, text: str) -> None:
        """Remember a plain message found clean (``CLEAN_MEMO_SIZE``). Callers pass none that
        may hold personal data: whether an ID number's birth date is valid depends on the day."""
        if len(text) <= CLEAN_MEMO_MAX_CHARS:
            clean = self._clean
            if len(clean) >= CLEAN_MEMO_SIZE:
                self._clean_older = clean
                self._clean = clean = set()
            clean.add(text)

    def _collapsing_matters(self, prepared: str, markers: list[tuple[int, int, int]]) -> bool:
        """Whether collapsing the repeats ``markers`` found may make a match the uncollapsed text
        has not: only when a pattern holds a run's character inside it, between the characters
        that stand either side of the run. A pattern that starts or ends with the character
        already matches the run's last or first one, and one holding a doubled character matches
        no collapsed text."""
        if len(markers) > _MAX_MARKERS:
            return True  # a long run or many: collapse as always, no walking of runs here
        triples = self._inner_triples
        last = len(prepared) - 1
        for _, start, end in markers:
            char = prepared[start]
            if start > 0 and prepared[start - 1] == char:
                continue  # inside a run: its first marker looks
            end -= 1  # the run's last character so far
            while end < last and prepared[end + 1] == char:
                end += 1
            if start == 0 or end == last:
                continue  # at an end of the text: nothing stands on that side
            if prepared[start - 1] + char + prepared[end + 1] in triples:
                return True
        return False

    def _model_hits(
        self,
        prepared: str,
        hits: list[Hit],
        *,
        cold: bool,
        silenced: frozenset[str],
        doubted: frozenset[str],
        verdict: tuple[bool, float] | None = None,
    ) -> list[Hit]:
        """``hits`` plus each model's hit: one screening pass (``verdict``, when the caller has
        it already) says which model may have one. ``cold``: whether the COLD classifier may add
        one; ``silenced``: categories the work-chat model may not name; ``doubted``: categories
        whose work-chat guess only asks the admins."""
        assert self._screen is not None
        if len(prepared) < self._min_chars or _CJK_RE.search(prepared) is None:
            return hits
        prepared = _for_models(prepared)
        cold_may_reach, gate_p = verdict if verdict is not None else self._screen(prepared)
        workchat = self._workchat
        if hits and workchat is not None and gate_p < workchat.doubt_below:
            hits = [_doubted(h, gate_p) if doubtable(h, workchat) else h for h in hits]
        if cold and cold_may_reach:
            model_hit = self._model_hit(prepared, hits)
            if model_hit is not None:
                hits.append(model_hit)
        if workchat is not None and gate_p >= workchat.screen:
            hidden = workchat.model.hidden
            p = hidden.probability(prepared) if hidden is not None else gate_p
            if p >= workchat.review:
                hits = self._with_workchat(prepared, p, hits, silenced, doubted)
        return hits

    def _with_workchat(
        self,
        prepared: str,
        p: float,
        hits: list[Hit],
        silenced: frozenset[str],
        doubted: frozenset[str],
    ) -> list[Hit]:
        """``hits`` plus the work-chat model's hit for a text the gate let through with ``p``,
        when the category it names has no hit yet (a rule's hit says it better)."""
        settings = self._workchat
        assert settings is not None
        if len(prepared) < settings.min_chars:
            return hits
        guess = settings.model.categories.guess(prepared)
        info = settings.infos.get(guess.category)
        if (
            info is None
            or guess.category in silenced
            or any(h.category == guess.category for h in hits)
        ):
            return hits
        review_only = guess.category in settings.review_only
        asked = guess.category in doubted  # everyday care beside it: the admins decide
        hit = Hit(
            info.category, info.kind, info.article, "", 0, 0, info.reason, "model",
            score=round(p, 4),
            features=guess.top,
            needs_review=p < settings.high or review_only or asked,
            hold=review_only and settings.hold and p >= settings.high and not asked,
        )  # fmt: skip
        return [*hits, hit]

    def _model_hit(self, prepared: str, hits: Sequence[Hit]) -> Hit | None:
        """The classifier's hit for a text the screen could not clear, unless a lexicon or
        heuristic hit of its category (in ``hits``) already says it better: then the text is
        not even scored."""
        settings = self._model
        assert settings is not None
        if len(prepared) < settings.min_chars:
            return None
        model = settings.model
        info = None
        if hits:
            info = self._model_info(prepared)
            if any(h.category == info.category for h in hits):
                return None
        p = model.probability(prepared)
        if p < settings.review:
            return None
        explained = model.explain(prepared)
        if info is None:
            info = self._model_info(prepared)
        return Hit(
            info.category, info.kind, info.article, "", 0, 0, info.reason, "model",
            score=round(explained.probability, 4),
            features=tuple(g for g, _ in explained.top),
            needs_review=p < settings.high,
        )  # fmt: skip

    def _model_info(self, prepared: str) -> _Info:
        """What a model hit would be: discrimination when the text names a group, else abuse."""
        settings = self._model
        assert settings is not None
        if any(g in prepared for g in settings.groups):
            return settings.discrimination
        return settings.abuse

    def _pii_hits(self, text: str, hits: list[Hit]) -> list[Hit]:
        cues = self._own_contact_cues
        found = find_pii(text)
        if found and cues and any(w in text for w in self._own_contact_not_work):
            cues = ()  # an advert's number is no colleague's work phone
        for match in found:
            info = self._pii.get(match.kind)
            if info is None:
                continue
            if cues and own_contact(text, match, cues, self._own_contact_after):
                continue  # the sender's own work phone or e-mail ("联系我 138…")
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
            seen = triggers.get(index, [])[:_MAX_TRIGGERS]
            for start, end in self._checks[index](spec, norm, seen, meta):
                hits.append(
                    Hit(spec.category, spec.kind, spec.article, _clip(text[start:end]), start,
                        end, spec.reason, "heuristic")
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
        Heuristics already weigh their own context, so cues leave them alone.

        O((hits + spans) log spans): allow spans are indexed per file by start, with the running
        furthest end; cues per sentence."""
        covers = _Cover([(h.start, h.end) for h in hits if h.source == "lexicon"])
        dropping = self._dropping_cue
        live_cues = [
            (ref, cs, ce) for ref, cs, ce in cues if dropping[ref] and not covers.overlaps(cs, ce)
        ]
        allow_by_ref: dict[int, list[tuple[int, int]]] = {}
        for ref, a, b in allow_spans:
            allow_by_ref.setdefault(ref, []).append((a, b))
        allow_index = [(self._allow[ref], _Cover(spans)) for ref, spans in allow_by_ref.items()]
        sentences = SentenceIndex(folded) if live_cues else None
        cues_by_sentence: dict[int, list[tuple[int, int, int]]] = {}
        if sentences is not None:
            for cue in live_cues:
                cues_by_sentence.setdefault(sentences.index(cue[1]), []).append(cue)
        kept: list[Hit] = []
        for hit in hits:
            if hit.end > hit.start and any(
                cover.contains(hit.start, hit.end) and _applies(allow, hit)
                for allow, cover in allow_index
            ):
                continue
            if sentences is not None and (
                hit.source == "lexicon" or (hit.category, hit.kind) in self._cued
            ):
                lo, hi = sentences.bounds(hit.start)
                if any(
                    lo <= cs
                    and ce <= hi
                    and _applies(self._allow[ref], hit)
                    and (
                        self._allow[ref].mode != "quoted"
                        or _quoted(folded, hit.start, hit.end, self._allow[ref].quote_room)
                    )
                    for ref, cs, ce in cues_by_sentence.get(sentences.index(hit.start), ())
                ):
                    continue
            kept.append(hit)
        return kept

    def _override(self, hits: list[Hit], text: str) -> list[Hit]:
        """Drop a hit of a lesser category sharing a sentence with a hit that overrides it
        (``出售…业主信息，需要的私聊`` is illegal, not also an advert; ``机密，仅限内部传阅`` is
        secret, not also internal). Linear: the winners' keys are collected per sentence."""
        sentences = SentenceIndex(text)
        present: dict[int, set[str]] = {}
        for o in hits:
            if o.end > o.start:
                present.setdefault(sentences.index(o.start), set()).update(
                    (o.category, f"{o.category}.{o.kind}")
                )
        kept: list[Hit] = []
        for hit in hits:
            keys = {hit.category, f"{hit.category}.{hit.kind}"}
            losing = [w for w, losers in self._overrides if keys & losers]
            if losing and hit.end > hit.start:
                there = present.get(sentences.index(hit.start), set())
                if any(there & w for w in losing):
                    continue
            kept.append(hit)
        return kept

    def _dedupe(self, hits: list[Hit]) -> list[Hit]:
        """One hit per finding: drop exact repeats and spans inside a same-category hit; keep at
        most MAX_HITS_PER_KIND hits of one category and kind. O(n log n) (the sort)."""
        if self._disabled:
            hits = [h for h in hits if h.category not in self._disabled]
        if len(hits) <= 1:
            return hits
        hits.sort(key=lambda h: (h.start, h.start - h.end, _RANK.get(h.category, 99), h.kind))
        result: list[Hit] = []
        furthest: dict[str, int] = {}  # per category: the furthest end of a kept span so far
        message_level: set[tuple[str, str]] = set()
        per_kind: dict[tuple[str, str], int] = {}
        for hit in hits:
            key = (hit.category, hit.kind)
            if hit.end == hit.start:  # message-level: only an identical one is a duplicate
                if key in message_level:
                    continue
                message_level.add(key)
            else:
                # Every kept span starts at or before this one (sorted), so this one lies inside
                # one of them exactly when the furthest end reaches past its end.
                if furthest.get(hit.category, -1) >= hit.end:
                    continue
                furthest[hit.category] = hit.end
            count = per_kind.get(key, 0)
            if count >= MAX_HITS_PER_KIND:
                continue
            per_kind[key] = count + 1
            result.append(hit)
        return result

    def categories(self, hits: Iterable[Hit]) -> list[str]:
        """The distinct categories of ``hits`` in the canonical order."""
        present = {h.category for h in hits}
        return [c for c in CATEGORIES if c in present]
