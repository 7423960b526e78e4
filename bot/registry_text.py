"""The registry record in words, shared by ``/filing`` and ``/status`` (G1, G5); a module of
its own so the commands and the governance workflow both use it without a cycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from storage.directory import RegistryRow

Translate = Callable[..., str]


def registry_text(group: RegistryRow, t: Translate, zone: tzinfo) -> str:
    def word(kind: str, value: str) -> str:
        return t(f"governance.{kind}_{value}")

    ends = t("governance.line_ends", ends=group.ends_on.isoformat()) if group.ends_on else ""
    last = "—"
    if group.last_activity_at is not None:
        last = group.last_activity_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    values: dict[str, Any] = {
        "group": group.name or group.chat_id,
        "unit": group.unit or "—",
        "responsible": group.responsible or "—",
        "admins": len(group.admins),
        "group_class": word("class", group.group_class),
        "term": word("term", group.term),
        "ends": ends,
        "status": word("status", group.status),
        "last": last,
    }
    return t("governance.registry_body", **values)
