"""In headless Chromium (Debian's /usr/bin/chromium driven by Playwright): each role signs in
through the real form and lands on a home page that fits it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from campaigns.models import Role
from campaigns.services.demo import DEMO_USERS
from tests.conftest import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.browser

if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)", allow_module_level=True)


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


def _signed_in(browser: object, live_server: str, role: Role, height: int = 1000) -> tuple[Any, list[str]]:
    """A page signed in through the form as the demo user of `role`, and the console errors it logs."""
    page = browser.new_page(viewport={"width": 1280, "height": height}, accept_downloads=True)  # type: ignore[attr-defined]
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    email, password = DEMO_USERS[role]
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page, console_errors


def _coordinator_page(browser: object, live_server: str) -> tuple[Any, list[str]]:
    return _signed_in(browser, live_server, Role.COORDINATOR)


def test_coordinator_uploads_counts_ranks_reads_the_map_and_exports(
    live_server: str, browser: object, tmp_path: Path
) -> None:
    """Upload incident counts for the demo counties, rank them, open an area on the map, export."""
    from targeting.demo import load_demo_areas, synthetic_incidents

    incidents = synthetic_incidents(load_demo_areas("georgia"), seed=3)
    counts = incidents.groupby(["area_id", "period"]).size().rename("count").reset_index()
    counts_file = tmp_path / "counts.csv"
    counts.to_csv(counts_file, index=False)

    page, console_errors = _coordinator_page(browser, live_server)

    page.goto(f"{live_server}/targeting/")
    page.get_by_role("link", name="Georgia", exact=False).first.click()
    page.get_by_role("link", name="Upload incidents").click()
    page.get_by_label("Counts per area and year").check()
    page.get_by_label("Name of this incident data").fill("Browser test counts")
    page.set_input_files("#file", str(counts_file))
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("#upload-preview").is_visible()
    page.screenshot(path=str(ARTIFACTS / "targeting-upload-preview.png"), full_page=True)
    page.get_by_role("button", name="Import").click()

    page.get_by_label("Year to rank").select_option("2024")
    page.get_by_role("button", name="Rank areas").click()
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() == 159
    first_row = page.locator("#ranking-table tbody tr").first
    area_name = first_row.locator("th a").inner_text()
    first_row.locator("th a").click()  # the table's link opens the area on the map
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert area_name in popup.inner_text()
    assert "times the overall average" in popup.inner_text()
    legend = page.locator(".area-map-legend")
    assert "Score" in legend.inner_text()  # the map starts coloured by score
    page.get_by_label("hot-spot class").check()
    assert "Hot spot, 99 % confidence" in legend.inner_text()
    page.screenshot(path=str(ARTIFACTS / "targeting-map.png"))

    page.get_by_text("Downloads and other options").click()  # the exports fold away under the map
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    target = tmp_path / "ranking.csv"
    download.save_as(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("area_id,name,rank") and area_name in text
    assert not console_errors, console_errors
    page.close()


def test_trainer_switches_to_lithuanian_previews_and_downloads_the_pdf(
    live_server: str, browser: object, tmp_path: Path
) -> None:
    import subprocess

    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = _signed_in(browser, live_server, Role.TRAINER, height=900)
    page.goto(f"{live_server}/toolkits/")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Lietuvių").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "lt"
    assert page.locator("#locale").input_value() == "lt"  # the toolkit follows the chosen language
    assert page.locator("#country").input_value() == "LT"
    page.locator("input[name=audience][value=farm]").check()
    page.locator("#preview-button").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/toolkits/farm/lt")
    frame = page.frame_locator("#toolkit-preview")
    assert frame.locator("html").get_attribute("lang") == "lt"
    heading = frame.locator("h1").inner_text()
    assert any(letter in heading for letter in "ąčęėįšųūž"), heading
    version = page.locator("#toolkit-version").inner_text()
    page.screenshot(path=str(ARTIFACTS / "toolkit-preview-lt.png"), full_page=False)
    with page.expect_download() as info:
        page.locator("#download-pdf-a4").click()
    download = info.value
    assert download.suggested_filename == "toolkit-farm-lt-lt-a4.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert set("ąčęėįšųūž") <= set(text.lower()), sorted(set("ąčęėįšųūž") - set(text.lower()))
    assert version in text  # the page footer carries the version the page showed
    assert not errors, errors
    page.close()


def _plan_from_ranking(page: Any, live_server: str, name: str) -> None:
    """Rank Georgia's 2024 counts, save the ticked areas as a draft named `name`, plan it."""
    page.goto(f"{live_server}/targeting/")
    page.get_by_role("link", name="Georgia", exact=False).first.click()
    page.locator("#rank-link").click()
    page.get_by_label("Year to rank").select_option("2024")
    page.get_by_role("button", name="Rank areas").click()
    page.wait_for_selector("#ranking-table")
    page.locator("#plan-submit").click()  # continue with the ticked areas to the plan step
    page.get_by_label("Campaign name").fill(name)
    page.get_by_role("button", name="Plan the campaign").click()


