"""End to end in a real headless browser: Debian's chromium driven by playwright, the app on loopback,
the real embedder and the real embedded model."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from copilot.settings import PROJECT_ROOT
from tests.conftest import MODELS

pytestmark = [pytest.mark.browser, pytest.mark.llm, pytest.mark.real]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the app did not come up at {url}")


def test_chat_round_trip_in_a_real_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it"
    copilot = str(Path(sys.executable).parent / "copilot")
    env = dict(os.environ, COPILOT_HOME=str(tmp_path / "home"), COPILOT_MODELS_HOME=str(MODELS))
    subprocess.run([copilot, "ingest", "--quiet"], env=env, check=True, capture_output=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    app = subprocess.Popen([copilot, "ui", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _wait_healthy(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
            page.goto(url)
            box = page.locator('[data-testid="stChatInputTextArea"]')
            box.wait_for(timeout=60_000)
            box.fill("Which mine is MP Materials expanding output at?")
            box.press("Enter")
            page.locator('a[href^="#src-"]').first.wait_for(timeout=300_000)  # a citation marker, linked
            # the page renders element by element: wait for the answer's own disclaimer (the page has one too)
            disclaimer = page.get_by_text("For information only, not investment advice")
            disclaimer.nth(1).wait_for(timeout=60_000)
            page.get_by_text("Sources (").first.wait_for(timeout=60_000)

            assert page.get_by_text("Mountain Pass").first.is_visible()
            assert page.locator('a[href^="#src-"]').first.is_visible()
            assert disclaimer.count() >= 2
            page.screenshot(path=str(ARTIFACTS / "ui-chat.png"), full_page=True)

            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name="Markdown report").click()
            report = Path(download.value.path()).read_text()
            assert "Which mine is MP Materials expanding output at?" in report and "**References**" in report
            (ARTIFACTS / "ui-session.md").write_text(report)
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=30)
