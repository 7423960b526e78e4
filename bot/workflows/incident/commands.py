"""``/incident`` in a group, for its admins:

- ``/incident [说明]`` replying to a message: record an incident about it;
- ``/incident 说明`` without a reply: record one described in words;
- ``/incident 12``: where incident 12 stands;
- ``/incident 12 分析|确认|处置|报告 说明``: the next stage, with a note;
- ``/incident 12 意见 处置意见``: the proposed handling (to 分管主任 at once);
- ``/incident 12 重大 [说明]``: mark it 重大舆情风险 (to the cyberspace office at once);
- ``/incident 12 备注 说明``: a note at the current stage (nobody is told).
English verbs work too (analyse, confirm, handle, report, proposal, major, note)."""

from __future__ import annotations

import re

from bot.commands.spec import CommandSpec
from bot.commands.tools import CommandTools
from bot.events import CommandIssued
from bot.workflows.incident.desk import IncidentDesk, Result
from bot.workflows.incident.records import get

STAGE_VERBS = {
    "分析": "analyse",
    "研判": "analyse",
    "analyse": "analyse",
    "analyze": "analyse",
    "确认": "confirm",
    "confirm": "confirm",
    "处置": "handle",
    "处理": "handle",
    "handle": "handle",
    "报告": "report",
    "report": "report",
}
PROPOSAL_VERBS = frozenset({"意见", "处置意见", "proposal", "propose"})
MAJOR_VERBS = frozenset({"重大", "major"})
NOTE_VERBS = frozenset({"备注", "note"})
_ID = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)

ARTICLE = "R2 Art.19"


class IncidentCommand:
    """``/incident`` in the command registry: the handler checks that the sender is an admin
    of the group (and journals a refusal); this answers and journals refused steps."""

    def __init__(self, desk: IncidentDesk) -> None:
        self._desk = desk

    def spec(self) -> CommandSpec:
        return CommandSpec("incident", "/incident", True, self.run, article=ARTICLE)

    async def run(self, tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> list[str]:
        return [await self._answer(tools, event, spec)]

    async def _answer(self, tools: CommandTools, event: CommandIssued, spec: CommandSpec) -> str:
        args = list(event.args)
        who = event.sender.user_id
        if args and _ID.fullmatch(args[0]):
            return await self._on_incident(tools, event, spec, int(args[0]), args[1:])
        if event.replied is None and not args:
            return tools.t("incident.usage", id=1)
        replied = event.replied
        note = " ".join(args)
        result = await self._desk.open(
            platform=event.platform,
            chat_id=event.chat_id,
            source="admin",
            by=who,
            summary=replied.text if replied is not None else note,
            user_id=replied.sender.user_id if replied is not None else None,
            message_id=replied.message_id if replied is not None else None,
            note=note,
        )
        return result.text

    async def _on_incident(
        self,
        tools: CommandTools,
        event: CommandIssued,
        spec: CommandSpec,
        incident_id: int,
        rest: list[str],
    ) -> str:
        incident = await self._desk_store_get(incident_id)
        if incident is None or (incident.platform, incident.chat_id) != (
            event.platform,
            event.chat_id,
        ):
            return tools.t("incident.unknown", id=incident_id)
        who = event.sender.user_id
        if not rest:
            return tools.t(
                "incident.advanced", id=incident_id, stage=self._desk.stage(incident.stage)
            )
        verb, note = rest[0].lower(), " ".join(rest[1:])
        result: Result
        if verb in STAGE_VERBS:
            result = await self._desk.advance(incident_id, STAGE_VERBS[verb], who, note)
        elif verb in PROPOSAL_VERBS and note:
            result = await self._desk.propose(incident_id, who, note)
        elif verb in MAJOR_VERBS:
            result = await self._desk.mark_major(incident_id, who, note)
        elif verb in NOTE_VERBS and note:
            result = await self._desk.note(incident_id, who, note)
        else:
            return tools.t("incident.usage", id=incident_id)
        if not result.ok:
            await tools.record(event, spec, None, "refused", result.text)
        return result.text

    async def _desk_store_get(self, incident_id: int):  # type: ignore[no-untyped-def]
        return await self._desk.read(lambda r: get(r, incident_id))