def test_coordinator_plans_a_campaign_from_a_ranking_and_schedules_it(live_server: str, browser: object) -> None:
    """Rank, save the ticked areas as a draft, plan the campaign, give it dates and channels, schedule."""
    from datetime import date, timedelta

    page, console_errors = _coordinator_page(browser, live_server)
    _plan_from_ranking(page, live_server, "Spring outreach, north-east")
    start = date.today() + timedelta(days=14)
    page.get_by_label("Starts").fill(start.isoformat())
    page.get_by_label("Ends").fill((start + timedelta(days=90)).isoformat())
    page.get_by_label("Training for frontline staff").check()
    page.get_by_label("Social-media ads").check()
    page.get_by_label("Partners (one per line)").fill("Regional bank association\nCounty social services")
    page.get_by_label("Budget").fill("12500")
    page.screenshot(path=str(ARTIFACTS / "campaign-edit.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    assert page.locator("#campaign-status").inner_text() == "Draft"
    page.get_by_role("button", name="Schedule").click()
    assert page.locator("#campaign-status").inner_text() == "Scheduled"
    assert page.get_by_role("button", name="Start now").count() == 0  # it starts in two weeks, on its own
    rows = page.locator("#campaign-areas tbody tr")
    assert rows.count() == 10 and "Habersham" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "campaign-page.png"), full_page=True)
    assert not console_errors, console_errors
    page.close()


def test_coordinator_runs_a_campaign_publishes_its_lithuanian_bank_toolkit_and_sees_reach_on_the_map(
    live_server: str, browser: object
) -> None:
    """The whole journey of issue 11: rank, plan from the chosen areas, start, publish the
    Lithuanian bank-staff toolkit from the campaign, import an ad platform's reach export, and see
    coverage on the campaign's map and in its chart."""
    from datetime import date, timedelta

    page, console_errors = _coordinator_page(browser, live_server)
    _plan_from_ranking(page, live_server, "Bank branches, north-east")
    start = date.today() - timedelta(days=6)
    page.get_by_label("Starts").fill(start.isoformat())
    page.get_by_label("Ends").fill((start + timedelta(days=60)).isoformat())
    page.get_by_label("Training for frontline staff").check()
    page.get_by_label("Social-media ads").check()
    page.get_by_label("Lietuvių").check()
    page.get_by_label("Helpline number").fill("+1 555 0199")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Schedule").click()
    page.get_by_role("button", name="Start now").click()
    assert page.locator("#campaign-status").inner_text() == "Running"

    # The Lithuanian bank-staff toolkit, published from the campaign: its helpline and areas printed.
    page.locator("#tk-audience").select_option("bank")
    page.locator("#tk-locale").select_option("lt")
    page.locator("#tk-country").select_option("US")
    page.get_by_role("button", name="Publish the toolkit").click()
    link = page.locator("#campaign-toolkits a").first
    assert "Lietuvių" in link.inner_text()
    public = link.get_attribute("href")
    assert public and public.startswith("/p/")

    # An ad platform's export, mapped on the preview and imported.
    areas = [c.strip() for c in page.locator("#campaign-areas tbody th").all_inner_texts()][:3]
    lines = ["Day,Region,Reach,Impressions,Amount spent (USD)"]
    for i in range(6):
        day = (start + timedelta(days=i)).isoformat()
        lines += [f"{day},{areas[0]} County,{900 + 10 * i},{2700 + 10 * i},20.00",
                  f"{day},{areas[1]} County,{400 + 5 * i},{1300 + 5 * i},9.50"]
    page.get_by_role("link", name="Import reach").first.click()
    page.locator("#file").set_input_files(
        {"name": "meta-export.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()})
    page.get_by_role("button", name="Next: match the columns").click()
    assert page.locator("#map-reached").input_value() == "Reach"
    assert page.locator("#map-area").input_value() == "Region"
    page.locator("#channel").select_option("social_media")
    page.locator("#confirm-import").click()
    page.wait_for_selector("#channel-coverage")
    assert "12" in page.locator(".flash, .notice-success").first.inner_text()
    coverage = page.locator("#channel-coverage tbody").inner_text()
    # Each area's best day (950 and 425) added over the two areas, never the twelve days added up.
    assert "1,375" in coverage and "8,025" in coverage
    assert page.locator("svg.chart path[data-series]").count() == 1
    page.wait_for_selector("#coverage-map path.leaflet-interactive")
    fills = page.eval_on_selector_all("#coverage-map path.leaflet-interactive",
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    assert any(f in {"#deebf7", "#9ecae1", "#4292c6", "#08519c"} for f in fills), set(fills)
    assert "Not in the campaign" in page.locator("#coverage-map .area-map-legend").inner_text()
    page.screenshot(path=str(ARTIFACTS / "campaign-coverage.png"), full_page=True)

    html = page.request.get(f"{live_server}{public}/download/html").text()
    assert "+1 555 0199" in html and areas[0] in html
    assert not console_errors, console_errors
    page.close()


def test_reviewer_opens_the_ended_campaigns_report_and_downloads_its_pdf(
    live_server: str, browser: object, tmp_path: Path
) -> None:
    import subprocess

    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = _signed_in(browser, live_server, Role.REVIEWER, height=900)
    page.get_by_role("navigation").get_by_role("link", name="Reports").first.click()
    page.get_by_role("link", name="Georgia pilot").click()
    page.wait_for_load_state()
    summary = page.locator("#summary").inner_text()
    assert "Primary outcome:" in summary and "people asked after the campaign" in summary
    assert page.locator("section.outcome svg.chart").count() >= 5  # a chart per outcome
    page.screenshot(path=str(ARTIFACTS / "report-reviewer.png"), full_page=False)
    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    text = " ".join(subprocess.run(["pdftotext", "-raw", str(target), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())  # fmt: skip
    assert summary.split("\n")[0].split(":", 1)[1].strip()[:60] in text  # the PDF says what the page said
    assert not errors, errors
    page.close()
