"""The console adapter: a group chat in the terminal (and the engine behind ``replay``).

It behaves like a capable platform (delete, mute, remove, ban, quiet) and prints every action,
so a newcomer sees exactly what the bot would do in a real group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.ports import (
    RIGHT_CHANGE_INFO,
    RIGHT_DELETE,
    RIGHT_RESTRICT,
    AdminInfo,
    Button,
    Capabilities,
    EventSink,
)


@dataclass(slots=True)
class ConsoleChat:
    """The simulated group's state, as the 'platform' sees it."""

    admins: set[str] = field(default_factory=set)  # user ids
    muted_until: dict[str, datetime | None] = field(default_factory=dict)
    banned: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    quiet: bool = False


class ConsoleAdapter:
    platform = "console"
    capabilities = Capabilities(
        delete_message=True,
        mute=True,
        remove=True,
        ban=True,
        private_message=True,
        quiet_group=True,
        delete_own_messages=False,
        admin_roles=True,
        buttons=True,
    )
    self_user_id = "bot"

    def __init__(self, output: Callable[[str], None] = print) -> None:
        self.output = output
        self.chats: dict[str, ConsoleChat] = {}
        self.sent: list[tuple[str, str]] = []  # (chat or user, text), for tests and replay
        self.calls: list[tuple[str, ...]] = []
        # Files sent (supervision reports): (chat, filename, bytes), for tests and the console.
        self.documents: list[tuple[str, str, bytes]] = []
        self.edited: list[tuple[str, str, str]] = []  # (chat, message id, new text)
        # button data → (chat, message id, text) of the message carrying it (/press)
        self.buttons: dict[str, tuple[str, str, str]] = {}
        self.files: list[tuple[str, str, bytes]] = []  # (chat or user, file name, content)
        self._sink: EventSink | None = None
        self._next_id = 0

    def chat(self, chat_id: str) -> ConsoleChat:
        return self.chats.setdefault(chat_id, ConsoleChat())

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def stop(self) -> None:
        self._sink = None

    async def send_document(
        self, chat_id: str, filename: str, data: bytes, caption: str = ""
    ) -> str | None:
        self._next_id += 1
        self.documents.append((chat_id, filename, data))
        self.output(f"🤖 [{chat_id}] 📎 {filename} ({len(data):,} bytes) {caption}".rstrip())
        return str(self._next_id)

    async def send_message(
        self,
        chat_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        mention: Sequence[str] = (),
        buttons: Sequence[Button] = (),
        delete_after: float | None = None,
    ) -> str | None:
        self._next_id += 1
        self.sent.append((chat_id, text))
        message_id = f"bot-{self._next_id}"
        if buttons:
            self.buttons.update((b.data, (chat_id, message_id, text)) for b in buttons)
        self.output(f"🤖 [{chat_id}] {text}{self._buttons(buttons)}")
        return message_id

    async def edit_message(self, chat_id: str, message_id: str, text: str) -> None:
        self.edited.append((chat_id, message_id, text))
        self.buttons = {d: m for d, m in self.buttons.items() if m[1] != message_id}
        self.output(f"🤖 [{chat_id}] ✎{message_id} {text}")

    async def send_private(
        self, user_id: str, text: str, *, buttons: Sequence[Button] = ()
    ) -> bool:
        self.sent.append((f"private:{user_id}", text))
        self.output(f"🤖 [私信 → {user_id}] {text}{self._buttons(buttons)}")
        return True

    @staticmethod
    def _buttons(buttons: Sequence[Button]) -> str:
        # "/press <data>" is what the console reads as a press of that button.
        return (
            ("  " + " ".join(f"[{b.label}](/press {b.data})" for b in buttons)) if buttons else ""
        )

    async def send_file(self, chat_id: str, filename: str, data: bytes, caption: str) -> None:
        """Optional port method (the member audit's xlsx): kept for tests, named on screen."""
        self.files.append((chat_id, filename, data))
        self.output(f"🤖 [{chat_id}] 📎 {filename}（{caption}，{len(data)} 字节）")

    def _act(self, *call: str) -> None:
        self.calls.append(call)
        self.output("⚙ " + " ".join(call))

    async def delete_message(self, chat_id: str, message_id: str) -> None:
        self.chat(chat_id).deleted.add(message_id)
        self._act("delete_message", chat_id, message_id)

    async def mute(self, chat_id: str, user_id: str, until: datetime | None) -> None:
        self.chat(chat_id).muted_until[user_id] = until
        self._act("mute", chat_id, user_id, until.isoformat(timespec="minutes") if until else "∞")

    async def unmute(self, chat_id: str, user_id: str) -> None:
        self.chat(chat_id).muted_until.pop(user_id, None)
        self._act("unmute", chat_id, user_id)

    async def remove(self, chat_id: str, user_id: str) -> None:
        self.chat(chat_id).present.discard(user_id)
        self._act("remove", chat_id, user_id)

    async def ban(self, chat_id: str, user_id: str) -> None:
        chat = self.chat(chat_id)
        chat.present.discard(user_id)
        chat.banned.add(user_id)
        self._act("ban", chat_id, user_id)

    async def unban(self, chat_id: str, user_id: str) -> None:
        self.chat(chat_id).banned.discard(user_id)
        self._act("unban", chat_id, user_id)

    async def set_quiet(self, chat_id: str, quiet: bool) -> None:
        self.chat(chat_id).quiet = quiet
        self._act("set_quiet", chat_id, "on" if quiet else "off")

    async def get_admins(self, chat_id: str) -> list[AdminInfo]:
        rights = frozenset({RIGHT_DELETE, RIGHT_RESTRICT, RIGHT_CHANGE_INFO})
        admins = [AdminInfo(user_id=u, rights=rights) for u in sorted(self.chat(chat_id).admins)]
        admins.append(AdminInfo(user_id=self.self_user_id, rights=rights))
        return admins

    async def answer_button(self, callback_id: str, text: str) -> None:
        self.output(f"🤖 [button {callback_id}] {text}")
