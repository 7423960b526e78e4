from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from web_harness import Console, start_console

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    running, thread, stop = start_console(tmp_path)
    yield running
    running.loop.call_soon_threadsafe(stop.set)
    thread.join(30)


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless system Chromium; skipped only where there is none and CI does not demand one."""
    driver_path = shutil.which("chromedriver")
    if not (os.path.exists(CHROMIUM) and driver_path):
        if os.environ.get("GROUPGUARD_REQUIRE_BROWSER"):
            pytest.fail("chromium + chromium-driver required (GROUPGUARD_REQUIRE_BROWSER is set)")
        pytest.skip("no system chromium/chromedriver (scripts/setup-test-system.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="gg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1366,900",  # a laptop screen
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
