"""The members workflows as the kernel sees them: 确认保留 / 移出 on a flagged member
(``wf:mem:<id>:keep|remove``, ``/keep 12`` ``/remove 12``), 完成 on a task
(``wf:task:<id>:done``, ``/done 12``), the commands, and the timers."""

from __future__ import annotations

from bot.workflows.kernel import Workflow
from bot.workflows.members import service as mem
from bot.workflows.members import tasks as task
from bot.workflows.members.audit import AUDIT
from bot.workflows.members.commands import MembersCommands
from bot.workflows.members.lost import LostAccounts
from bot.workflows.members.service import Members
from bot.workflows.members.tasks import Tasks


def members_workflows(members: Members) -> list[Workflow]:
    tasks, lost = Tasks(members), LostAccounts(members)
    members.join_hooks = (lost.on_join,)
    commands = MembersCommands(members, tasks, lost)
    return [
        Workflow(
            name=mem.WORKFLOW,
            verbs={"keep": members.answer, "remove": members.answer},
            commands={"keep": "keep", "remove": "remove"},
            usage="members.flag_usage",
            runners={
                "members": commands.members,
                "lost": commands.lost,
                "found": commands.found,
                "consent": members.consent,
            },
            timers={AUDIT: members.audits.audit_due, mem.LEFT_POST: members.left_post_due},
        ),
        Workflow(
            name=task.WORKFLOW,
            verbs={"done": tasks.done},
            commands={"done": "done"},
            usage="members.done_usage",
            runners={"task": commands.task, "tasks": commands.tasks},
            timers={task.REMIND: tasks.remind, task.OVERDUE: tasks.overdue},
        ),
    ]
