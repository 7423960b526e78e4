"""The platforms this installation knows: discovered from the ``groupguard.adapters`` entry
point, so the core never names one. An adapter package registers itself with one line in its
``pyproject.toml``::

    [project.entry-points."groupguard.adapters"]
    telegram = "adapters.telegram.plugin:PLATFORM"
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points

from bot.ports import Adapter, Platform

GROUP = "groupguard.adapters"


def discover() -> dict[str, Platform]:
    """Every registered platform by name (importing only each plugin module, which keeps its
    client library behind ``build``)."""
    found: dict[str, Platform] = {}
    for point in entry_points(group=GROUP):
        platform = point.load()
        if not isinstance(platform, Platform):
            raise TypeError(f"entry point {point.name} ({point.value}) is not a Platform")
        found[platform.name] = platform
    return found


def build_adapters(
    platforms: Mapping[str, Platform], sections: Mapping[str, object]
) -> dict[str, Adapter]:
    """Adapters for the platforms whose sections ask for them; the caller runs the console
    when none does."""
    adapters: dict[str, Adapter] = {}
    for name, platform in platforms.items():
        section = sections.get(name)
        if section is None:
            continue
        adapter = platform.build(section)
        if adapter is not None:
            adapters[name] = adapter
    return adapters
