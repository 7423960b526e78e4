"""The explainable result of content detection: one ``Hit`` per thing found in a message."""

from __future__ import annotations

from dataclasses import dataclass

# The order is part of the interface: reports and policies list categories in this order.
CATEGORIES: tuple[str, ...] = (
    "illegal",  # 违法信息, R1 Art.7
    "harmful",  # 不良信息, R1 Art.9
    "secret",  # 涉密, R1 Art.11, R2 Art.14
    "internal",  # 敏感/内部, R1 Art.11, R2 Art.13(2), 16
    "privacy",  # 隐私, R2 Art.13(3), 17
    "abuse",  # 人身攻击, R1 Art.7(10), R2 Art.13(4)
    "unverified",  # 未经证实, R1 Art.11, R2 Art.13(5)
    "offtopic",  # 无关, R2 Art.13(6)
)

SOURCES: tuple[str, ...] = ("lexicon", "pii", "heuristic", "model")


@dataclass(frozen=True, slots=True)
class Hit:
    category: str
    kind: str
    article: str
    match: str  # text[start:end] of the ORIGINAL message
    start: int
    end: int
    reason: str
    source: str
    # Model hits (source "model") only: P(offensive), the n-grams that weighed most, and whether
    # the score lies between the review and the high threshold (admins decide; nothing is done).
    score: float | None = None
    features: tuple[str, ...] = ()
    needs_review: bool = False
    # A review-only category's guess at or above the high threshold: the message is taken down
    # at once while the admins decide the sanction (needs_review stays True: nobody is punished
    # on the guess alone).
    hold: bool = False
    # A rule's hit (a short listed word or a heuristic) on a message the work-chat gate scores as
    # plainly ordinary work talk (``score`` is then the gate's probability): the admins decide
    # (needs_review is True) instead of the member being punished for a word used innocently.
    doubted: bool = False

    @property
    def acted(self) -> bool:
        """Whether something is done about it at once: a sure hit, or a held guess."""
        return not self.needs_review or self.hold
