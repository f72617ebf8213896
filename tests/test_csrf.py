"""Every form needs its CSRF token; the API (bearer tokens) does not take cookies at all."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, create_member, csrf_token


def test_login_without_token_is_refused(app: Flask, client: FlaskClient) -> None:
    create_member(app, "trainer", "t@test.example")
    response = client.post("/login", data={"email": "t@test.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_token_from_another_session_is_refused(app: Flask) -> None:
    create_member(app, "trainer", "t@test.example")
    foreign = csrf_token(app.test_client())
    response = app.test_client().post(
        "/login", data={"email": "t@test.example", "password": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 400


def test_signed_in_forms_need_the_token(client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    assert client.post("/account", data={"locale": "lt"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in: the forged logout did nothing
    token = csrf_token(client, "/account")
    assert client.post("/account", data={"locale": "lt", "csrf_token": token}).status_code == 302


def test_every_post_form_carries_a_token(client_for: Callable[..., FlaskClient]) -> None:
    import re

    client = client_for("admin")
    for path in ["/", "/account", "/targeting/", "/admin/audit"]:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S | re.I):
            assert 'name="csrf_token"' in form, (path, form[:200])
