"""Heuristics for what a word list cannot decide alone (C3 markings, C4 internal matters, C7
unverified information, and two C1/C2 patterns that need two words in one sentence).

Each heuristic is configured in ``checks.toml`` (category, kind, article, reason, trigger words and
its other word lists) and is run only when the automaton saw one of its triggers, except the
message-level ones (``forwarded_media``), which look at the event fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rules.detection.normaliser import Normalised


@dataclass(frozen=True, slots=True)
class MessageMeta:
    forwarded: bool
    forward_origin: str | None
    media_kind: str | None


@dataclass(frozen=True, slots=True)
class HeuristicSpec:
    name: str
    category: str
    kind: str
    article: str
    reason: str
    triggers: tuple[str, ...]  # normalised
    words: Mapping[str, tuple[str, ...]]  # other normalised word lists, by name
    values: Mapping[str, tuple[str, ...]]  # raw (not normalised) lists, e.g. media kinds
    cues: bool = False  # enforcement/publicity cues drop its hits as they drop lexicon hits
    check: str = ""  # the function in HEURISTICS, when not ``name`` (``check = "cooccurrence"``)
    window: int = (
        0  # cooccurrence: other words within this many characters of the trigger (0: sentence)
    )
    next_sentence: bool = False  # pair checks: the sentence after the trigger's counts too
    whole_message: bool = False  # cooccurrence: the other words anywhere in the message


Span = tuple[int, int]
Heuristic = Callable[[HeuristicSpec, Normalised, list[Span], MessageMeta], list[Span]]

# A number with a unit (``47处``, ``85%``), also approximate (``1200余人``, ``30多户``,
# ``二百余间``; Chinese numerals only with 余/多, so ``一起`` and ``三人行`` are no quantity).
_QUANTITY_RE = re.compile(
    r"(?:\d+(?:[.,]\d+)?\s*(?:余|多)?|[一二两三四五六七八九十百千万]+[余多来])\s*(?:万|亿)?\s*"
    r"(?:%|‰|人次|人|户|例|起|件|处|家|元|吨|宗|次|名|所|座|辆|头|只|间|栋|幢|套|项|位|台|批|"
    r"床|小时|公斤|千克|平方米|平方公里|立方米|毫米|亩|公里|个百分点|倍)"
)
_PERCENT_RE = re.compile(r"\d+(?:\.\d+)?\s*[%‰]")
_MARKING_RE = re.compile(
    r"(?:绝密|机密|秘密)\s*[★☆*✱✲⭐•·▲△]\s*(?:\d+|[一二三四五六七八九十]+)?\s*(?:年|个月|月)?"
    r"|[【\[(<《](?:绝密|机密|秘密)[】\])>》]"
    r"|(?:绝密|机密|秘密)(?:级|等级)"
    r"|密级\s*[:：]?\s*(?:绝密|机密|秘密)"
)
_QUOTE_OPENERS = frozenset(":：“\"「『'")
# Between 批示/指示 and the quote: spaces, 的, and a copula (是, 为, 就是, 如下).
_INTRO_RE = re.compile(r"[\s的]*(?:就是|如下|是|为)?\s*")


def _any_in(text: str, words: tuple[str, ...]) -> tuple[int, int] | None:
    """First occurrence (start, end) in ``text`` of any word, or None."""
    best: tuple[int, int] | None = None
    for word in words:
        i = text.find(word)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, i + len(word))
    return best


def _memo_any(memo: dict, text: str, lo: int, hi: int, words: tuple[str, ...]):
    """``_any_in(text[lo:hi], words)`` once per sentence and word list: many triggers in one long
    sentence must not rescan it each time."""
    key = (lo, hi, id(words))
    if key not in memo:
        memo[key] = _any_in(text[lo:hi], words)
    return memo[key]


def _sentence_span(norm: Normalised, pos: int) -> tuple[int, int, int, int]:
    """Normalised and original bounds of the sentence holding normalised ``pos``."""
    lo, hi = norm.sentence(pos)
    olo, ohi = norm.span(lo, hi) if hi > lo else norm.span(pos, pos + 1)
    return lo, hi, olo, ohi


def secret_marking(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Classification markings as printed on documents: ``秘密★1年``, ``【机密】``,
    ``密级：秘密``."""
    return [(m.start(), m.end()) for m in _MARKING_RE.finditer(norm.folded)]


