"""The governance workflow as the kernel sees it: 通过/退回 buttons and ``/approve 12`` /
``/reject 12 理由``, and the lifecycle timers (``/filing`` and ``/handover`` are in the command
registry: see commands.py)."""

from __future__ import annotations

from bot.workflows.governance import service as gov
from bot.workflows.governance.service import Governance
from bot.workflows.kernel import Workflow


def governance_workflow(governance: Governance) -> Workflow:
    return Workflow(
        name=gov.WORKFLOW,
        verbs={"approve": governance.answer, "reject": governance.answer},
        commands={"approve": "approve", "reject": "reject"},
        commented=frozenset({"reject", "approve"}),
        usage="governance.verb_usage",
        timers={
            gov.STEP_REQUEST: governance.step_request,
            gov.STEP_REMIND: governance.step_remind,
            gov.STEP_ESCALATE: governance.step_escalate,
            gov.TEMP_BEFORE: governance.temp_before,
            gov.TEMP_END: governance.temp_end,
            gov.TEMP_OVERDUE: governance.temp_overdue,
            gov.INACTIVE: governance.inactive,
            gov.DISSOLVE: governance.dissolve,
        },
    )
