"""The JSON API: bearer tokens stored hashed and revocable, roles, suppression of counts."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import ApiToken, Role
from campaigns.services.demo import DEMO_USERS


def _token(app: Flask, email: str) -> str:
    result = app.test_cli_runner().invoke(args=["tokens", "create", email, "--name", "test"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_token_authenticates_and_is_stored_hashed(demo_app: Flask) -> None:
    email = DEMO_USERS[Role.COORDINATOR][0]
    secret = _token(demo_app, email)
    client = demo_app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["role"] == "coordinator"
    assert "email" not in me.get_json()
    with demo_app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored and secret not in stored and all(len(h) == 64 for h in stored)


def test_revoked_token_is_refused(demo_app: Flask) -> None:
    secret = _token(demo_app, DEMO_USERS[Role.COORDINATOR][0])
    prefix = secret.split("_")[1]
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["tokens", "revoke", prefix]).exit_code == 0
    listed = runner.invoke(args=["tokens", "list", DEMO_USERS[Role.COORDINATOR][0]]).output
    assert "revoked" in listed
    r = demo_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and r.get_json()["error"]["status"] == 401


def test_bad_token_and_cookie_do_not_authenticate(client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")  # has a session cookie
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cpt_nope_nope"}).status_code == 401


def test_role_is_enforced_on_the_api(demo_app: Flask) -> None:
    secret = _token(demo_app, DEMO_USERS[Role.TRAINER][0])
    r = demo_app.test_client().get("/api/v1/boundary-sets", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 403 and "trainer" in r.get_json()["error"]["message"]


def test_counts_from_the_api_are_suppressed(demo_app: Flask) -> None:
    secret = _token(demo_app, DEMO_USERS[Role.COORDINATOR][0])
    client = demo_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    sets = client.get("/api/v1/boundary-sets", headers=headers).get_json()["boundary_sets"]
    georgia = next(s for s in sets if s["name"].startswith("Georgia"))
    assert georgia["areas"] == 159
    body = client.get(f"/api/v1/boundary-sets/{georgia['id']}/incident-counts", headers=headers).get_json()
    assert body["synthetic"] is True and body["suppression_k"] == 11
    values = [v for area in body["areas"] for v in area["counts"].values()]
    assert len(values) == 159 * 6
    shown = [v for v in values if v is not None]
    assert None in values and shown
    assert not any(1 <= v < 11 for v in shown)
    totals = body["period_totals"]
    assert set(totals) == set(body["areas"][0]["counts"])
    for period, bounds in totals.items():  # a total with a hidden count in it is a range
        column = [area["counts"][period] for area in body["areas"]]
        hidden = sum(v is None for v in column)
        assert bounds["low"] == sum(v or 0 for v in column) + hidden
        assert bounds["high"] == sum(v or 0 for v in column) + 10 * hidden


def test_api_errors_are_json(demo_app: Flask) -> None:
    secret = _token(demo_app, DEMO_USERS[Role.COORDINATOR][0])
    r = demo_app.test_client().get("/api/v1/boundary-sets/999999/incident-counts",
                                   headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 404 and r.is_json
