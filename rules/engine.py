"""The rules engine: a pure function of (observation, group policy, member record) → decisions.

No I/O happens here. Rules are modules in ``rules/checks``, each exposing ``RULE``; the engine
discovers them, so adding a rule touches one file. Hard policy (blacklist, restriction, quiet
mode) runs before the real-name rule and content checks, and a hard-policy hit ends the run.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, replace
from typing import Protocol

from rules import checks
from rules.actions import ActionKind
from rules.decisions import Decision
from rules.detection.detector import Detector
from rules.observation import GroupState, MemberRecord, Observation
from rules.policy import GroupPolicy


@dataclass(frozen=True, slots=True)
class Context:
    observation: Observation
    policy: GroupPolicy
    member: MemberRecord
    group: GroupState
    detector: Detector


class Rule(Protocol):
    id: str
    order: int  # lower runs first
    final: bool  # a hit stops the rules after it

    def check(self, ctx: Context) -> list[Decision]: ...


def discover_rules() -> list[Rule]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if rule is not None:
            found.append(rule)
    return sorted(found, key=lambda r: r.order)


class Engine:
    def __init__(self, detector: Detector, rules: list[Rule] | None = None) -> None:
        self.detector = detector
        self.rules = rules if rules is not None else discover_rules()

    def decide(
        self,
        observation: Observation,
        policy: GroupPolicy,
        member: MemberRecord,
        group: GroupState | None = None,
    ) -> list[Decision]:
        if observation.is_service_account:
            # Linked-channel posts and anonymous admins are not members; never punish them.
            return []
        ctx = Context(observation, policy, member, group or GroupState(), self.detector)
        decisions: list[Decision] = []
        stopped = False
        for rule in self.rules:
            # Hard policy (quiet mode, a restriction) ends the run, except for rules the
            # regulations require whatever else applies: illegal content is still detected,
            # blacklisted and reported during quiet mode.
            if stopped and not getattr(rule, "always", False):
                continue
            found = rule.check(ctx)
            if stopped:
                found = [d for d in found if d.counts_as_offence and d.severity in _REPORTABLE]
                decisions = _without_covered(decisions, found)
            decisions.extend(found)
            if found and rule.final:
                stopped = True
        return _one_outcome(decisions)


_REPORTABLE = frozenset({"critical", "high"})
_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
# What a less severe decision about the same message still does: duties to report, which
# reach supervisors and admins, never the member or the group a second time.
_DUTIES = frozenset({ActionKind.ESCALATE, ActionKind.NOTIFY_ADMINS})


def _one_outcome(decisions: list[Decision]) -> list[Decision]:
    """One message, one outcome: the most severe decision acts; each other one keeps its
    record (evidence, offence count) and only the reporting duties the first does not
    already carry — no 群内警告 after a blacklisting. A decision left with nothing to do
    that is not an offence is dropped. The real-name rule is about the member's nickname,
    not the message, and keeps its own actions."""
    about_message = [d for d in decisions if d.category != "nickname"]
    if len(about_message) < 2:
        return decisions
    top = max(about_message, key=lambda d: _RANK.get(d.severity, 0))
    taken = set(top.actions)
    out: list[Decision] = []
    for d in decisions:
        if d is top or d.category == "nickname":
            out.append(d)
            continue
        kept = tuple(a for a in d.actions if a.kind in _DUTIES and a not in taken)
        taken.update(kept)
        if kept or d.counts_as_offence:
            out.append(replace(d, actions=kept))
    return out


def _without_covered(earlier: list[Decision], later: list[Decision]) -> list[Decision]:
    """Drop an earlier decision whose every action a later one takes anyway (quiet mode's
    delete, when the content rule deletes and blacklists): one message, one outcome."""
    kinds = {a.kind for d in later for a in d.actions}
    return [d for d in earlier if not {a.kind for a in d.actions} <= kinds]
