"""The settings page: the effective settings in words for the registrar and group admins,
never a secret; anyone else gets a 403, journaled."""

from __future__ import annotations

import re

import aiohttp
from web_harness import Console, login

from rules.detection.model import MODEL_PATH, TextModel
from rules.detection.workchat import WorkchatModel


def _page(console: Console, name: str) -> tuple[int, str]:
    async def go() -> tuple[int, str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await login(s, console.url, name) == 303
            response = await s.get(f"{console.url}/settings")
            return response.status, await response.text()

    return console.run(go())


def test_the_registrar_reads_the_settings_in_words_without_secrets(console: Console) -> None:
    status, page = _page(console, "钱工")
    assert status == 200 and 'id="nav-settings"' in page
    values = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))
    assert values["违规计数周期"] == "30 天"
    # The thresholds as chosen when the classifiers were trained, as they are (not rounded).
    cold = TextModel.load(MODEL_PATH).thresholds
    assert values["直接处置的分数"] == f"{cold['high']}" and values["交管理员复核的分数"] == "0.90"
    assert values["工作群违规模型"] == "是"
    shipped = WorkchatModel.load().thresholds  # chosen when it was trained
    assert values["工作群模型直接处置的分数"] == f"{shipped['high']}"
    assert values["工作群模型交管理员复核的分数"] == f"{shipped['review']}"
    assert values["内部群组"] == "使用部门填报 → 分管主任审核 → 主任签批 → 报信息技术部备案"
    assert values["违法信息"].startswith("删除消息、纳入黑名单、上报（1 级")
    assert values["成员定期核查"] == "每月 1 日 09:00"
    assert values["数据库"] == "SQLite" and "web.db" not in page  # the URL is never shown
    assert "GROUPGUARD_WEB_SECRET" in values["会话签名密钥"]
    assert not re.search(r"\b\d+[dhms]\b", "".join(values.values()))  # no 30d, 1h, 10s codes


def test_a_group_admin_reads_them_and_a_plain_supervisor_is_refused(console: Console) -> None:
    assert _page(console, "赵六")[0] == 200  # responsible for 党群工作部工作群
    status, page = _page(console, "周副主任")
    assert status == 403 and 'id="nav-settings"' not in page
    refused = console.run(console.refusals())
    assert [(r["kind"], r["actor"]) for r in refused] == [("web:settings", "web:周副主任")]
