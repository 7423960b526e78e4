"""The one message catalogue: zh-CN by default, English by config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")


def _flatten(prefix: str, tree: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            _flatten(path, value, out)
        else:
            out[path] = str(value)


def _load(language: str) -> dict[str, str]:
    with (CATALOGUE_DIR / f"{language}.yaml").open(encoding="utf-8") as handle:
        flat: dict[str, str] = {}
        _flatten("", yaml.safe_load(handle), flat)
        return flat


class _Lenient(dict[str, Any]):
    # A text missing a placeholder value shows the placeholder rather than crashing a reply.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalogue:
    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
        self.language = language
        self._texts = _load(language)
        self._fallback = self._texts if language == DEFAULT_LANGUAGE else _load(DEFAULT_LANGUAGE)

    def t(self, key: str, **params: Any) -> str:
        template = self._texts.get(key) or self._fallback.get(key)
        if template is None:
            return key
        return template.format_map(_Lenient(params))

    def has(self, key: str) -> bool:
        return key in self._texts

    def keys(self) -> set[str]:
        return set(self._texts)
