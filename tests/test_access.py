"""Login by default: walk every route and prove the gate answers for it, per role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaigns.access import PUBLIC_ENDPOINTS, allowed_roles, check_policies
from campaigns.models import Role

EXPECTED_PUBLIC = {
    "auth.login", "static", "home.health", "public_toolkits.public_page", "public_toolkits.public_download",
    "public_surveys.choose", "public_surveys.answer",  # the survey form: no login, nothing identifying stored
    "public_files.favicon", "public_files.robots",  # /favicon.ico and /robots.txt
    "auth.set_password",  # a one-time set-password link: its secret is the key
}
SAMPLE_ARGS = {
    "set_id": 999_999, "run_id": 999_999, "fmt": "csv", "filename": "css/app.css", "audience": "bank",
    "locale": "lt", "publication_id": 999_999, "slug": "no-such-link", "incident_set_id": 999_999,
    "draft_id": 999_999, "campaign_id": 999_999, "row_id": 999_999, "wave_id": 999_999, "key": "no-such-question",
    "token": "no-such-token", "user_id": 999_999, "kind": "counts", "logo_id": 999_999,
}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule and method the app serves."""
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", str(SAMPLE_ARGS[arg])).replace(f"<{arg}>", str(SAMPLE_ARGS[arg]))
            url = url.replace(f"<path:{arg}>", str(SAMPLE_ARGS[arg]))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def test_public_endpoints_are_exactly_the_allow_list(app: Flask) -> None:
    assert set(PUBLIC_ENDPOINTS) == EXPECTED_PUBLIC
    assert set(app.view_functions) >= EXPECTED_PUBLIC


def test_every_other_endpoint_has_a_role_policy(app: Flask) -> None:
    for endpoint in app.view_functions:
        if endpoint not in PUBLIC_ENDPOINTS:
            assert allowed_roles(app, endpoint), endpoint


def test_an_endpoint_without_policy_stops_start_up(app: Flask) -> None:
    app.view_functions["rogue"] = lambda: "x"
    with pytest.raises(RuntimeError, match="rogue"):
        check_policies(app)
    del app.view_functions["rogue"]


def test_signed_out_requests_go_to_login_or_get_401(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.is_json
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)
        checked += 1
    assert checked >= 12


def test_public_endpoints_answer_signed_out(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/static/css/app.css").status_code == 200


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_gets_403_exactly_where_it_may_not_go(
    app: Flask, client_for: Callable[..., FlaskClient], role: str
) -> None:
    client = client_for(role)
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS or endpoint == "auth.logout":
            continue
        if url.startswith("/api/"):
            continue  # the API takes tokens, not cookies: see test_api.py
        permitted = Role(role) in (allowed_roles(app, endpoint) or set())
        response = client.open(url, method=method)
        if permitted:
            assert response.status_code not in (401, 403), (role, method, url)
            assert not response.headers.get("Location", "").startswith("/login"), (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)


def test_role_matrix_matches_the_product(app: Flask) -> None:
    """Coordinators plan, trainers equip, reviewers read reports; admins do all."""
    def who(endpoint: str) -> set[str]:
        return {r.value for r in allowed_roles(app, endpoint) or set()}

    assert who("targeting.index") == {"admin", "coordinator"}
    assert who("campaigns.index") == {"admin", "coordinator"}
    assert who("toolkits.index") == {"admin", "coordinator", "trainer"}
    assert who("reports.index") == {"admin", "coordinator", "reviewer"}
    assert who("admin.audit_log") == {"admin"}
    assert who("home.index") == {"admin", "coordinator", "trainer", "reviewer"}


def test_forbidden_page_says_what_to_do(client_for: Callable[..., FlaskClient]) -> None:
    response = client_for("trainer").get("/targeting/")
    assert response.status_code == 403
    assert "Ask an administrator" in response.get_data(as_text=True)
