"""Tasks (交办事项) and their assignees. Runs on the caller's connection and transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Task, TaskAssignee


@dataclass(frozen=True, slots=True)
class AssigneeRow:
    user_id: str
    name: str
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    platform: str
    chat_id: str
    created_by: str
    creator_name: str
    text: str
    due_at: datetime
    status: str
    created_at: datetime
    closed_at: datetime | None
    assignees: tuple[AssigneeRow, ...]

    @property
    def pending(self) -> tuple[AssigneeRow, ...]:
        return tuple(a for a in self.assignees if a.done_at is None)


_TASK = select(
    Task.id,
    Task.platform,
    Task.chat_id,
    Task.created_by,
    Task.creator_name,
    Task.text,
    Task.due_at,
    Task.status,
    Task.created_at,
    Task.closed_at,
)


class TaskRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def add(
        self,
        *,
        platform: str,
        chat_id: str,
        created_by: str,
        creator_name: str,
        text: str,
        due_at: datetime,
        at: datetime,
        assignees: Sequence[tuple[str, str]],
    ) -> int:
        result = await self.c.execute(
            insert(Task)
            .values(
                platform=platform,
                chat_id=chat_id,
                created_by=created_by,
                creator_name=creator_name,
                text=text,
                due_at=due_at,
                status="open",
                created_at=at,
            )
            .returning(Task.id)
        )
        task_id = int(result.scalar_one())
        for user_id, name in assignees:
            await self.c.execute(
                insert(TaskAssignee).values(task_id=task_id, user_id=user_id, name=name)
            )
        return task_id

    async def _row(self, row: object) -> TaskRow:
        values = list(row)  # type: ignore[call-overload]
        assignees = await self.c.execute(
            select(TaskAssignee.user_id, TaskAssignee.name, TaskAssignee.done_at)
            .where(TaskAssignee.task_id == values[0])
            .order_by(TaskAssignee.id)
        )
        return TaskRow(*values, tuple(AssigneeRow(*a) for a in assignees.all()))

    async def get(self, task_id: int) -> TaskRow | None:
        row = (await self.c.execute(_TASK.where(Task.id == task_id))).first()
        return await self._row(row) if row else None

    async def open_in(self, platform: str, chat_id: str) -> list[TaskRow]:
        rows = await self.c.execute(
            _TASK.where(
                Task.platform == platform,
                Task.chat_id == chat_id,
                Task.status.in_(("open", "overdue")),
            ).order_by(Task.due_at, Task.id)
        )
        return [await self._row(r) for r in rows.all()]

    async def mark_done(self, task_id: int, user_id: str, at: datetime) -> bool:
        """True when this assignee had not finished yet."""
        result = await self.c.execute(
            update(TaskAssignee)
            .where(
                TaskAssignee.task_id == task_id,
                TaskAssignee.user_id == user_id,
                TaskAssignee.done_at.is_(None),
            )
            .values(done_at=at)
        )
        return result.rowcount == 1

    async def close_if_finished(self, task_id: int, at: datetime) -> bool:
        """Close the task when every assignee is done; True when this call closed it."""
        left = (
            await self.c.execute(
                select(func.count())
                .select_from(TaskAssignee)
                .where(TaskAssignee.task_id == task_id, TaskAssignee.done_at.is_(None))
            )
        ).scalar_one()
        if left:
            return False
        result = await self.c.execute(
            update(Task)
            .where(Task.id == task_id, Task.status.in_(("open", "overdue")))
            .values(status="done", closed_at=at)
        )
        return result.rowcount == 1

    async def set_status(self, task_id: int, status: str) -> None:
        await self.c.execute(update(Task).where(Task.id == task_id).values(status=status))
