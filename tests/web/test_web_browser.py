"""The console in a real headless Chromium: log in, approve from the inbox and see the chain
advance, filter the record, see a report's chart. Saves screenshots to docs/web/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from web_harness import PASSWORD, Console

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "web"


def _login(driver: Any, console: Console, name: str) -> None:
    driver.get(f"{console.url}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "who"))


def test_approve_from_the_inbox_then_record_and_report(console: Console, browser: Any) -> None:
    driver = browser
    SHOTS.mkdir(parents=True, exist_ok=True)
    _login(driver, console, "李副主任")
    chain = driver.find_element(By.ID, "chain-1").text
    assert "等待" in chain or "待" in chain
    driver.save_screenshot(str(SHOTS / "inbox.png"))
    driver.find_element(By.ID, "approve-1").click()  # HTMX swaps the card in place
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "notice-1"))
    advanced = driver.find_element(By.ID, "chain-1").text
    assert "通过" in advanced and "李副主任" in advanced
    assert not driver.find_elements(By.ID, "approve-1")  # no longer this person's step

    driver.get(f"{console.url}/groups")
    assert "党群工作部工作群" in driver.find_element(By.ID, "groups").text
    driver.save_screenshot(str(SHOTS / "groups.png"))

    driver.get(f"{console.url}/record")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "verify-ok"))
    Select(driver.find_element(By.ID, "f-category")).select_by_value("nickname")
    driver.find_element(By.ID, "f-apply").click()
    WebDriverWait(driver, 10).until(lambda d: "category=nickname" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#record-rows tbody tr")
    assert rows and all("cat-nickname" in r.get_attribute("class") for r in rows)
    driver.get(f"{console.url}/record")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "verify-ok"))
    body = driver.find_element(By.ID, "record").text
    assert "13812345678" not in body and "138****5678" in body  # evidence masked
    driver.save_screenshot(str(SHOTS / "record.png"))

    month = console.runtime.app.clock.now().strftime("%Y-%m")  # the seeded actions' month
    driver.get(f"{console.url}/reports?period={month}")
    driver.switch_to.frame(driver.find_element(By.ID, "report"))
    assert driver.find_elements(By.CSS_SELECTOR, "svg")
    driver.switch_to.default_content()
    driver.save_screenshot(str(SHOTS / "reports.png"))

    driver.get(f"{console.url}/check")
    driver.find_element(By.ID, "check-text").send_keys("加我微信带你赌博")
    driver.find_element(By.ID, "check-go").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.hit"))
    driver.save_screenshot(str(SHOTS / "check.png"))


def test_an_incident_walked_in_the_browser_then_a_group_and_the_settings(
    console: Console, browser: Any
) -> None:
    from storage.roster import RosterPerson, RosterRepository

    driver = browser
    app = console.runtime.app
    now = app.clock.now()

    async def members(r: Any) -> None:
        roster = RosterRepository(r.c)
        for name in ("王小红", "陈大伟", "刘芳"):
            status = "transferred" if name == "陈大伟" else "active"
            await roster.apply(RosterPerson(name, "党群工作部", "", None, None, status, ()), now)
        for user_id, nickname in (
            ("u1", "王小红-党群工作部"),
            ("u2", "陈大伟-党群工作部"),
            ("u3", "刘芳-党群工作部"),
            ("u4", "路人甲"),
            ("zhao", "赵六-党群工作部"),
        ):
            await r.ensure_member("console", "dq", user_id, nickname, now)

    console.run(app.store.write(members))
    _login(driver, console, "李副主任")
    driver.get(f"{console.url}/incidents")
    driver.find_element(By.ID, "incident-link-1").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "stages"))
    assert "当前阶段" in driver.find_element(By.ID, "stage-record").text
    driver.find_element(By.ID, "incident-note").send_keys("转发范围限于本群，已联系当事人")
    driver.find_element(By.ID, "incident-advance").click()
    # Wait for the answer's own element: reading the old page's while it unloads goes stale.
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "incident-message"))
    assert driver.find_element(By.ID, "incident-stage").text == "分析研判"
    analysed = driver.find_element(By.ID, "stage-analyse").text
    assert "李副主任" in analysed and "转发范围限于本群" in analysed
    assert "13812345678" not in driver.find_element(By.ID, "incident-summary").text
    driver.save_screenshot(str(SHOTS / "incident.png"))

    driver.get(f"{console.url}/groups/console/dq")
    audit = driver.find_element(By.ID, "member-audit").text
    assert "路**" in audit and "名册中已调离" in audit and "路人甲" not in audit
    driver.save_screenshot(str(SHOTS / "group.png"))

    driver.find_element(By.ID, "logout").click()
    _login(driver, console, "钱工")
    driver.find_element(By.ID, "nav-settings").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "set-policy"))
    assert "30 天" in driver.find_element(By.ID, "set-policy").text
    driver.save_screenshot(str(SHOTS / "settings.png"))
