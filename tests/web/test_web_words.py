"""The record shows what was done in words people read, never a workflow's internal code."""

from __future__ import annotations

import pytest

from bot.i18n import Catalogue
from bot.web.app import _word


@pytest.mark.parametrize(
    ("language", "code", "words"),
    [
        ("zh-CN", "gov:step_approved", "审批通过"),
        ("zh-CN", "mem:task_done", "任务完成"),
        ("zh-CN", "gov:a_kind_added_later", "群组治理记录"),
        ("zh-CN", "web:incident:note", "网页控制台操作"),
        ("zh-CN", "delete", "删除消息"),
        ("en", "gov:step_approved", "step approved"),
        ("en", "mem:cap_refuse", "over the member cap: refused"),
    ],
)
def test_recorded_kinds_are_shown_in_words(language: str, code: str, words: str) -> None:
    assert _word(Catalogue(language), "action", code) == words
