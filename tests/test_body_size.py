"""A body over MAX_CONTENT_LENGTH is a 413 with the normal error page, or JSON under /api/."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from campaigns.extensions import db
from campaigns.models import User
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI
from tests.conftest import create_member, csrf_token

LIMIT = 64 * 1024


def _small(app: Flask) -> Flask:
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    return app


def test_signed_out_login_post_too_large_is_a_413_page(app: Flask, client: FlaskClient) -> None:
    _small(app)
    create_member(app, "trainer", "t@test.example")
    token = csrf_token(client)
    response = client.post("/login", data={"email": "t@test.example", "password": "x" * (LIMIT + 1),
                                           "csrf_token": token})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "The file or form is too large" in page and "64 kB" in page
    assert "Go to the home page" in page


def test_body_without_a_length_is_cut_off_with_the_same_page(app: Flask, client: FlaskClient) -> None:
    """No Content-Length (chunked): Werkzeug stops reading at the limit when the CSRF check reads
    the form; the error page must not read the body again."""
    _small(app)
    token = csrf_token(client)
    body = f"csrf_token={token}&email=t%40test.example&password={'x' * (LIMIT + 1)}".encode()
    response = client.post("/login", input_stream=io.BytesIO(body),
                           content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert "The file or form is too large" in response.get_data(as_text=True)


def test_signed_in_upload_too_large_keeps_the_page_header(app: Flask,
                                                          client_for: Callable[..., FlaskClient]) -> None:
    _small(app)
    client = client_for("coordinator")
    token = csrf_token(client, "/targeting/upload/boundaries")
    response = client.post("/targeting/upload/boundaries", content_type="multipart/form-data", data={
        "csrf_token": token, "set_name": "Big", "file": (io.BytesIO(b"0" * (LIMIT + 1)), "big.geojson")})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file or form is too large" in page and "Sign out" in page


def test_translated(app: Flask, client: FlaskClient) -> None:
    _small(app)
    token = csrf_token(client)
    response = client.post("/login?lang=lt", data={"csrf_token": token, "password": "x" * (LIMIT + 1)})
    assert response.status_code == 413
    assert "The file or form is too large" not in response.get_data(as_text=True)


def test_api_answers_413_in_json(app: Flask) -> None:
    _small(app)
    user = create_member(app, "coordinator", "c@test.example")
    with app.app_context():
        _row, secret = accounts.create_token(SYSTEM_CLI, db.session.get(User, user.id), "test")
        db.session.commit()
    client = app.test_client()
    for method, path in [("GET", "/api/v1/boundary-sets"), ("POST", "/api/v1/me")]:
        response = client.open(path, method=method, data=b"{" + b" " * LIMIT + b"}",
                               headers={"Authorization": f"Bearer {secret}"}, content_type="application/json")
        assert response.status_code == 413, (method, path)
        assert response.is_json and response.get_json()["error"]["status"] == 413


def test_within_the_limit_still_works(app: Flask, client: FlaskClient) -> None:
    _small(app)
    create_member(app, "trainer", "t@test.example")
    token = csrf_token(client)
    response = client.post("/login", data={"email": "t@test.example", "password": "wrong password here",
                                           "csrf_token": token})
    assert response.status_code == 401
