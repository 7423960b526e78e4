"""Public-opinion risk signals (舆情风险, A3/A5): a curated lexicon and co-occurrence rules,
kept as data in ``signals.toml`` (format documented there). Pure: text in, explained hits
out. Each hit says which words fired and why, so an admin can judge the incident it opens."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

SIGNALS_FILE = Path(__file__).with_name("signals.toml")
# Sentences end at these: a trigger and its cue must share one.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
_NOISE = re.compile(r"[\s\u3000，,、“”\"'‘’…·~～*]+")


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str
    reason: str
    term: str
    cue: str | None  # the co-occurring word, when a trigger needed one
    major: bool


@dataclass(frozen=True, slots=True)
class SignalRule:
    kind: str
    reason: str
    major: bool
    terms: tuple[str, ...]
    triggers: tuple[str, ...]
    cues: tuple[str, ...]


def _clean(text: str) -> str:
    # Spaces and fillers inside a phrase ("找 记者", "扩…散") must not hide it.
    return _NOISE.sub("", text).casefold()


class OpinionLexicon:
    def __init__(self, rules: tuple[SignalRule, ...]) -> None:
        self.rules = rules
        # Every message is scanned: one alternation over all terms and triggers lets the
        # ordinary message (no candidate word at all) leave after a single C-level search.
        words = sorted({w for r in rules for w in (*r.terms, *r.triggers) if w}, key=len)
        self._any = re.compile("|".join(re.escape(w) for w in reversed(words)) or "(?!)")

    @classmethod
    def load(cls, path: Path = SIGNALS_FILE) -> OpinionLexicon:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        rules = []
        for kind, body in sorted(data.get("signal", {}).items()):
            rules.append(
                SignalRule(
                    kind,
                    str(body["reason"]),
                    bool(body.get("major", False)),
                    tuple(_clean(t) for t in body.get("terms", ())),
                    tuple(_clean(t) for t in body.get("triggers", ())),
                    tuple(_clean(t) for t in body.get("cues", ())),
                )
            )
        return cls(tuple(rules))

    def scan(self, text: str) -> list[Signal]:
        """Every rule that fires, once each, with the words that made it fire."""
        if not text or self._any.search(_clean(text)) is None:
            return []
        sentences = [_clean(s) for s in _SENTENCE_END.split(text)]
        found: list[Signal] = []
        for rule in self.rules:
            hit = _first(rule, sentences)
            if hit is not None:
                found.append(Signal(rule.kind, rule.reason, hit[0], hit[1], rule.major))
        return found


def _first(rule: SignalRule, sentences: list[str]) -> tuple[str, str | None] | None:
    for sentence in sentences:
        for term in rule.terms:
            if term in sentence:
                return term, None
        for trigger in rule.triggers:
            if trigger not in sentence:
                continue
            # The cue must be a word of its own, not the trigger itself ("曝光" in "曝光").
            rest = sentence.replace(trigger, "\0")
            for cue in rule.cues:
                if cue in rest:
                    return trigger, cue
    return None


__all__ = ["OpinionLexicon", "Signal", "SignalRule"]
