"""Runs a slash command: who is asking, with which right, then the command itself. Refusals
and rejections are journaled; replies go through the executor's messenger (retries, journal)."""

from __future__ import annotations

from bot.admins import RightsUnknown
from bot.commands.tools import CommandError, CommandRefused, CommandTools
from bot.events import CommandIssued


class CommandHandler:
    def __init__(self, tools: CommandTools) -> None:
        self.tools = tools

    async def handle(self, event: CommandIssued) -> list[str]:
        tools = self.tools
        spec = tools.registry.get(event.name)
        if spec is None:
            return []  # other bots' commands share the chat; stay quiet
        if event.sender.is_service_account and not event.sender.is_platform_admin:
            return []
        try:
            if spec.admin and not await tools.admins.can(
                event.platform, event.chat_id, event.sender, spec.right
            ):
                await tools.record(event, spec, None, "refused", "sender lacks the right")
                return await self._reply(event, tools.t("command.refused", command=spec.name))
            replies = await spec.run(tools, event, spec)
        except RightsUnknown as exc:
            await tools.record(event, spec, None, "refused", f"rights unknown: {exc}")
            return await self._reply(event, tools.t("command.rights_unknown"))
        except CommandRefused as exc:
            await tools.record(event, spec, exc.target, "refused", exc.detail)
            replies = [str(exc)]
        except CommandError as exc:
            await tools.record(event, spec, None, "rejected", str(exc))
            replies = [str(exc)]
        return await self._reply(event, *replies)

    async def _reply(self, event: CommandIssued, *texts: str) -> list[str]:
        for text in texts:
            await self.tools.executor.messenger.send(
                event.platform, event.chat_id, text, reply_to=event.message_id
            )
        return list(texts)
