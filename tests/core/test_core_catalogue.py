"""One message catalogue, complete in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import Catalogue
from rules.policy import default_categories

ROOT = Path(__file__).resolve().parents[2]
KEY_LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_both_languages_have_the_same_keys() -> None:
    assert Catalogue("zh-CN").keys() == Catalogue("en").keys()


def test_every_key_the_code_asks_for_exists() -> None:
    keys = Catalogue().keys()
    used = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("adapters/**/*.py")]:
        used.update(KEY_LITERAL.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys at all"
    assert sorted(used - keys) == []


def test_every_category_and_action_has_a_name_in_both_languages() -> None:
    from rules.actions import ActionKind

    for language in ("zh-CN", "en"):
        catalogue = Catalogue(language)
        for category in [*default_categories(), "nickname", "blacklist", "quiet", "manual"]:
            assert catalogue.has(f"category.{category}"), (language, category)
        for kind in ActionKind:
            assert catalogue.has(f"action.{kind}"), (language, kind)


def test_english_is_available_and_placeholders_fill() -> None:
    text = Catalogue("en").t("notice.muted", mention="@Li", until="10:00", reason="spam")
    assert text == "@Li you are muted until 10:00 (spam)."
    assert "{" not in Catalogue().t("notice.muted", mention="@李", until="10:00", reason="刷屏")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        Catalogue("fr")
