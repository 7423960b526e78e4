"""The governance commands a group sees: ``/filing`` (submit a 备案表, or show where the
group's filing stands) and ``/handover @新负责人`` (G6)."""

from __future__ import annotations

from bot.commands.spec import CommandSpec
from bot.events import CommandIssued
from bot.i18n import Catalogue
from bot.workflows.governance.form import FormError, parse_form, split_fields
from bot.workflows.governance.service import Governance

_ADMIN_WORDS = ("管理员", "admin")


class GovernanceCommands:
    """The commands, registered in the command registry (``specs``): the handler checks the
    sender is an admin, journals refusals and sends the replies."""

    def __init__(self, governance: Governance, catalogue: Catalogue) -> None:
        self._gov = governance
        self._t = catalogue.t

    def specs(self) -> list[CommandSpec]:
        return [
            CommandSpec("filing", "/filing + 字段：内容", True, self.filing, article="R2 Art.6"),
            CommandSpec("handover", "/handover @新负责人", True, self.handover, article="R1 Art.5"),
            # Approvers are rarely the group's admins: anyone may ask what awaits them.
            CommandSpec("filings", "/filings", False, self.filings, article="R2 Art.9"),
        ]

    async def filing(self, tools: object, event: CommandIssued, spec: CommandSpec) -> list[str]:
        body = _body(event.raw_text)
        if not body:
            return [await self._gov.status_text(event.platform, event.chat_id)]
        try:
            form = parse_form(split_fields(body), self._gov.today())
            who = await self._gov.directory.who(event.platform, event.sender.user_id)
            submitted = await self._gov.submit(
                form,
                event.platform,
                event.chat_id,
                event.sender.user_id,
                who.name if who else event.sender.nickname,
            )
        except FormError as exc:
            await self._gov.journal(
                "filing_rejected_form",
                event.platform,
                event.chat_id,
                event.sender.user_id,
                "rejected",
                exc.key,
                params=dict(exc.params),
            )
            return [self._t(exc.key, **exc.params)]
        return list(submitted.replies)

    async def handover(self, tools: object, event: CommandIssued, spec: CommandSpec) -> list[str]:
        """``/handover @新负责人`` hands the responsible role over; ``/handover 管理员 @新``
        hands the sender's admin role over."""
        args = [a for a in event.args if not a.startswith("@")]
        role = "admin" if args and args[0].lower() in _ADMIN_WORDS else "responsible"
        target = event.target
        if target is None:
            return [self._t("command.usage", usage=self._t("governance.handover_usage"))]
        group = await self._gov.directory.group(event.platform, event.chat_id)
        if group is None:
            return [self._t("governance.status_unregistered")]
        new_person = await self._gov.directory.who(event.platform, target.user_id)
        if role == "responsible":
            old = group.responsible
            new = new_person.name if new_person else target.nickname
        else:
            old, new = event.sender.user_id, target.user_id
        await self._gov.handover(
            event.platform, event.chat_id, role, old, new, event.sender.user_id
        )
        return [
            self._t(
                "governance.handover_done",
                role=self._gov.word("handover", role),
                old=old or "—",
                new=new if role == "responsible" else target.nickname,
            )
        ]

    async def filings(self, tools: object, event: CommandIssued, spec: CommandSpec) -> list[str]:
        """What awaits the sender: the filings at a step they approve, and (for a deputy
        director) the unfiled groups — the supervisor's pending list."""
        return [await self._gov.pending_for(event.platform, event.sender.user_id)]


def _body(raw_text: str) -> str:
    """What follows ``/filing`` (or ``/filing@bot``) — on the same line or the next ones."""
    text = raw_text.strip()
    parts = text.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""
