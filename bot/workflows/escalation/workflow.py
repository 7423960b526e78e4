"""The escalation workflow as the kernel sees it."""

from __future__ import annotations

from bot.workflows.escalation.action import WORKFLOW
from bot.workflows.escalation.responses import RESPONSES, EscalationResponder
from bot.workflows.kernel import Workflow


def escalation_workflow(responder: EscalationResponder) -> Workflow:
    return Workflow(
        name=WORKFLOW,
        verbs={verb: responder.answer for verb in RESPONSES},
        commands={verb: verb for verb in RESPONSES},  # /ack 12, /lift 12, /fp 12
    )
