"""Config for governance: the approval chains (data, per class), reminder times, temporary
groups and dissolution."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rules.policy import Duration

# R2 Art.9 (一) internal, (二) external; Art.10 temporary (≤ 15 days): deputy director only.
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {
    "internal": ("deputy_director", "director", "registrar"),
    "external": ("deputy_director", "office_meeting", "director", "registrar"),
    "temporary": ("deputy_director",),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GovernanceSettings(_Section):
    enabled: bool = True
    # Which roles approve, in order, per class of group. The submission itself is step zero
    # (使用部门填报) and is not listed.
    chains: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_CHAINS))
    # A step left waiting this long is sent to its approver again ...
    step_reminder_after: Duration = timedelta(days=2)
    # ... and this long after it was requested, to the person holding escalate_to_role (or,
    # when that is the approver already, to the tier-1 supervisors).
    step_escalate_after: Duration = timedelta(days=4)
    escalate_to_role: str = "director"
    # R2 Art.10: a temporary group lives at most this long from its approval.
    temporary_max_days: int = 15
    temporary_remind_before: Duration = timedelta(days=1)
    # Not cancelled this long after its end date → reported to the tier-1 supervisors.
    temporary_escalate_after: Duration = timedelta(days=3)
    # R1 Art.14: a group without messages this long is reminded to dissolve ...
    inactive_after: Duration = timedelta(days=30)
    # ... and this long after a dissolution reminder (inactivity, end date, approved cancel)
    # the bot stops serving it and reports it.
    dissolve_after: Duration = timedelta(days=7)
    # Groups the bot is added to without a registry record: tell their admins once.
    notify_unfiled: bool = True
    # Tiered management (G5, R1 Art.13): policy defaults per class of group, merged over the
    # top-level policy and under a group's own overrides (same keys as ``policy``).
    class_policy: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("chains")
    @classmethod
    def _chains(cls, chains: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name in DEFAULT_CHAINS:
            if name not in chains:
                raise ValueError(f"a chain for {name} groups is required")
            if not chains[name]:
                raise ValueError(f"the {name} chain needs at least one step")
        return chains

    @field_validator("class_policy")
    @classmethod
    def _classes(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        unknown = sorted(set(value) - {"internal", "external"})
        if unknown:
            raise ValueError(f"{unknown[0]}: the classes are internal and external")
        return value

    @field_validator("temporary_max_days")
    @classmethod
    def _days(cls, value: int) -> int:
        if not 1 <= value <= 366:
            raise ValueError("must be between 1 and 366 days")
        return value
