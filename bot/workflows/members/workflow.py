"""The members workflows as the kernel sees them: 确认保留 / 移出 on a flagged member
(``wf:mem:<id>:keep|remove``, ``/keep 12`` ``/remove 12``), 完成 on a task
(``wf:task:<id>:done``, ``/done 12``), the commands, and the timers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.commands.spec import CommandSpec
from bot.events import CommandIssued
from bot.workflows.kernel import Workflow
from bot.workflows.members import service as mem
from bot.workflows.members import tasks as task
from bot.workflows.members.audit import AUDIT
from bot.workflows.members.commands import MembersCommands
from bot.workflows.members.lost import LostAccounts
from bot.workflows.members.service import Members
from bot.workflows.members.tasks import Tasks

Runner = Callable[[CommandIssued], Awaitable[list[str]]]


def _command(
    name: str, usage: str, admin: bool, runner: Runner, article: str = "R2 Art.11"
) -> CommandSpec:
    """A members command in the command registry; the runner checks who may act itself
    (owner, admin, the member concerned) and journals its refusals."""

    async def run(tools: object, event: CommandIssued, spec: CommandSpec) -> list[str]:
        return await runner(event)

    return CommandSpec(name, usage, admin, run, article=article)


def members_workflows(members: Members) -> tuple[list[Workflow], list[CommandSpec]]:
    """The workflows (buttons, text verbs, timers) and the commands of the members feature."""
    tasks, lost = Tasks(members), LostAccounts(members)
    members.join_hooks = (lost.on_join,)
    commands = MembersCommands(members, tasks, lost)
    specs = [
        _command("members", "/members", True, commands.members, "R1 Art.4"),
        _command("task", "/task @成员 <期限> 事项", False, commands.task),
        _command("tasks", "/tasks", False, commands.tasks),
        _command("lost", "/lost @账号 [出借]", False, commands.lost, "R2 Art.15"),
        _command("found", "/found @账号", True, commands.found, "R2 Art.15"),
        _command("consent", "/consent @成员", False, members.consent, "R2 Art.12"),
    ]
    workflows = [
        Workflow(
            name=mem.WORKFLOW,
            verbs={"keep": members.answer, "remove": members.answer},
            commands={"keep": "keep", "remove": "remove"},
            usage="members.flag_usage",
            timers={AUDIT: members.audits.audit_due, mem.LEFT_POST: members.left_post_due},
        ),
        Workflow(
            name=task.WORKFLOW,
            verbs={"done": tasks.done},
            commands={"done": "done"},
            usage="members.done_usage",
            timers={task.REMIND: tasks.remind, task.OVERDUE: tasks.overdue},
        ),
    ]
    return workflows, specs
