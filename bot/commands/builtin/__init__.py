"""One module per command; each exposes ``COMMAND`` (a ``CommandSpec``)."""

from __future__ import annotations

import importlib
import pkgutil

from bot.commands.spec import CommandSpec


def builtin_commands() -> list[CommandSpec]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "COMMAND", None)
        if command is not None:
            found.append(command)
    return found
