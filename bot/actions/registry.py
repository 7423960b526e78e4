"""The action registry: specs by kind, collected from this package's modules (each exposes
``SPECS``) and from workflows that bring actions of their own."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from bot.actions.spec import ActionSpec
from rules.actions import ActionKind


class ActionRegistry:
    def __init__(self, specs: Iterable[ActionSpec] = ()) -> None:
        self._specs: dict[ActionKind, ActionSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ActionSpec) -> None:
        if spec.kind in self._specs:
            raise ValueError(f"action {spec.kind} is registered twice")
        self._specs[spec.kind] = spec

    def get(self, kind: str) -> ActionSpec | None:
        try:
            return self._specs.get(ActionKind(kind))
        except ValueError:
            return None


def builtin_specs() -> list[ActionSpec]:
    import bot.actions.kinds as package

    specs: list[ActionSpec] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        specs.extend(getattr(module, "SPECS", ()))
    return specs
