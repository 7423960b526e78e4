"""The one message catalogue: zh-CN by default, English by config."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")
# "R1 Art.7(9)": a regulation code, an article and an optional item, as rules name them.
_ARTICLE = re.compile(r"^\s*(R\d+)\s+Art\.\s*(\d+)(?:\((\d+)\))?\s*$")
_DIGITS = "零一二三四五六七八九"
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def chinese_number(n: int) -> str:
    """1..99 as written in regulations (七, 十三, 二十一); other numbers stay digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


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

    def duration(self, value: timedelta) -> str:
        """A duration in words ("30 天", "1 小时 30 分钟"), never a code like 30d."""
        seconds = int(value.total_seconds())
        parts = []
        for unit, size in _UNITS:
            if seconds >= size:
                parts.append(self.t(f"duration.{unit}", n=seconds // size))
                seconds %= size
        return self.t("duration.join").join(parts) or self.t("duration.s", n=0)

    def article(self, code: str) -> str:
        """ "R1 Art.7(9); R2 Art.13(1)" as people cite it: the regulation's name and article
        (《…办法》第七条第（九）项). A code this does not recognise is shown as it is."""
        cited = []
        for part in code.split(";"):
            match = _ARTICLE.match(part)
            if match is None or not self.has(f"regulation.{match.group(1)}"):
                cited.append(part.strip())
                continue
            regulation, number, item = match.groups()
            zh = self.language == "zh-CN"
            cited.append(
                self.t(
                    "regulation.item" if item else "regulation.article",
                    name=self.t(f"regulation.{regulation}"),
                    article=chinese_number(int(number)) if zh else number,
                    item=(chinese_number(int(item)) if zh else item) if item else "",
                )
            )
        return self.t("duration.list_join").join(cited)

    def has(self, key: str) -> bool:
        return key in self._texts

    def keys(self) -> set[str]:
        return set(self._texts)
