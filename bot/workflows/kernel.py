"""The workflow kernel.

A button carries ``wf:<workflow>:<id>:<verb>``. The payload is parsed strictly (ASCII digits,
no leading zero, a registered workflow and verb), and the workflow then checks it against
the journal: the record must exist and the presser must be someone it was sent to. Where a
platform has no buttons the same verbs are text commands (``/ack 12``). Timers are rows;
when one falls due the kernel hands it to the handler registered for its kind.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.events import Member
from bot.ports import Button

# Telegram allows 64 bytes of callback data; 18 digits stay far below that and below int64.
_PAYLOAD = re.compile(r"wf:([a-z][a-z_]{0,15}):([1-9][0-9]{0,17}):([a-z][a-z_]{0,15})", re.ASCII)
_LEGACY = re.compile(r"esc:([1-9][0-9]{0,17}):([a-z]{2,4})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Request:
    """Someone asks a workflow to do ``verb`` on record ``record_id`` (a press or a command)."""

    workflow: str
    record_id: int
    verb: str
    platform: str
    chat_id: str
    who: Member
    callback_id: str | None = None
    # Free text after the id for verbs that take one (``/reject 12 理由``).
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    refused: bool = False
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TimerDue:
    kind: str
    platform: str
    chat_id: str
    user_id: str | None
    payload: Mapping[str, Any]


VerbHandler = Callable[[Request], Awaitable[Answer]]
TimerHandler = Callable[[TimerDue], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    verbs: Mapping[str, VerbHandler]
    # Text commands for the verbs (``ack`` → ``/ack <id>``), for platforms without buttons.
    commands: Mapping[str, str] = field(default_factory=dict)
    timers: Mapping[str, TimerHandler] = field(default_factory=dict)
    # Verb commands that take free text after the id (``/reject 12 理由``).
    commented: frozenset[str] = frozenset()
    # Catalogue key of the text verbs' usage line ("/{verb} <编号>"), which names the record.
    usage: str = "escalation.verb_usage"


def button(workflow: str, record_id: int, verb: str, label: str) -> Button:
    return Button(label, f"wf:{workflow}:{record_id}:{verb}")


def parse_payload(data: str) -> tuple[str, int, str] | None:
    """(workflow, id, verb) for a payload in canonical form, else None."""
    if match := _PAYLOAD.fullmatch(data):
        return match[1], int(match[2]), match[3]
    if match := _LEGACY.fullmatch(data):  # buttons sent before workflows had names
        return "esc", int(match[1]), match[2]
    return None


class Kernel:
    def __init__(self, workflows: Iterable[Workflow] = ()) -> None:
        self._workflows: dict[str, Workflow] = {}
        self._commands: dict[str, tuple[str, str]] = {}
        self._timers: dict[str, TimerHandler] = {}
        self._commented: set[str] = set()
        for workflow in workflows:
            self.register(workflow)

    def register(self, workflow: Workflow) -> None:
        if workflow.name in self._workflows:
            raise ValueError(f"workflow {workflow.name} is registered twice")
        self._workflows[workflow.name] = workflow
        for command, verb in workflow.commands.items():
            self._commands[command] = (workflow.name, verb)
        self._commented.update(workflow.commented)
        for kind, handler in workflow.timers.items():
            self.add_timer(kind, handler)

    def add_timer(self, kind: str, handler: TimerHandler) -> None:
        if kind in self._timers:
            raise ValueError(f"timer kind {kind} has two handlers")
        self._timers[kind] = handler

    def command_verbs(self) -> Mapping[str, tuple[str, str]]:
        return dict(self._commands)

    def usage_key(self, command: str) -> str:
        """The catalogue key of a text verb's usage line."""
        route = self._commands.get(command)
        workflow = self._workflows.get(route[0]) if route else None
        return workflow.usage if workflow else "escalation.verb_usage"

    def request_from_button(
        self, data: str, platform: str, chat_id: str, who: Member, callback_id: str | None
    ) -> Request | None:
        parsed = parse_payload(data)
        if parsed is None:
            return None
        name, record_id, verb = parsed
        workflow = self._workflows.get(name)
        if workflow is None or verb not in workflow.verbs:
            return None
        return Request(name, record_id, verb, platform, chat_id, who, callback_id)

    def request_from_command(
        self, command: str, args: tuple[str, ...], platform: str, chat_id: str, who: Member
    ) -> Request | None:
        route = self._commands.get(command)
        if route is None or not args or (len(args) > 1 and command not in self._commented):
            return None
        arg = args[0]
        if not re.fullmatch(r"[1-9][0-9]{0,17}", arg, re.ASCII):
            return None
        comment = " ".join(args[1:])
        return Request(route[0], int(arg), route[1], platform, chat_id, who, comment=comment)

    async def handle(self, request: Request) -> Answer:
        return await self._workflows[request.workflow].verbs[request.verb](request)

    async def fire(self, due: TimerDue) -> bool:
        handler = self._timers.get(due.kind)
        if handler is None:
            return False
        await handler(due)
        return True