def statistics(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Statistics with no sign-off (R2 Art.13(5)): a statistics word plus a quantity, and no
    sign-off or official-source wording anywhere in the message."""
    quantities = list(_QUANTITY_RE.finditer(norm.folded))  # cheaper first: most have none
    if not quantities:
        return []
    if _any_in(norm.text, spec.words.get("signoff", ())) is not None:
        return []
    enough = (
        len(quantities) >= 2
        or _PERCENT_RE.search(norm.folded) is not None
        or _any_in(norm.text, spec.words.get("strong", ())) is not None
    )
    if not enough:
        return []
    start, end = norm.span(*triggers[0])
    return [(min(start, quantities[0].start()), max(end, quantities[-1].end()))]


def hearsay(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Hedged news (据说/听说/网传) that is forwarded, alarming or carries numbers, unless the
    message says it was checked (``verified``: "我刚打电话核实了", "经检测合格", "是谣言")."""
    if _any_in(norm.text, spec.words.get("verified", ())) is not None:
        return []
    found: list[Span] = []
    memo: dict = {}
    alarming = spec.words.get("alarming", ())
    for s, e in triggers:
        lo, hi, olo, ohi = _sentence_span(norm, s)
        alarm = _memo_any(memo, norm.text, lo, hi, alarming)
        if alarm is not None:
            found.append(norm.span(min(s, lo + alarm[0]), max(e, lo + alarm[1])))
        elif meta.forwarded or _QUANTITY_RE.search(norm.folded, olo, ohi):
            found.append(norm.span(s, e))
    return found


def forwarded_media(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Forwarded video/audio/images of unknown origin (R1 Art.11): a message-level hit with the
    empty span 0..0."""
    if not meta.forwarded or (meta.forward_origin or "").strip():
        return []
    if (meta.media_kind or "").lower() in spec.values.get("media_kinds", ()):
        return [(0, 0)]
    return []


def instruction(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """A leader's 批示/指示 passed on: a leader title before it, and its wording, a photo or a
    copy after it."""
    found: list[Span] = []
    memo: dict = {}
    disclosure = spec.words.get("disclosure", ())
    titles = spec.words.get("titles", ())
    for s, e in triggers:
        lo, hi, _olo, ohi = _sentence_span(norm, s)
        title = None
        for word in titles:
            i = norm.text.rfind(word, max(lo, s - 12), s)
            if i >= 0 and (title is None or i < title):
                title = i
        if title is None:
            continue
        ostart, oend = norm.span(title, e)
        rest = norm.folded[oend:ohi]
        rest = rest[_INTRO_RE.match(rest).end() :]  # "批示是：“…”", "指示如下："
        cue = _memo_any(memo, norm.text, lo, hi, disclosure)
        if (rest and rest[0] in _QUOTE_OPENERS) or cue is not None:
            if cue is not None:
                oend = max(oend, norm.span(lo + cue[0], lo + cue[1])[1])
            found.append((ostart, oend))
    return found


def minutes(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """What was said or decided in an internal meeting, passed on (minutes, photos, leaks)."""
    found: list[Span] = []
    memo: dict = {}
    disclosure = spec.words.get("disclosure", ())
    for s, e in triggers:
        lo, hi, _, _ = _sentence_span(norm, s)
        cue = _memo_any(memo, norm.text, lo, hi, disclosure)
        if cue is not None:
            found.append(norm.span(min(s, lo + cue[0]), max(e, lo + cue[1])))
    return found


def _pair_in_sentence(key: str) -> Heuristic:
    """Trigger word and a word of list ``key`` in the same sentence."""

    def check(
        spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
    ) -> list[Span]:
        found: list[Span] = []
        memo: dict = {}
        words = spec.words.get(key, ())
        for s, e in triggers:
            lo, hi, _, _ = _sentence_span(norm, s)
            if spec.next_sentence and hi < len(norm.text):
                hi = norm.sentence(hi + 1)[1]  # a reply to a rhetorical question ("…？骗鬼呢")
            other = _memo_any(memo, norm.text, lo, hi, words)
            if other is not None:
                found.append(norm.span(min(s, lo + other[0]), max(e, lo + other[1])))
        return found

    check.__doc__ = f"Trigger and a {key!r} word in one sentence."
    return check


def cooccurrence(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """A trigger and a word of every list named in ``require`` in one sentence, and no word of
    ``except`` there: what one word cannot decide (a card game and a stake, a scam state and a
    lure, a sale and residents' data). Configured in checks.toml with ``check = "cooccurrence"``;
    ``window = N`` narrows "one sentence" to N characters either side of the trigger;
    ``whole_message = true`` widens it to the message (a question after the news's "？":
    "…吊销？谁知道真假")."""
    found: list[Span] = []
    required = spec.values.get("require", ())
    unless = spec.words.get("except", ())
    window = spec.window
    memo: dict = {}
    text = norm.text
    for s, e in triggers:
        # normalised bounds only: no offset map unless something is found
        lo, hi = (0, len(text)) if spec.whole_message else norm.sentence(s)
        if unless and _memo_any(memo, text, lo, hi, unless) is not None:
            continue  # ``except`` words count anywhere in the sentence
        if window:
            lo, hi = max(lo, s - window), min(hi, e + window)
        first, last = s, e
        for key in required:
            other = _memo_any(memo, text, lo, hi, spec.words.get(key, ()))
            if other is None:
                break
            first, last = min(first, lo + other[0]), max(last, lo + other[1])
        else:
            found.append(norm.span(first, last))
    return found


def unreviewed_figures(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Figures passed on while saying they are not reviewed yet (``还没审，先发群里``, ``未经核实先
    报给大家``): a trigger plus a quantity anywhere in the message, and no ``except`` word (a rule
    such as ``未经审核的数据一律不得发群`` is no leak)."""
    if _any_in(norm.text, spec.words.get("except", ())) is not None:
        return []
    quantity = _QUANTITY_RE.search(norm.folded) or _PERCENT_RE.search(norm.folded)
    if quantity is None:
        return []
    start, end = norm.span(*triggers[0])
    return [(min(start, quantity.start()), max(end, quantity.end()))]


# An @mention: what a bare insult may be said to ("@赵磊 饭桶").
_MENTION_RE = re.compile(r"[@＠][^\s@＠,，:：。.!！?？]{1,16}")
_NOT_WORD_RE = re.compile(r"[\W_]+")  # punctuation, spaces, emoji: CJK and Latin are \w
BARE_MAX_CHARS = 24  # longer than any bare insult with its fillers and a mention


def bare_insult(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """A message that is nothing but contempt ("滚", "废物！", "老巫婆，心理变态", "@赵磊 饭桶"):
    words that are ordinary inside a sentence ("滚动播放", "废物利用", "神经病学") are an insult
    when they are all that is said. Every piece of the message, once @mentions, punctuation and
    emoji are taken out, is a trigger with at most ``filler`` words around it ("你个", "真是",
    "啊"); a piece of anything else ("猪队友 又掉链子") leaves the message to the other checks."""
    text = norm.folded
    if len(text) > BARE_MAX_CHARS:
        return []
    pieces = [p for p in _NOT_WORD_RE.split(_MENTION_RE.sub(" ", text.lower())) if p]
    if not pieces:
        return []
    insults = spec.triggers
    # Longest first, whatever the list's order: "你个" is one filler, not "你" then a stray "个".
    fillers = tuple(sorted(spec.words.get("filler", ()), key=len, reverse=True))
    for piece in pieces:
        if not _only_insult(piece, insults, fillers):
            return []
    start, end = triggers[0]
    return [norm.span(start, end)]


def _only_insult(piece: str, insults: tuple[str, ...], fillers: tuple[str, ...]) -> bool:
    """``piece`` is one trigger with filler words before and after it."""
    for word in insults:
        at = piece.find(word)
        if (
            at >= 0
            and _all_fillers(piece[:at], fillers)
            and _all_fillers(piece[at + len(word) :], fillers)
        ):
            return True
    return False


def _all_fillers(rest: str, fillers: tuple[str, ...]) -> bool:
    """``rest`` is made of filler words only (``fillers`` longest first)."""
    while rest:
        for word in fillers:
            if rest.startswith(word):
                rest = rest[len(word) :]
                break
        else:
            return False
    return True


def _contact_ad(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """Links and contact handles paired with a lure (rules/detection/contacts.py)."""
    from rules.detection.contacts import contact_ad  # contacts imports this module

    return contact_ad(spec, norm, triggers, meta)


HEURISTICS: Mapping[str, Heuristic] = MappingProxyType(
    {
        "secret_marking": secret_marking,
        "statistics": statistics,
        "hearsay": hearsay,
        "forwarded_media": forwarded_media,
        "instruction": instruction,
        "minutes": minutes,
        "martyrs": _pair_in_sentence("denial"),
        "disaster_mockery": _pair_in_sentence("mockery"),
        "cooccurrence": cooccurrence,
        "contact_ad": _contact_ad,
        "unreviewed_figures": unreviewed_figures,
        "bare_insult": bare_insult,
    }
)
