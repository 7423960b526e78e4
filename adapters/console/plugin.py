"""The console's registration: a platform name the config may use (simulated groups); it is
run by ``groupguard run`` when no real platform is configured, never built from a section."""

from __future__ import annotations

from bot.ports import Platform, SectionModel


class ConsoleSection(SectionModel):
    pass


PLATFORM = Platform("console", ConsoleSection, lambda section: None)
