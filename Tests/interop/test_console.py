"""The approvals console (`riskkernel console`) in a real browser: headless Chromium driven by selenium.

A real gateway holds calls of a counting upstream for a person; the person decides them on the
console's page, which shows each held call without a reload. The tests also check the console's
doors: the API without a session, a cross-origin POST, a login URL used twice.

Chromium and chromedriver are Debian's `chromium` and `chromium-driver` (.ci/run installs them);
a missing browser fails these tests. Screenshots of the approvals page and of a run page are saved
in the test's folder, and also in $RISKKERNEL_SCREENSHOTS when it names a folder (docs/images for
the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import ApprovalWatcher, gateway_session, run_test, text_of
from counting import HELD, executions, upstream

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:  # pragma: no cover - only when the venv is wrong
    raise pytest.UsageError(f"selenium is not importable ({error}); run scripts/setup-python-peers") from error

# Generous: CI runs many tests at once on two cores.
WAIT = 40.0
LOGIN_LINE = re.compile(r"riskkernel console: open (http://\S+/login\?token=\S+)")


def _browser_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(
            "headless Chromium is needed for the console's browser tests: install Debian's chromium and chromium-driver "
            "(.ci/run does)",
            pytrace=False,
        )
    return browser, driver


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--force-color-profile=srgb"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Console:
    process: subprocess.Popen[bytes]
    origin: str
    login_url: str
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


@pytest.fixture
def console(rk_bin: Path, db: Path, tmp_path: Path) -> Iterator[Console]:
    stderr = tmp_path / "console.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            [str(rk_bin), "console", "--listen", "127.0.0.1:0", "--db", str(db)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink, env={**os.environ, "USER": "console-tester"},
        )
    try:
        deadline = time.monotonic() + WAIT
        match = None
        while match is None:
            match = LOGIN_LINE.search(stderr.read_text(errors="replace"))
            if match is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the console printed no login URL (exit status {process.poll()}):\n{stderr.read_text()}", pytrace=False)
                time.sleep(0.05)
        login_url = match.group(1)
        yield Console(process, login_url.split("/login")[0], login_url, stderr)
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"the console did not stop on SIGTERM:\n{stderr.read_text()}", pytrace=False)
    assert process.returncode == 0, f"the console exited {process.returncode} on SIGTERM:\n{stderr.read_text()}"


def screenshot(driver: webdriver.Chrome, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
    wanted = os.environ.get("RISKKERNEL_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(wanted) / name)
    return path


def sign_in(driver: webdriver.Chrome, console: Console) -> None:
    driver.get(console.login_url)
    WebDriverWait(driver, WAIT).until(conditions.url_to_be(console.origin + "/"))
    WebDriverWait(driver, WAIT).until(conditions.presence_of_element_located((By.ID, "live")))


def wait_for_card(driver: webdriver.Chrome, approval_id: str):
    return WebDriverWait(driver, WAIT).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, f'[data-approval-id="{approval_id}"]'))
    )


def decide(driver: webdriver.Chrome, approval_id: str, action: str, reason: str) -> None:
    card = wait_for_card(driver, approval_id)
    field = card.find_element(By.CSS_SELECTOR, 'input[name="reason"]')
    field.clear()
    field.send_keys(reason)
    card.find_element(By.CSS_SELECTOR, f'button[data-action="{action}"]').click()
    WebDriverWait(driver, WAIT).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, f'[data-decided-id="{approval_id}"]'))
    )


def deny_with_keys(driver: webdriver.Chrome, approval_id: str, reason: str) -> None:
    """Denies with the keyboard: the approval focused, r to write the reason, Escape, d."""
    card = wait_for_card(driver, approval_id)
    driver.execute_script("arguments[0].focus()", card)
    ActionChains(driver).send_keys("r").perform()
    WebDriverWait(driver, WAIT).until(lambda d: d.switch_to.active_element.get_attribute("name") == "reason")
    ActionChains(driver).send_keys(reason).send_keys(Keys.ESCAPE).send_keys("d").perform()
    WebDriverWait(driver, WAIT).until(
        conditions.presence_of_element_located((By.CSS_SELECTOR, f'[data-decided-id="{approval_id}"]'))
    )


def request(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def session_of(driver: webdriver.Chrome) -> tuple[str, str]:
    """The session cookie (as a Cookie header) and the CSRF token of the signed-in page."""
    cookies = [c for c in driver.get_cookies() if c["name"] == "riskkernel_console"]
    assert len(cookies) == 1, f"no session cookie: {driver.get_cookies()}"
    cookie = cookies[0]
    assert cookie["httpOnly"] is True and cookie.get("sameSite") == "Strict", cookie
    csrf = driver.find_element(By.CSS_SELECTOR, 'meta[name="csrf-token"]').get_attribute("content")
    return f"riskkernel_console={cookie['value']}", csrf


def test_held_calls_appear_live_and_are_approved_and_denied_in_the_browser(browser, console, gateway, cli, tmp_path):
    policy = gateway.policy_file(HELD)
    command, ledger = upstream(tmp_path)
    watcher = ApprovalWatcher()
    sign_in(browser, console)
    # The empty state says how to wrap a server.
    assert "riskkernel gateway" in browser.find_element(By.ID, "live").text
    # The name decisions are recorded under, asked once.
    name = browser.find_element(By.ID, "decider-name")
    name.clear()
    name.send_keys("Dana Reviewer")
    browser.find_element(By.CSS_SELECTOR, "#name-form button").click()
    WebDriverWait(browser, WAIT).until(conditions.text_to_be_present_in_element((By.ID, "decider"), "Dana Reviewer"))
    # A marker that a reload would wipe.
    browser.execute_script("window.__notReloaded = true")

    async def held_call(session, arguments, results, index):
        results[index] = await session.call_tool("send_message", arguments, read_timeout_seconds=WAIT + 20)

    async def body():
        results: dict[int, Any] = {}
        async with gateway_session(
            gateway, command, "--policy-file", str(policy), "--server-name", "messages", "--approval-hold", str(int(WAIT)), watcher=watcher
        ) as session:
            async with anyio.create_task_group() as group:
                group.start_soon(held_call, session, {"to": "ops@example.com", "body": "deploy now"}, results, 0)
                notice = await watcher.next_for("send_message")
                card = await anyio.to_thread.run_sync(wait_for_card, browser, notice["approvalId"])
                shown = card.text
                not_reloaded = await anyio.to_thread.run_sync(browser.execute_script, "return window.__notReloaded === true")
                await anyio.to_thread.run_sync(screenshot, browser, tmp_path, "console-approvals.png")
                await anyio.to_thread.run_sync(decide, browser, notice["approvalId"], "approve", "checked the recipient")
            async with anyio.create_task_group() as group:
                group.start_soon(held_call, session, {"to": "all@example.com", "body": "drop the table"}, results, 1)
                second = await watcher.next_for("send_message", seen=1)
                await anyio.to_thread.run_sync(deny_with_keys, browser, second["approvalId"], "not during the freeze")
        return results, notice, second, shown, not_reloaded

    results, notice, second, shown, not_reloaded = run_test(body, timeout=3 * WAIT)

    # Shown live, without a reload, with what a person decides on.
    assert not_reloaded, "the page was reloaded to show the held call"
    assert "send_message" in shown and "ops@example.com" in shown and "deploy now" in shown, shown
    # The gateway's notice links to the console serving the same store.
    assert notice.get("consoleUrl") == f"{console.origin}/approvals/{notice['approvalId']}", notice
    # Approved: released to the upstream, once, with the reason and the decider recorded.
    assert results[0].is_error is not True, text_of(results[0])
    assert [e["to"] for e in executions(ledger)] == ["ops@example.com"]
    # Denied (with the keys r, Escape, d): the agent's refusal carries the reason, and nothing ran.
    assert results[1].is_error is True
    assert "denied by Dana Reviewer: not during the freeze" in text_of(results[1])
    decided = {a["id"]: a for a in cli.json("approvals", "list")}
    assert decided[notice["approvalId"]]["status"] == "approved"
    assert decided[notice["approvalId"]]["decidedBy"] == "Dana Reviewer"
    assert decided[notice["approvalId"]]["reason"] == "checked the recipient"
    assert decided[second["approvalId"]]["status"] == "denied"
    assert decided[second["approvalId"]]["decidedBy"] == "Dana Reviewer"
    # Decided ones moved to the history, with who and why.
    history = browser.find_element(By.CSS_SELECTOR, f'[data-decided-id="{second["approvalId"]}"]').text
    assert "Dana Reviewer" in history and "not during the freeze" in history, history
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-approval-id]"), "a decided approval is still shown as pending"

    # The run page: budget, timeline with the approvals, and the chain's verify status.
    run_id = decided[notice["approvalId"]]["runId"]
    browser.get(f"{console.origin}/runs/{run_id}")
    WebDriverWait(browser, WAIT).until(conditions.presence_of_element_located((By.CSS_SELECTOR, '[data-chain="intact"]')))
    timeline = browser.find_element(By.CSS_SELECTOR, ".timeline").text
    assert "approved" in timeline and "denied" in timeline and "send_message" in timeline, timeline
    screenshot(browser, tmp_path, "console-run.png")
    # The API answers with the CLI's JSON.
    cookie, _ = session_of(browser)
    status, text = request(f"{console.origin}/api/runs/{run_id}", headers={"Cookie": cookie})
    assert status == 200
    assert json.loads(text) == cli.json("runs", "show", run_id)


def test_the_console_refuses_requests_without_a_session_cross_origin_posts_and_a_reused_login(browser, console, cli):
    # An API call without the session.
    status, text = request(f"{console.origin}/api/approvals")
    assert status == 401, text
    assert "error" in json.loads(text)

    sign_in(browser, console)
    cookie, csrf = session_of(browser)
    assert "riskkernel_console" not in browser.execute_script("return document.cookie"), "the session cookie is readable by scripts"
    status, text = request(f"{console.origin}/api/approvals?status=pending", headers={"Cookie": cookie})
    assert status == 200 and json.loads(text) == cli.json("approvals", "list", "--status", "pending")

    # A cross-origin POST (with the session and the CSRF token even) is refused.
    url = f"{console.origin}/api/approvals/apr_doesnotexist/approve"
    status, text = request(url, method="POST", headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "http://evil.example"}, body={})
    assert status == 403, text
    # So is a same-origin POST without the CSRF token.
    status, text = request(url, method="POST", headers={"Cookie": cookie, "Origin": console.origin}, body={})
    assert status == 403, text
    # With both, the request reaches the route (which knows no such approval).
    status, text = request(url, method="POST", headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": console.origin}, body={})
    assert status == 404, text

    # The login URL works once.
    browser.delete_all_cookies()
    browser.get(console.login_url)
    WebDriverWait(browser, WAIT).until(conditions.presence_of_element_located((By.CSS_SELECTOR, "section.message")))
    assert "already used" in browser.find_element(By.CSS_SELECTOR, "section.message").text
    assert not [c for c in browser.get_cookies() if c["name"] == "riskkernel_console"], "a reused login token opened a session"
    status, _ = request(console.login_url)
    assert status == 403
