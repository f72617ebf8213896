"""A coordinator with no prior knowledge walks the guided path in Chromium: home, the set's data
step, rank, choose areas on two pages of the table, plan. Screenshots of the ranking page at
1280 and 390 pixels go to test-artifacts/ (the closing note of issue 13 links them)."""

from __future__ import annotations

import re
from typing import Any

from test_browser import ARTIFACTS, _signed_in

from campaigns.models import Role


def _chosen(page: Any) -> str:
    return str(page.locator("#chosen-count .chosen-areas").inner_text())


def test_guided_path_from_home_to_a_planned_campaign(live_server: str, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, console_errors = _signed_in(browser, live_server, Role.COORDINATOR, height=900)

    page.get_by_role("link", name="Plan a campaign").click()  # home -> step 1, the set's data
    assert page.locator('.steps [aria-current="step"]').inner_text().startswith("1")
    page.wait_for_selector("#set-map path.leaflet-interactive")
    page.get_by_role("link", name="Rank areas").first.click()  # -> step 2
    assert "Next: read the ranking" in page.locator("#rank-form").inner_text()
    page.get_by_role("button", name="Rank areas").click()  # the suggested weights
    page.wait_for_selector("#ranking-table")  # -> step 3
    summary = page.locator("#ranking-summary").inner_text()
    assert "stand out" in summary
    page.wait_for_selector("#area-map path.leaflet-interactive")
    page.screenshot(path=str(ARTIFACTS / "ranking-1280.png"), full_page=False)

    assert _chosen(page) == "Areas chosen: 10"  # the top ten, ticked for the coordinator
    rows = page.locator("#ranking-table tbody tr")
    rows.nth(0).locator("input[type=checkbox]").uncheck()
    rows.nth(12).locator("input[type=checkbox]").check()
    assert _chosen(page) == "Areas chosen: 10"  # counted as the user ticks
    page.get_by_role("button", name="Next").click()  # page 2: the ticks of page 1 travel along
    page.wait_for_load_state()
    assert "Page 2 of 4" in page.locator(".pager").inner_text()
    assert _chosen(page) == "Areas chosen: 10"
    second_page_area = page.locator("#ranking-table tbody tr").nth(3)
    name_on_page_two = second_page_area.locator("th").inner_text().strip()
    second_page_area.locator("input[type=checkbox]").check()
    assert _chosen(page) == "Areas chosen: 11"
    # sorting by a column keeps them too
    page.locator("#ranking-table thead").get_by_role("button", name="Area").click()
    page.wait_for_load_state()
    assert _chosen(page) == "Areas chosen: 11"
    page.locator("#plan-submit").click()  # -> step 4

    assert page.locator('.steps [aria-current="step"]').inner_text().startswith("4")
    assert "You chose 11 areas." in page.locator("#plan-summary").inner_text()
    chosen_names = page.locator("#chosen-areas tbody th").all_inner_texts()
    assert name_on_page_two in chosen_names and len(chosen_names) == 11
    page.get_by_label("Campaign name").fill("Guided path outreach")
    page.get_by_role("button", name="Plan the campaign").click()
    page.wait_for_load_state()
    assert re.search(r"/campaigns/\d+/edit$", page.url), page.url
    assert "Guided path outreach" in page.content()
    assert not console_errors, console_errors
    page.close()


def test_ranking_page_fits_a_phone_and_folds_its_legend(live_server: str, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, console_errors = _signed_in(browser, live_server, Role.COORDINATOR, height=844)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/targeting/")
    page.locator("#boundary-sets").get_by_role("link", name="Rank areas").first.click()
    page.get_by_role("button", name="Rank areas").click()
    page.wait_for_selector("#area-map path.leaflet-interactive")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    legend = page.locator(".area-map-legend")
    assert not legend.locator("ul").is_visible()  # folded: the map stays visible
    toggle = legend.locator("button.area-map-legend-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert legend.locator("ul").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    page.evaluate("document.getElementById('map-heading').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "ranking-390.png"), full_page=False)
    assert not console_errors, console_errors
    page.close()

