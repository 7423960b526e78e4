"""The incident workflow as the kernel sees it: its timer (notices left by the command line)."""

from __future__ import annotations

from bot.workflows.incident.desk import TELL_TIMER, IncidentDesk
from bot.workflows.kernel import Workflow

WORKFLOW = "incident"


def incident_workflow(desk: IncidentDesk) -> Workflow:
    return Workflow(name=WORKFLOW, verbs={}, timers={TELL_TIMER: desk.on_timer})
