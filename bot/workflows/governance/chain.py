"""The approval chain as a small explicit state machine.

A filing is ``pending`` at step *i* of its chain (a tuple of roles, from config per class);
an approval moves it to step *i+1* or, after the last step, to ``approved``; a return sends
it to ``rejected`` (back to the submitter). Nothing else moves it, and a decided filing never
moves again — the table below is the whole of it.
"""

from __future__ import annotations

from dataclasses import dataclass

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
# (status, decision) → status after it, for a step that is not the last / the last.
_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    (PENDING, "approve"): (PENDING, APPROVED),
    (PENDING, "reject"): (REJECTED, REJECTED),
}


@dataclass(frozen=True, slots=True)
class State:
    status: str
    step: int


class NotAllowed(Exception):
    """The decision does not apply to the filing in its state (already decided)."""


def advance(steps: tuple[str, ...], state: State, decision: str) -> State:
    move = _TABLE.get((state.status, decision))
    if move is None:
        raise NotAllowed(f"{decision} on a {state.status} filing")
    middle, last = move
    if state.step + 1 < len(steps):
        return State(middle, state.step + 1 if middle == PENDING else state.step)
    return State(last, state.step)


def chain_for(group_class: str, temporary: bool) -> str:
    """Which chain a filing runs: temporary groups take the short one whatever their class."""
    return "temporary" if temporary else group_class
