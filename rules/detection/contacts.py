"""Links and contact handles used to advertise (C8 offtopic ads): URLs, short links, QR and
mini-program cards, ``加V/加微/vx/wx/扣扣/QQ号`` handles — an advert when the message also holds a
lure (兼职, 免费领取, 低价, 代理 …) or an evasive handle with an id after it (``加V：abc123``).

Links to a trusted domain (``Detector.load(trusted_domains=…)``, ``gov.cn`` by default, subdomains
included) are never adverts; warnings about such adverts (反诈, 骗局, 不要点击 …) are not either.
Configured in ``checks.toml`` as ``[heuristic.contact_ad]`` (``check = "contact_ad"``).
"""

from __future__ import annotations

import re

from rules.detection.heuristics import HeuristicSpec, MessageMeta, Span, _any_in
from rules.detection.normaliser import Normalised
from rules.detection.pii import fold_pii

_DOT = r"[.．。]"
_TLD = (
    r"(?:com|cn|net|org|cc|top|xyz|me|ly|io|vip|info|link|site|club|shop|co|tv|app|fun|ink|"
    r"wang|ren|work|pub|live|pro|icu|online|biz|gl|gd|im|to|tk|ml|store|tech|asia|hk|tw)"
)
# Necessary for a link: a scheme, www., or a dot (also full-width or 。) before a known TLD.
# Every branch starts with one character of a plain class, so the regex engine skips the
# Chinese text between by a bitmap test (a case-insensitive alternation tried all three branches
# at every position: ~2× slower). The class holds what (?i) lets [a-z] match: the ASCII letters
# and İ ı ſ K (U+212A); the same matches as ``(?i)https?[:：]|www{_DOT}|[a-z0-9]{_DOT}{_TLD}``.
_LETTER = "0-9A-Za-zİıſK"
# Every text ``may_hold_link`` passes holds one of these characters (a regex class body).
LINK_CHARS = f"{_LETTER}ｗｈ"
_GATE_RE = re.compile(
    rf"[{_LETTER}](?:(?<=[hH])(?i:ttps?)[:：]|(?<=[wW])(?i:ww){_DOT}|{_DOT}(?i:{_TLD})"
    rf"(?![{_LETTER[3:]}]))"
)
_URL_RE = re.compile(
    rf"(?i)(?<![@\w.])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?{_DOT})+{_TLD})"
    r"(?![a-z0-9])(?::\d{1,5})?(?:/[\w\-./?%&=#~+:]*)?"
)
_ID_AFTER_RE = re.compile(r"[\s:：=是为]{0,3}[a-z0-9][a-z0-9_\-]{4,}", re.IGNORECASE)


def may_hold_link(text: str) -> bool:
    """Cheap gate: False means the text holds no link ``find_links`` would find."""
    return _GATE_RE.search(text) is not None or "ｗｗｗ" in text or "ｈｔｔｐ" in text


def _trusted(host: str, trusted: tuple[str, ...]) -> bool:
    host = host.lower().replace("．", ".").replace("。", ".")
    return any(host == d or host.endswith("." + d) for d in trusted)


def find_links(text: str, trusted: tuple[str, ...] = ()) -> list[Span]:
    """Spans (in ``text``) of links to domains not in ``trusted``."""
    folded = fold_pii(text)
    return [m.span() for m in _URL_RE.finditer(folded) if not _trusted(m.group(1), trusted)]


def contact_ad(
    spec: HeuristicSpec, norm: Normalised, triggers: list[Span], meta: MessageMeta
) -> list[Span]:
    """A link, card or handle plus a lure (or an evasive handle with an id), no warning words."""
    trusted = spec.values.get("trusted", ())
    links = find_links(norm.original, trusted) if may_hold_link(norm.original) else []
    card = meta.media_kind is not None and meta.media_kind in spec.values.get("card_kinds", ())
    if not (links or triggers or card):
        return []
    if _any_in(norm.text, spec.words.get("except", ())) is not None:
        return []
    handles = [(norm.span(s, e), norm.text[s:e]) for s, e in triggers]
    if _any_in(norm.text, spec.words.get("lures", ())) is None:
        evasive = spec.words.get("evasive", ())
        folded = norm.folded
        handles = [
            (span, word)
            for span, word in handles
            if word in evasive and _ID_AFTER_RE.match(folded, span[1]) is not None
        ]
        if not handles:
            return []
        links = []  # only the evasive handle is evidence here
    found = [*links, *(span for span, _ in handles)]
    return found or [(0, 0)]
