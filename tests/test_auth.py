"""Sign-in, sessions, the throttle, cookie flags and password storage."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaigns.extensions import db
from campaigns.models import LoginAttempt, User, UserSession, utcnow
from tests.conftest import CSRF_RE, PASSWORD, create_member, csrf_token, login, make_app


def test_login_then_home(app: Flask, client: FlaskClient) -> None:
    create_member(app, "coordinator", "c@test.example")
    response = login(client, "c@test.example")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Targeting" in page and "Test Org" in page


def test_passwords_are_stored_as_scrypt_hashes(app: Flask) -> None:
    create_member(app, "trainer", "t@test.example")
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.email == "t@test.example"))
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_wrong_password_says_what_to_check(app: Flask, client: FlaskClient) -> None:
    create_member(app, "trainer", "t@test.example")
    response = login(client, "t@test.example", "wrong password here")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_new_session_on_login_and_logout_ends_it(app: Flask, client: FlaskClient) -> None:
    create_member(app, "reviewer", "r@test.example")
    client.get("/login?lang=es")  # something stored before signing in
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    login(client, "r@test.example")
    with client.session_transaction() as s:
        assert "planted" not in s and s["sid"]
        assert s["lang"] == "es"  # the language choice survives, nothing else
        stolen = dict(s)
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(UserSession)) is None
    # Replaying the old cookie after logout does not get back in.
    replay = app.test_client()
    with replay.session_transaction() as s:
        s.update(stolen)
    assert replay.get("/").headers["Location"].startswith("/login")


def test_idle_session_expires(app: Flask, client: FlaskClient) -> None:
    create_member(app, "trainer", "t@test.example")
    login(client, "t@test.example")
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    assert client.get("/").headers["Location"].startswith("/login")


def test_deactivated_user_is_signed_out_and_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    from campaigns.services import accounts
    from campaigns.services.audit import SYSTEM_CLI

    create_member(app, "trainer", "t@test.example")
    login(client, "t@test.example")
    with app.app_context():
        accounts.set_active(SYSTEM_CLI, db.session.scalar(select(User)), False)
        db.session.commit()
    assert client.get("/").status_code == 302
    assert login(app.test_client(), "t@test.example").status_code == 401


def test_throttle_after_five_failures_even_with_the_right_password(app: Flask, client: FlaskClient) -> None:
    create_member(app, "coordinator", "c@test.example")
    for _ in range(5):
        assert login(client, "c@test.example", "wrong password here").status_code == 401
    blocked = login(client, "c@test.example")
    assert blocked.status_code == 429
    assert "Wait a minute" in blocked.get_data(as_text=True)
    with app.app_context():  # a minute later the account opens again
        db.session.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(seconds=61)))
        db.session.commit()
    assert login(client, "c@test.example").status_code == 302


def test_throttle_holds_across_workers(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two app instances on one database stand for two gunicorn workers."""
    create_member(app, "coordinator", "c@test.example")
    other = make_app(tmp_path / "other", app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY=app.config["SECRET_KEY"])
    workers = [app.test_client(), other.test_client()]
    for i in range(5):
        assert login(workers[i % 2], "c@test.example", "wrong password here").status_code == 401
    assert login(workers[1], "c@test.example").status_code == 429
    assert login(workers[0], "c@test.example").status_code == 429


def test_unknown_accounts_are_throttled_and_not_stored_in_clear(app: Flask, client: FlaskClient) -> None:
    for _ in range(5):
        login(client, "nobody@test.example", "whatever password")
    assert login(client, "nobody@test.example", "whatever password").status_code == 429
    with app.app_context():
        keys = db.session.scalars(select(LoginAttempt.account_key)).all()
    assert keys and all("nobody" not in k for k in keys)


def test_cookie_flags(app: Flask, client: FlaskClient) -> None:
    create_member(app, "trainer", "t@test.example")
    response = login(client, "t@test.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client()
    page = https.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    secure = https.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                        data={"email": "t@test.example", "password": PASSWORD, "csrf_token": token})
    assert "Secure" in secure.headers["Set-Cookie"]
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_next_is_followed_only_within_the_site(app: Flask) -> None:
    create_member(app, "coordinator", "c@test.example")
    for target, expected in [("/targeting/", "/targeting/"), ("//evil.example/x", "/"), ("https://evil.example", "/")]:
        c = app.test_client()
        token = csrf_token(c)
        r = c.post("/login", query_string={"next": target},
                   data={"email": "c@test.example", "password": PASSWORD, "csrf_token": token})
        assert r.headers["Location"] == expected


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    body = response.get_data(as_text=True)
    assert "<script>" not in body and " style=" not in body  # nothing inline for the CSP to block
