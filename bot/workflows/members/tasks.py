"""Tasks (交办事项, REQUIREMENTS A7, R2 Art.11(2)): the owner or an admin assigns a task in the
group; assignees answer with the 完成 button or ``/done <id>``; a reminder before the due
time and, when it passes, the owner is told. Every state change is journaled; reminders are
persisted timers keyed by the task, so a restart changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.events import CommandIssued
from bot.workflows.kernel import Answer, Request, TimerDue, button
from bot.workflows.members.due import DueError, parse_due
from bot.workflows.members.service import Members
from storage.repository import Repository
from storage.tasks import TaskRepository, TaskRow

log = logging.getLogger(__name__)

WORKFLOW = "task"  # buttons wf:task:<id>:done
REMIND, OVERDUE = "mem_task_remind", "mem_task_overdue"
ARTICLE = "R2 Art.11"


@dataclass(frozen=True, slots=True)
class Assignee:
    user_id: str
    name: str


class Tasks:
    def __init__(self, members: Members) -> None:
        self.m = members
        self.t = members.t

    async def create(self, event: CommandIssued) -> list[str]:
        usage = self.t("command.usage", usage=self.t("members.task_usage"))
        if not await self.m.owner_or_admin(event):
            return await self.m.refuse(event, "task", "not the owner or an admin", ARTICLE)
        assignees: list[Assignee] = []
        if event.target is not None:
            assignees.append(Assignee(event.target.user_id, event.target.nickname))
        rest: list[str] = []
        for arg in event.args:
            if arg.startswith("@") and len(arg) > 1 and not rest:
                who = await self.m.resolve(event.platform, event.chat_id, arg)
                if who is None:
                    return [self.t("members.task_unknown_member", name=arg)]
                assignees.append(Assignee(who.user_id, who.nickname))
            else:
                rest.append(arg)
        unique = list({a.user_id: a for a in assignees}.values())
        if not unique or not rest:
            return [usage]
        now = self.m.clock.now()
        try:
            due, used = parse_due(rest, now, self.m.settings.zone)
        except DueError as exc:
            await self.m.journal(
                "task_rejected",
                event.platform,
                event.chat_id,
                event.sender.user_id,
                outcome="rejected",
                detail=f"due time not understood: {exc}",
                article=ARTICLE,
            )
            return [self.t("members.task_bad_due", value=str(exc) or rest[0]), usage]
        text = " ".join(rest[used:]).strip()
        if not text:
            return [usage]
        who = await self.m.directory.who(event.platform, event.sender.user_id)
        creator = who.name if who else event.sender.nickname
        task_id = await self.m.store.write(
            lambda r: TaskRepository(r.c).add(
                platform=event.platform,
                chat_id=event.chat_id,
                created_by=event.sender.user_id,
                creator_name=creator,
                text=text,
                due_at=due,
                at=now,
                assignees=[(a.user_id, a.name) for a in unique],
            )
        )
        remind = due - self.m.cfg.task_remind_before

        async def arm(r: Repository) -> None:
            key = str(task_id)
            if remind > now:
                await r.arm_timer(REMIND, event.platform, event.chat_id, key, remind, now)
            await r.arm_timer(OVERDUE, event.platform, event.chat_id, key, due, now)

        await self.m.store.write(arm)
        await self.m.journal(
            "task_created",
            event.platform,
            event.chat_id,
            event.sender.user_id,
            params={
                "task": task_id,
                "due": due.isoformat(),
                "assignees": [a.user_id for a in unique],
            },
            detail=text[:200],
            article=ARTICLE,
        )
        names = " ".join(f"@{a.name}" for a in unique)
        announce = self.t(
            "members.task_created",
            id=task_id,
            text=text,
            due=self.m.local(due),
            assignees=names,
            by=creator,
        )
        await self.m.messenger.send(
            event.platform,
            event.chat_id,
            announce,
            mention=[a.user_id for a in unique],
            buttons=(button(WORKFLOW, task_id, "done", self.t("members.button_done")),),
            reply_to=event.message_id,
        )
        for a in unique:  # privately too, where the platform allows
            await self.m.messenger.private(
                event.platform,
                a.user_id,
                self.t("members.task_private", id=task_id, text=text, due=self.m.local(due)),
            )
        return []

    async def done(self, request: Request) -> Answer:
        task = await self._get(request.record_id)
        if task is None or task.platform != request.platform:
            return Answer(self.t("members.task_unknown", id=request.record_id), True, "unknown")
        user = request.who.user_id
        if user not in {a.user_id for a in task.assignees}:
            return Answer(self.t("members.task_not_yours", id=task.id), True, "not an assignee")
        now = self.m.clock.now()

        async def work(r: Repository) -> tuple[bool, bool]:
            tasks = TaskRepository(r.c)
            marked = await tasks.mark_done(task.id, user, now)
            closed = marked and await tasks.close_if_finished(task.id, now)
            if closed:
                for kind in (REMIND, OVERDUE):
                    await r.cancel_timers(kind, task.platform, task.chat_id, str(task.id))
            return marked, closed

        marked, closed = await self.m.store.write(work)
        if not marked:
            return Answer(self.t("members.task_already_done", id=task.id))
        await self.m.journal(
            "task_done",
            task.platform,
            task.chat_id,
            user,
            params={"task": task.id, "closed": closed},
            article=ARTICLE,
        )
        if closed:
            await self.m.journal(
                "task_closed", task.platform, task.chat_id, "bot", params={"task": task.id}
            )
            await self.m.messenger.private(
                task.platform,
                task.created_by,
                self.t("members.task_all_done", id=task.id, text=task.text),
            )
        return Answer(self.t("members.task_marked", id=task.id, member=request.who.nickname))

    async def _get(self, task_id: int) -> TaskRow | None:
        return await self.m.store.read(lambda r: TaskRepository(r.c).get(task_id))

    async def listing(self, event: CommandIssued) -> list[str]:
        tasks = await self.m.store.read(
            lambda r: TaskRepository(r.c).open_in(event.platform, event.chat_id)
        )
        if not tasks:
            return [self.t("members.tasks_none")]
        now = self.m.clock.now()
        lines = [self.t("members.tasks_head", count=len(tasks))]
        for task in tasks:
            state = self.t("members.task_overdue_word") if task.due_at <= now else ""
            lines.append(
                self.t(
                    "members.tasks_line",
                    id=task.id,
                    text=task.text,
                    due=self.m.local(task.due_at),
                    state=state,
                    done=len(task.assignees) - len(task.pending),
                    total=len(task.assignees),
                )
            )
            marks = [("✔ " if a.done_at else "… ") + a.name for a in task.assignees]
            lines.append("    " + "  ".join(marks))
        return ["\n".join(lines)]

    async def remind(self, due: TimerDue) -> None:
        task = await self._get(int(due.user_id or 0))
        if task is None or task.status != "open" or not task.pending:
            return
        names = " ".join(f"@{a.name}" for a in task.pending)
        await self.m.messenger.send(
            task.platform,
            task.chat_id,
            self.t(
                "members.task_remind",
                id=task.id,
                text=task.text,
                due=self.m.local(task.due_at),
                assignees=names,
            ),
            mention=[a.user_id for a in task.pending],
            buttons=(button(WORKFLOW, task.id, "done", self.t("members.button_done")),),
        )
        for a in task.pending:
            await self.m.messenger.private(
                task.platform,
                a.user_id,
                self.t(
                    "members.task_private",
                    id=task.id,
                    text=task.text,
                    due=self.m.local(task.due_at),
                ),
            )
        await self.m.journal(
            "task_reminded",
            task.platform,
            task.chat_id,
            "bot",
            params={"task": task.id, "pending": [a.user_id for a in task.pending]},
            article=ARTICLE,
        )

    async def overdue(self, due: TimerDue) -> None:
        task = await self._get(int(due.user_id or 0))
        if task is None or task.status != "open" or not task.pending:
            return
        await self.m.store.write(lambda r: TaskRepository(r.c).set_status(task.id, "overdue"))
        names = "、".join(a.name for a in task.pending)
        text = self.t(
            "members.task_overdue",
            id=task.id,
            text=task.text,
            due=self.m.local(task.due_at),
            pending=names,
        )
        told: list[str] = []
        if await self.m.messenger.private(task.platform, task.created_by, text):
            told.append(task.created_by)
        group = await self.m.group(task.platform, task.chat_id)
        if group is not None and group.responsible and group.responsible != task.creator_name:
            person = await self.m.directory.person(group.responsible)
            if person is not None:
                told += await self.m.tell_person(person, text)
        if not told:
            await self.m.messenger.send(task.platform, task.chat_id, text)
            told.append(f"group:{task.chat_id}")
        await self.m.journal(
            "task_overdue",
            task.platform,
            task.chat_id,
            "bot",
            params={"task": task.id, "pending": [a.user_id for a in task.pending], "told": told},
            article=ARTICLE,
        )
