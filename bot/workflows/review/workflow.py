"""The review workflow as the kernel sees it."""

from __future__ import annotations

from bot.workflows.kernel import Workflow
from bot.workflows.review.action import WORKFLOW
from bot.workflows.review.responses import RESPONSES, ReviewResponder


def review_workflow(responder: ReviewResponder) -> Workflow:
    return Workflow(
        name=WORKFLOW,
        verbs={verb: responder.answer for verb in RESPONSES},
        # /confirm 12, /dismiss 12: distinct from escalation's /ack /lift /fp.
        commands={verb: verb for verb in RESPONSES},
        usage="review.verb_usage",
    )
