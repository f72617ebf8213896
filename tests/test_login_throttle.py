"""The sign-in throttle counts per account and client, and per client, never per account alone
(pen test: anyone who knew an e-mail address could lock its owner out; spraying was unlimited)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaigns.extensions import db
from campaigns.models import LoginAttempt, utcnow
from campaigns.services.accounts import client_network
from tests.conftest import create_member, login, make_app

WRONG = "wrong password here"


def _from(app: Flask, address: str, **headers: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if headers:
        client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    return client


def test_failures_from_another_client_do_not_lock_the_owner_out(app: Flask) -> None:
    create_member(app, "coordinator", "c@test.example")
    attacker = _from(app, "203.0.113.5")
    for _ in range(5):
        assert login(attacker, "c@test.example", WRONG).status_code == 401
    for _ in range(10):  # the attacker is held back on this account, even with the right password
        assert login(attacker, "c@test.example", WRONG).status_code == 429
    held = login(attacker, "c@test.example")
    assert held.status_code == 429 and 0 < int(held.headers["Retry-After"]) <= 60
    owner = _from(app, "198.51.100.7")
    assert login(owner, "c@test.example").status_code == 302


def test_the_owner_may_mistype_while_under_attack(app: Flask) -> None:
    create_member(app, "coordinator", "c@test.example")
    attacker = _from(app, "203.0.113.5")
    for _ in range(5):
        login(attacker, "c@test.example", WRONG)
    owner = _from(app, "198.51.100.7")
    for _ in range(4):
        assert login(owner, "c@test.example", WRONG).status_code == 401
    assert login(owner, "c@test.example").status_code == 302


def test_spraying_one_password_from_one_client_is_limited(app: Flask) -> None:
    create_member(app, "coordinator", "victim@test.example")
    sprayer = _from(app, "203.0.113.9")
    statuses = [login(sprayer, f"user{i}@test.example", "Summer2026!Summer").status_code for i in range(40)]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    held = login(sprayer, "victim@test.example")  # even a right guess is refused from there
    assert held.status_code == 429 and "from your network" in held.get_data(as_text=True)
    assert 840 <= int(held.headers["Retry-After"]) <= 900
    assert login(_from(app, "198.51.100.7"), "victim@test.example").status_code == 302
    with app.app_context():  # after the client window, the sprayer's count starts again
        db.session.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(seconds=901)))
        db.session.commit()
    assert login(sprayer, "victim@test.example").status_code == 302


def test_signing_in_to_an_own_account_does_not_reset_a_spraying_count(app: Flask) -> None:
    create_member(app, "trainer", "mine@test.example")
    sprayer = _from(app, "203.0.113.9")
    for i in range(19):
        login(sprayer, f"user{i}@test.example", WRONG)
    assert login(sprayer, "mine@test.example").status_code == 302
    assert login(_from(app, "203.0.113.9"), "user99@test.example", WRONG).status_code == 401
    assert login(_from(app, "203.0.113.9"), "user98@test.example", WRONG).status_code == 429


def test_clients_are_told_apart_as_proxyfix_resolves_them(tmp_path: Path, app: Flask) -> None:
    """Behind a proxy every request comes from the proxy; X-Forwarded-For names the client."""
    proxied = make_app(tmp_path / "proxied", app.config["SQLALCHEMY_DATABASE_URI"],
                       SECRET_KEY=app.config["SECRET_KEY"], BEHIND_PROXY=True)
    create_member(app, "coordinator", "c@test.example")
    attacker = _from(proxied, "10.0.0.2", X_Forwarded_For="203.0.113.5")
    for _ in range(5):
        login(attacker, "c@test.example", WRONG)
    assert login(attacker, "c@test.example").status_code == 429
    owner = _from(proxied, "10.0.0.2", X_Forwarded_For="198.51.100.7")
    assert login(owner, "c@test.example").status_code == 302


def test_an_ipv6_client_is_its_64(app: Flask) -> None:
    create_member(app, "coordinator", "c@test.example")
    for i in range(5):  # a fresh address per guess, all in one /64
        login(_from(app, f"2001:db8:1:2::{i + 1:x}"), "c@test.example", WRONG)
    assert login(_from(app, "2001:db8:1:2:ffff::1"), "c@test.example").status_code == 429
    assert login(_from(app, "2001:db8:1:3::1"), "c@test.example").status_code == 302
    assert client_network("2001:db8:1:2::7") == "2001:db8:1:2::/64"
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1" and client_network("junk") == "unknown"


def test_no_address_is_stored(app: Flask) -> None:
    login(_from(app, "203.0.113.5"), "nobody@test.example", WRONG)
    with app.app_context():
        row = db.session.scalars(select(LoginAttempt)).one()
    assert len(row.client_key) == 64 and "203.0.113" not in row.client_key
