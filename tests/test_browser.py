"""In headless Chromium (Debian's /usr/bin/chromium driven by Playwright): each role signs in
through the real form and lands on a home page that fits it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from campaigns.models import Role
from campaigns.services.demo import DEMO_USERS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.browser

if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)", allow_module_level=True)


@pytest.fixture
def live_server(demo_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


EXPECTED_HOME = {
    Role.ADMIN: ["Targeting", "Toolkits", "Reports", "Audit log"],
    Role.COORDINATOR: ["Targeting", "Campaigns"],
    Role.TRAINER: ["Toolkits"],
    Role.REVIEWER: ["Reports"],
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_signs_in_and_sees_its_home(live_server: str, browser: object, role: Role) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/targeting/")
    assert "/login" in page.url  # sent to sign in first
    email, password = DEMO_USERS[role]
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if role in (Role.ADMIN, Role.COORDINATOR):
        assert page.url.endswith("/targeting/")  # back where they were going
        assert page.get_by_text("Synthetic", exact=True).first.is_visible()
    else:
        assert page.locator("h1").inner_text() == "You do not have access to this page"
    errors.clear()  # the 403 above is logged by the browser, on purpose
    page.goto(f"{live_server}/")
    nav = page.get_by_role("navigation", name="Main")
    for label in EXPECTED_HOME[role]:
        assert nav.get_by_role("link", name=label).is_visible(), (role, label)
    page.screenshot(path=str(ARTIFACTS / f"home-{role.value}.png"), full_page=True)
    assert not errors, errors  # e.g. a CSP violation would show here
    page.close()


def test_arabic_page_is_right_to_left_and_keyboard_reachable(live_server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server}/login?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.screenshot(path=str(ARTIFACTS / "login-ar.png"))
    page.close()
