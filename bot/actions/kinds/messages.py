"""Deleting a message (the offending one, or the bot's own reminder when its timer falls due)."""

from __future__ import annotations

from bot.actions.spec import ActionContext, ActionSpec, Outcome
from bot.ports import RIGHT_DELETE
from rules.actions import ActionKind


async def delete(ctx: ActionContext) -> Outcome:
    message_id = ctx.decision.message_id
    if message_id is None:
        return Outcome("skipped", "no message to delete")
    if not ctx.caps.delete_message:
        return Outcome("fallback", "platform cannot delete others' messages; recorded only")
    adapter = ctx.adapter
    assert adapter is not None
    await ctx.services.retry(lambda: adapter.delete_message(ctx.target.chat_id, message_id))
    return Outcome("done")


SPECS = (ActionSpec(ActionKind.DELETE, delete, right=RIGHT_DELETE, reapply=True),)
