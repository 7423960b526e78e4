"""What the engine returns: a decision names the rule, the article, the evidence and the actions."""

from __future__ import annotations

from dataclasses import dataclass, field

from rules.actions import Action


@dataclass(frozen=True, slots=True)
class Evidence:
    """The matched text and its span in the ORIGINAL message, with the reason it matched."""

    match: str
    start: int
    end: int
    kind: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    rule: str  # rule id, e.g. "content", "nickname", "blacklist"
    article: str  # e.g. "R1 Art.7"
    category: str  # e.g. "illegal", "nickname", "restricted"
    severity: str  # "info" | "low" | "medium" | "high" | "critical"
    actions: tuple[Action, ...]
    user_id: str | None = None  # the member acted upon
    message_id: str | None = None
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""  # catalogue key explaining the decision to people
    # Whether this decision counts as an offence on the member's record (drives the ladder).
    counts_as_offence: bool = False
    offence_number: int = 0  # this offence's number within the window, when it counts
    params: dict[str, str] = field(default_factory=dict)  # extra values for message texts
