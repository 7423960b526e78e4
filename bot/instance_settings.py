"""Config for running several instances on one PostgreSQL database (issue 16)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, field_validator

from rules.policy import Duration


class InstanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A stable name for this process (e.g. the pod or host name). With one, a restart takes
    # its own unfinished work back at once; without one each start is a new instance and
    # what the last one left waits for its lease to lapse. Also GROUPGUARD_INSTANCE_ID.
    id: str | None = None
    # How long an instance that stopped renewing keeps its inbox rows and intents. Longer
    # than any pause a healthy process takes (a slow database, a garbage collection).
    lease: Duration = timedelta(seconds=30)
    # How long a claimed timer is left to its claimer before another instance fires it.
    timer_lease: Duration = timedelta(minutes=2)
    # How often the feed of other instances' changes (blacklist, quiet mode, a member's
    # standing) is read; within this, a change made elsewhere holds here too.
    changes_poll: Duration = timedelta(milliseconds=500)
    # How long handled update ids are kept to recognise a repeated delivery.
    keep_update_ids: Duration = timedelta(days=7)

    @field_validator("lease", "timer_lease", "changes_poll", "keep_update_ids")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value
