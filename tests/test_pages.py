"""Pages through the real HTTP app: per-role navigation, scoping, suppression, synthetic labels."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from campaigns.models import Role
from tests.conftest import demo_client, georgia_id

NAV = {"Targeting": "/targeting/", "Campaigns": "/campaigns/", "Toolkits": "/toolkits/",
       "Reports": "/reports/", "Audit log": "/admin/audit"}
EXPECTED_NAV = {
    "admin": set(NAV),
    "coordinator": {"Targeting", "Campaigns", "Toolkits", "Reports"},
    "trainer": {"Toolkits"},
    "reviewer": {"Reports"},
}


def _nav_labels(html: str) -> set[str]:
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return {label for label in NAV if f">{label}</a>" in nav}


def test_navigation_fits_each_role(client_for: Callable[..., FlaskClient]) -> None:
    for role, expected in EXPECTED_NAV.items():
        html = client_for(role).get("/").get_data(as_text=True)
        assert _nav_labels(html) == expected, role


def test_empty_states_say_what_comes_next(client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    for path, text in [("/targeting/", "No boundary sets yet"), ("/campaigns/", "No campaigns yet"),
                       ("/toolkits/", "Nothing is published"), ("/reports/", "No reports yet")]:
        assert text in admin.get(path).get_data(as_text=True), path


def test_demo_targeting_page_marks_synthetic_data(demo_app: Flask) -> None:
    client = demo_client(demo_app, Role.COORDINATOR)
    index = client.get("/targeting/").get_data(as_text=True)
    assert "Georgia counties" in index and "Virginia" in index and "Synthetic" in index
    assert "6,478,216" in index
    detail = client.get(f"/targeting/sets/{georgia_id(demo_app)}").get_data(as_text=True)
    assert 'id="synthetic-banner"' in detail and "not real cases" in detail
    assert "Fulton" in detail


def test_no_small_count_reaches_the_page_or_the_csv(demo_app: Flask) -> None:
    client = demo_client(demo_app, Role.COORDINATOR)
    set_id = georgia_id(demo_app)
    html = client.get(f"/targeting/sets/{set_id}").get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tfoot>", 1)[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', body, flags=re.S)
    counts = [c for c in cells if "hidden-count" in c or not c.strip().replace(",", "").isdigit()
              or int(c.replace(",", "")) < 1_000]
    shown = [int(c.replace(",", "")) for c in counts if c.strip().replace(",", "").isdigit()]
    assert any("hidden-count" in c for c in cells)
    assert not any(1 <= v < 11 for v in shown)
    csv = client.get(f"/targeting/sets/{set_id}/counts.csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("# SYNTHETIC")
    rows = [line.split(",") for line in lines[3:]]
    assert len(rows) == 160  # 159 counties and the total
    values = [v for row in rows for v in row[3:]]
    assert "suppressed" in values
    assert not any(v.isdigit() and 1 <= int(v) < 11 for v in values)


def test_another_organisation_cannot_see_the_demo(demo_app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    outsider = client_for("coordinator", org_name="Other Org")
    set_id = georgia_id(demo_app)
    assert outsider.get(f"/targeting/sets/{set_id}").status_code == 404
    assert outsider.get(f"/targeting/sets/{set_id}/counts.csv").status_code == 404
    assert "Georgia" not in outsider.get("/targeting/").get_data(as_text=True)


def test_home_labels_the_demo_organisation(demo_app: Flask) -> None:
    html = demo_client(demo_app, Role.TRAINER).get("/").get_data(as_text=True)
    assert "Demo Outreach Network (fictional)" in html and "every incident is synthetic" in html


def test_language_preference_is_saved(client_for: Callable[..., FlaskClient]) -> None:
    from tests.conftest import csrf_token

    client = client_for("trainer")
    token = csrf_token(client, "/account")
    client.post("/account", data={"locale": "pl", "csrf_token": token})
    assert '<html lang="pl"' in client.get("/").get_data(as_text=True)
