"""The members commands a group sees: ``/members`` (the member audit, admins), ``/task``,
``/tasks`` (交办事项), ``/lost`` and ``/found`` (lost or lent accounts). The verbs ``/keep``,
``/remove`` (a flagged member) and ``/done`` (a task) run through the workflow kernel."""

from __future__ import annotations

from bot.events import CommandIssued
from bot.workflows.members.audit import ARTICLE as ARTICLE_POST
from bot.workflows.members.audit import counts
from bot.workflows.members.lost import LostAccounts
from bot.workflows.members.service import Members
from bot.workflows.members.tasks import Tasks


class MembersCommands:
    def __init__(self, members: Members, tasks: Tasks, lost: LostAccounts) -> None:
        self._m = members
        self._t = members.t
        self.task = tasks.create
        self.tasks = tasks.listing
        self.lost = lost.lost
        self.found = lost.found

    async def members(self, event: CommandIssued) -> list[str]:
        """The audit now: the full list privately to the admins and the responsible person
        (names of people stay out of the group), the counts in the group."""
        m = self._m
        if not await m.admins.is_admin(event.platform, event.chat_id, event.sender):
            return await m.refuse(event, "audit", "sender is not an admin", ARTICLE_POST)
        report = await m.audits.audit(event.platform, event.chat_id, event.chat_title)
        group = await m.group(event.platform, event.chat_id)
        told = await m.audits.send_report(report, group)
        await m.journal(
            "audit_sent",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            params=counts(report) | {"told": told, "scheduled": False},
            article=ARTICLE_POST,
        )
        if told == [f"group:{event.chat_id}"]:
            return []  # nobody could be told privately: the report itself went to the group
        return [self._t("members.audit_summary", **counts(report))]
