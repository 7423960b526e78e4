"""Config for members (issue 12): the roster checks on join and rename, the member cap, the
periodic member audit, task reminders. ``members.groups`` overrides any of them per group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from rules.policy import Duration, _identifier

Schedule = Literal["monthly", "weekly", "off"]
CapAction = Literal["refuse", "report"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Overridable(_Section):
    flag_strangers: bool | None = None
    flag_invites: bool | None = None
    member_cap: int | None = None
    cap_action: CapAction | None = None
    audit: Schedule | None = None
    audit_day: int | None = None
    audit_time: time | None = None
    inactive_after: Duration | None = None

    @field_validator("member_cap")
    @classmethod
    def _cap(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("a member cap is at least 1")
        return value


class GroupMembersSettings(_Overridable):
    platform: str
    chat_id: str

    @field_validator("chat_id", mode="before")
    @classmethod
    def _text_id(cls, value: object) -> object:
        return _identifier(value)


@dataclass(frozen=True, slots=True)
class GroupMembersPolicy:
    """The members settings that apply to one group, overrides resolved."""

    flag_strangers: bool
    flag_invites: bool
    member_cap: int | None
    cap_action: CapAction
    audit: Schedule
    audit_day: int
    audit_time: time
    inactive_after: timedelta


class MembersSettings(_Section):
    enabled: bool = True
    # 无关人员: a joiner (or a renamed member) not on the roster is flagged to the admins.
    flag_strangers: bool = True
    # External groups (成员范围 includes the public) may turn stranger flags off for all of them.
    flag_strangers_external: bool = True
    # An invitation by someone who is neither an admin nor on the owning unit's roster.
    flag_invites: bool = True
    # Member cap per class of group (the group's own 成员人数上限 in the registry wins).
    class_caps: dict[Literal["internal", "external"], int] = {}
    # A join beyond the cap: refuse (remove with a notice) or report to the admins.
    cap_action: CapAction = "refuse"
    # The periodic member audit (定期检查群成员): monthly on audit_day (1-28), weekly on
    # audit_day (1 = Monday … 7 = Sunday), or off; at audit_time in the configured zone.
    audit: Schedule = "monthly"
    audit_day: int = 1
    audit_time: time = time(9, 0)
    # A member who has not spoken this long is listed as inactive in the audit.
    inactive_after: Duration = timedelta(days=30)
    # A join request (QQ's 加群申请) from someone not on the roster, once a roster exists:
    # leave it to the admins (ignore), tell the admins and leave it pending (hold), or refuse
    # it with a reason (refuse). The blacklisted are always refused.
    join_requests: Literal["ignore", "hold", "refuse"] = "hold"
    # Tasks (交办事项): assignees are reminded this long before the due time.
    task_remind_before: Duration = timedelta(hours=2)
    groups: tuple[GroupMembersSettings, ...] = ()

    @model_validator(mode="after")
    def _days(self) -> MembersSettings:
        for where, schedule, day in [("", self.audit, self.audit_day)] + [
            (f"groups.{i}.", g.audit or self.audit, g.audit_day) for i, g in enumerate(self.groups)
        ]:
            if day is None:
                continue
            limit = 28 if schedule == "monthly" else 7
            if not 1 <= day <= limit:
                raise ValueError(f"{where}audit_day: between 1 and {limit} for a {schedule} audit")
        return self

    def for_group(
        self, platform: str, chat_id: str, group_class: str, registry_cap: int | None
    ) -> GroupMembersPolicy:
        own = next(
            (g for g in self.groups if g.platform == platform and g.chat_id == chat_id), None
        )

        def pick(name: str, default: object) -> object:
            value = getattr(own, name) if own is not None else None
            return default if value is None else value

        strangers = self.flag_strangers and (
            group_class != "external" or self.flag_strangers_external
        )
        # The registry's cap is the group's record (config or filing); then the override here;
        # then the class default.
        cap = registry_cap or (own.member_cap if own else None)
        cap = cap or self.class_caps.get(group_class)  # type: ignore[call-overload]
        return GroupMembersPolicy(
            flag_strangers=bool(pick("flag_strangers", strangers)),
            flag_invites=bool(pick("flag_invites", self.flag_invites)),
            member_cap=cap,
            cap_action=pick("cap_action", self.cap_action),  # type: ignore[arg-type]
            audit=pick("audit", self.audit),  # type: ignore[arg-type]
            audit_day=pick("audit_day", self.audit_day),  # type: ignore[arg-type]
            audit_time=pick("audit_time", self.audit_time),  # type: ignore[arg-type]
            inactive_after=pick("inactive_after", self.inactive_after),  # type: ignore[arg-type]
        )
