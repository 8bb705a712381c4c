"""The console end to end in headless Chromium, against a real ``openisales serve`` and sftp server.

Sign in with AK/SK, add the file server and a campaign through the forms, start an import from
the form, watch the task page until the import is completed, check the counts, download the
failure report, see the campaign's Dialling section. With OPENISALES_WRITE_SCREENSHOTS=1 it
also rewrites the screenshots in docs/.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.cli.test_cli import Cli, Server
from tests.cli.test_cli import server as server  # the fixture, bound to this module's `cli`
from tests.support.servers import SftpServer
from tests.support.spreadsheets import write_xlsx

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DOCS = Path(__file__).resolve().parents[2] / "docs"
HINT = "run scripts/install-test-deps.sh (installs Debian chromium and chromium-driver)"
UPLOAD = "isales/upload"
GOOD = [[f"s{i}", json.dumps([{"calledNo": f"1380000{i:04d}"}])] for i in range(40)]
BAD = [["bad-json", "not json"], ["bad-number", '[{"calledNo":"12X"}]'], ["no-number", ""]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The embedded SQLite default: this test is about the console, not the database."""
    return Cli(tmp_path / "data", None)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: {HINT}")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1366,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        yield driver
    finally:
        driver.quit()


def _fill(driver: WebDriver, **fields: str) -> None:
    for name, value in fields.items():
        element = driver.find_element(By.ID, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def _submit(driver: WebDriver, label: str) -> None:
    """Click the button and wait for the page it leads to."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()
    WebDriverWait(driver, 20).until(staleness_of(old))


def _text(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text).strip()


def _wait_for_status(driver: WebDriver, wanted: str, timeout: float = 90) -> None:
    """Poll the task page (it also refreshes itself) until its status badge reads ``wanted``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            badge = driver.find_element(By.CSS_SELECTOR, ".status-line .badge").text
        except StaleElementReferenceException:  # the page refreshed itself meanwhile
            continue
        if badge == wanted:
            return
        assert badge in ("preparing", "running"), driver.page_source
        assert time.monotonic() < deadline, f"still {badge} after {timeout} s"
        time.sleep(0.5)
        driver.refresh()


def _wait_for_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} in {folder} after {timeout} s: {list(folder.iterdir())}")


def _screenshot(driver: WebDriver, name: str) -> None:
    if os.environ.get("OPENISALES_WRITE_SCREENSHOTS") == "1":
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1366, max(700, min(int(height) + 40, 1400)))
        assert driver.save_screenshot(str(DOCS / name))
        driver.set_window_size(1366, 900)


def test_sign_in_import_watch_and_download_the_failure_report(
    cli: Cli, server: Server, sftp: SftpServer, browser: WebDriver, tmp_path: Path
) -> None:
    keys = cli.create_tenant(12)
    workbook = write_xlsx(tmp_path / "calls.xlsx", ["sessionId", "called"], GOOD + BAD)
    sftp.put_file(f"{UPLOAD}/calls.xlsx", workbook.read_bytes())
    console = f"{server.url}/console"

    browser.get(console)
    assert browser.current_url == f"{console}/sign-in"
    _fill(browser, access_key=keys["accessKey"], secret_key=keys["secretKey"] + "x")
    _submit(browser, "Sign in")
    assert "wrong access key or secret key" in browser.find_element(By.CLASS_NAME, "alert").text
    _fill(browser, access_key=keys["accessKey"], secret_key=keys["secretKey"])
    _submit(browser, "Sign in")
    assert browser.current_url == f"{console}/campaigns"
    assert "Tenant (vdnId) 12" in browser.page_source

    browser.get(f"{console}/file-servers")
    _fill(browser, ip=sftp.host, port=str(sftp.port), user_name=sftp.username)
    _fill(browser, password=sftp.password, file_path=str(sftp.home))
    _submit(browser, "Add server")
    assert "File server added." in browser.page_source

    browser.get(f"{console}/campaigns")
    _fill(browser, name="renewals", device_type="2")
    _fill(browser, begin="2099-01-01 00:00:00", end="2099-12-31 23:59:59")
    _submit(browser, "Create campaign")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Campaign renewals")
    campaign_url = browser.current_url

    _fill(browser, file_path="/" + UPLOAD, file_name="calls.xlsx")
    _submit(browser, "Start import")
    assert "/tasks/" in browser.current_url, browser.find_element(By.TAG_NAME, "main").text
    _wait_for_status(browser, "completed")
    counts = {name: _text(browser, name) for name in ("total", "succ", "fail", "repeat", "black")}
    assert counts == {"total": "43", "succ": "40", "fail": "3", "repeat": "0", "black": "0"}
    progress = browser.find_element(By.CSS_SELECTOR, ".bar progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "43"
    _screenshot(browser, "console-import-finished.png")

    browser.find_element(By.ID, "report-xlsx").click()
    report = _wait_for_file(tmp_path / "downloads", ".xlsx")
    sheet = openpyxl.load_workbook(report, read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 1 + len(BAD), rows
    listed = {str(cell) for row in rows[1:] for cell in row if cell is not None}
    assert {"bad-json", "not json", "bad-number", "no-number"} <= listed
    assert {42, 43, 44} <= {cell for row in rows[1:] for cell in row if isinstance(cell, int)}

    # The campaign's Dialling section: the 40 imported records wait, nothing is finished yet.
    browser.get(campaign_url)
    dialling = {name: _text(browser, f"dial-{name}") for name in ("pending", "leased", "rate")}
    assert dialling == {"pending": "40", "leased": "0", "rate": "—"}
    assert "No call result yet." in _text(browser, "dialling")

    # A daily import shows up as a schedule; the cancel button stops it.
    _fill(browser, file_path="/" + UPLOAD, file_name="calls.xlsx", hour="3", minute="30")
    _submit(browser, "Start import")
    browser.get(campaign_url)
    cancel = browser.find_elements(By.XPATH, "//button[normalize-space()='Cancel']")
    assert len(cancel) == 1
    _submit(browser, "Cancel")
    assert browser.find_elements(By.XPATH, "//button[normalize-space()='Cancel']") == []
    assert (
        "cancelled"
        in browser.find_element(By.ID, "plans-h")
        .find_element(By.XPATH, "following-sibling::table")
        .text
    )
    statuses = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "table.tasks .badge")]
    assert statuses == ["failed", "completed"]  # the cancelled run, then the first import
    _screenshot(browser, "console-tasks.png")

    _submit(browser, "Sign out")
    assert browser.current_url == f"{console}/sign-in"
    browser.get(campaign_url)
    assert browser.current_url == f"{console}/sign-in"
