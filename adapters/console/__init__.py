"""A local, simulated group chat: the embedded default when no platform token is configured."""

from adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
