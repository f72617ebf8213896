"""/admin/users in the browser: admins create accounts, change roles, deactivate and reactivate,
and give one-time set-password links; everything through the real HTTP app, audited, and
limited to the admin's own organisation."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaigns.extensions import db
from campaigns.models import AuditEntry, LoginAttempt, Role, User, UserSession, utcnow
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI
from tests.conftest import PASSWORD, create_member, csrf_token, login

NEW_PASSWORD = "a long and new pass phrase"
LINK_RE = re.compile(r'id="password-link" type="text" value="([^"]+)"')


def _link_path(response: Any) -> str:
    """The set-password link the page shows, as a path for the test client."""
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return urlsplit(html.unescape(match.group(1))).path


def _create(admin: FlaskClient, email: str, role: str = "coordinator") -> Any:
    token = csrf_token(admin, "/admin/users/new")
    return admin.post("/admin/users/new", data={"email": email, "role": role, "csrf_token": token})


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        return user


def _post(client: FlaskClient, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users"), **data})


def _actions(app: Flask, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id),
                                            AuditEntry.action.startswith("user."))
            .order_by(AuditEntry.id)
        ))


def _choose(client: FlaskClient, path: str, password: str, confirm: str | None = None) -> Any:
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "confirm": password if confirm is None else confirm,
                                   "csrf_token": token})


def test_a_new_account_chooses_its_password_through_a_link_that_works_once(
    app: Flask, client_for: Callable[..., FlaskClient]
) -> None:
    admin = client_for("admin")
    created = _create(admin, "New.Person@Test.example", "trainer")
    assert created.status_code == 200
    page = created.get_data(as_text=True)
    assert "The account is created" in page and "new.person@test.example" in page
    assert created.headers["Referrer-Policy"] == "no-referrer" and "no-store" in created.headers["Cache-Control"]
    path = _link_path(created)
    secret = path.rsplit("/", 1)[1]
    assert path.startswith("/account/set-password/") and len(secret) >= 40

    user = _user(app, "new.person@test.example")
    assert user.role == Role.TRAINER and user.active
    assert user.password_link_hash == accounts.sha256_hex(secret)  # only the hash is stored
    with app.app_context():
        stored = " ".join(str(v) for v in db.session.execute(select(User.__table__)).all())
        stored += " ".join(str(e.details) for e in db.session.scalars(select(AuditEntry)))
    assert secret not in stored

    stranger = app.test_client()
    # No password was typed by anyone: the account cannot sign in before its owner chooses one.
    assert login(stranger, "new.person@test.example", "").status_code == 400
    assert login(stranger, "new.person@test.example", PASSWORD).status_code == 401

    form = stranger.get(path)
    assert form.status_code == 200
    assert "new.person@test.example" in form.get_data(as_text=True)
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)

    short = _choose(stranger, path, "too short")
    assert short.status_code == 400
    body = short.get_data(as_text=True)
    assert 'role="alert"' in body and "at least 12 characters" in body and 'aria-invalid="true"' in body
    mismatch = _choose(stranger, path, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    no_csrf = stranger.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert no_csrf.status_code == 400
    assert _user(app, "new.person@test.example").password_link_hash is not None  # failures used nothing up

    done = _choose(stranger, path, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Your password is saved" in stranger.get("/login").get_data(as_text=True)
    assert login(app.test_client(), "new.person@test.example", NEW_PASSWORD).status_code == 302

    again = app.test_client().get(path)
    assert again.status_code == 404 and "does not work any more" in again.get_data(as_text=True)
    late = app.test_client()  # a form kept open in a tab: the POST is refused too
    assert late.post(path, data={"password": "x" * 20, "confirm": "x" * 20,
                                 "csrf_token": csrf_token(late)}).status_code == 404
    assert _user(app, "new.person@test.example").password_link_hash is None
    assert _actions(app, user.id)[:3] == ["user.create", "user.password_link", "user.password_set"]
    with app.app_context():
        used = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_set",
                                                          AuditEntry.target_id == str(user.id)))
        assert used is not None and used.details == {"via": "link"} and used.actor_user_id == user.id
        made = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                          AuditEntry.target_id == str(user.id)))
        assert made is not None and made.actor_kind == "web" and made.organisation_id == user.organisation_id


def test_expired_and_superseded_links_are_refused(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    first = _link_path(_create(admin, "late@test.example"))
    user = _user(app, "late@test.example")
    confirm = admin.get(f"/admin/users/{user.id}/link")
    assert confirm.status_code == 200
    assert "The link given to them before stops working" in confirm.get_data(as_text=True)
    second = _link_path(_post(admin, f"/admin/users/{user.id}/link"))
    assert first != second
    assert app.test_client().get(first).status_code == 404  # a newer link ends the older one
    assert app.test_client().get(second).status_code == 200

    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id)
                           .values(password_link_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = app.test_client()
    assert expired.get(second).status_code == 404
    assert "Expired unused" in admin.get("/admin/users").get_data(as_text=True)
    assert login(app.test_client(), "late@test.example", NEW_PASSWORD).status_code == 401
    assert _actions(app, user.id) == ["user.create", "user.password_link", "user.password_link"]


def test_the_link_expires_after_72_hours(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    before = utcnow()
    _create(admin, "soon@test.example")
    expires = _user(app, "soon@test.example").password_link_expires_at
    assert expires is not None
    assert timedelta(hours=72) <= expires - before < timedelta(hours=72, minutes=1)


def test_a_deactivated_user_cannot_sign_in_and_loses_their_sessions(
    app: Flask, client_for: Callable[..., FlaskClient]
) -> None:
    admin = client_for("admin")
    coordinator = client_for("coordinator")
    assert coordinator.get("/").status_code == 200
    member = next(u for u in [_user(app, e) for e in _emails(app)] if u.role == Role.COORDINATOR)
    link = _link_path(_post(admin, f"/admin/users/{member.id}/link"))

    response = _post(admin, f"/admin/users/{member.id}/deactivate")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert "is deactivated" in admin.get("/admin/users").get_data(as_text=True)
    assert coordinator.get("/").headers["Location"].startswith("/login")  # the open session ended
    with app.app_context():
        assert db.session.scalar(select(UserSession).where(UserSession.user_id == member.id)) is None
    assert login(app.test_client(), member.email).status_code == 401
    assert app.test_client().get(link).status_code == 404  # deactivation ends an open link too
    refused = admin.get(f"/admin/users/{member.id}/link")
    assert "Reactivate the account first" in refused.get_data(as_text=True)
    assert _post(admin, f"/admin/users/{member.id}/link").status_code == 409

    assert _post(admin, f"/admin/users/{member.id}/reactivate").status_code == 302
    assert login(app.test_client(), member.email).status_code == 302
    assert _actions(app, member.id)[-3:] == ["user.password_link", "user.deactivate", "user.activate"]


def _emails(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(User.email)))


def test_admin_changes_a_role_and_it_takes_effect_at_once(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    coordinator = client_for("coordinator")
    assert coordinator.get("/campaigns/").status_code == 200
    member = next(u for u in [_user(app, e) for e in _emails(app)] if u.role == Role.COORDINATOR)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert f'<label for="role-{member.id}" class="visually-hidden">' in page and '<th scope="row">' in page

    response = _post(admin, f"/admin/users/{member.id}/role", role="reviewer")
    assert response.status_code == 302
    assert "is now: Reviewer" in admin.get("/admin/users").get_data(as_text=True)
    assert coordinator.get("/campaigns/").status_code == 403
    assert coordinator.get("/reports/").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_set"))
        assert entry is not None and entry.details == {"role": "reviewer", "previous_role": "coordinator"}

    bad = _post(admin, f"/admin/users/{member.id}/role", role="superuser")
    assert bad.status_code == 400 and "Choose one of the roles" in bad.get_data(as_text=True)
    assert _user(app, member.email).role == Role.REVIEWER


def test_an_admin_cannot_demote_or_deactivate_themselves(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    me = next(u for u in [_user(app, e) for e in _emails(app)] if u.role == Role.ADMIN)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{me.id}/role"' not in page  # no buttons offered on one's own row
    for path, data in [(f"/admin/users/{me.id}/role", {"role": "trainer"}), (f"/admin/users/{me.id}/deactivate", {})]:
        response = _post(admin, path, **data)
        assert response.status_code == 409, path
        body = response.get_data(as_text=True)
        assert 'class="notice notice-error" role="alert"' in body and "your own account" in body
    me_now = _user(app, me.email)
    assert me_now.role == Role.ADMIN and me_now.active
    assert admin.get("/admin/users").status_code == 200  # still signed in
    assert _actions(app, me.id) == ["user.create"]  # refused changes leave nothing behind


def test_the_last_active_admin_keeps_the_role(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    other = create_member(app, "admin", "second.admin@test.example")
    assert _post(admin, f"/admin/users/{other.id}/role", role="coordinator").status_code == 302  # one admin left
    assert _post(admin, f"/admin/users/{other.id}/role", role="admin").status_code == 302
    assert _post(admin, f"/admin/users/{other.id}/deactivate").status_code == 302
    me = next(u for u in [_user(app, e) for e in _emails(app)] if u.role == Role.ADMIN and u.active)
    with app.app_context():  # the command line too cannot leave the organisation without an admin
        for change in (lambda u: accounts.set_role(SYSTEM_CLI, u, "trainer"),
                       lambda u: accounts.set_active(SYSTEM_CLI, u, False)):
            with pytest.raises(accounts.AccountError) as refused:
                change(db.session.get(User, me.id))
            assert refused.value.code == "last_admin"
            db.session.rollback()


def test_creating_a_user_explains_what_to_fix(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert '<label for="email">' in form and '<label for="role">' in form and "Coordinator" in form
    bad = _create(admin, "not an address")
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert 'class="notice notice-error" role="alert"' in body and "like name@example.org" in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="email-hint email-error"' in body

    create_member(app, "trainer", "taken@test.example", org_name="Elsewhere")
    taken = _create(admin, "Taken@Test.example")
    assert taken.status_code == 400 and "already exists" in taken.get_data(as_text=True)
    assert _create(admin, "someone@test.example", "root").status_code == 400
    assert admin.post("/admin/users/new", data={"email": "x@test.example", "role": "trainer"}).status_code == 400
    assert "someone@test.example" not in _emails(app) and "x@test.example" not in _emails(app)


def test_only_admins_manage_users(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    target = create_member(app, "trainer", "target@test.example")
    for role in ("coordinator", "trainer", "reviewer"):
        client = client_for(role)
        assert client.get("/admin/users").status_code == 403, role
        assert client.get("/admin/users/new").status_code == 403, role
        token = csrf_token(client, "/account")
        assert client.post("/admin/users/new", data={"email": f"{role}.made@test.example", "role": "admin",
                                                     "csrf_token": token}).status_code == 403, role
        for action, data in (("role", {"role": "admin"}), ("deactivate", {}), ("reactivate", {}), ("link", {})):
            response = client.post(f"/admin/users/{target.id}/{action}", data={"csrf_token": token, **data})
            assert response.status_code == 403, (role, action)
    assert _user(app, "target@test.example").role == Role.TRAINER
    assert _actions(app, target.id) == ["user.create"]


def test_another_organisations_accounts_cannot_be_touched(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    outsider = create_member(app, "coordinator", "outsider@test.example", org_name="Other Org")
    assert "outsider@test.example" not in admin.get("/admin/users").get_data(as_text=True)
    assert admin.get(f"/admin/users/{outsider.id}/link").status_code == 404
    for action, data in (("role", {"role": "admin"}), ("deactivate", {}), ("reactivate", {}), ("link", {})):
        assert _post(admin, f"/admin/users/{outsider.id}/{action}", **data).status_code == 404, action
    after = _user(app, "outsider@test.example")
    assert after.role == Role.COORDINATOR and after.active and after.password_link_hash is None
    assert _actions(app, outsider.id) == ["user.create"]


def test_guessing_links_is_throttled_like_signing_in(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    path = _link_path(_create(admin, "patient@test.example"))
    guesser = app.test_client()
    limit = app.config["SETTINGS"].login_client_max_failures
    for n in range(limit):
        assert guesser.get(f"/account/set-password/guess-{n}").status_code == 404
    throttled = guesser.get(path)  # the same client: even the real link waits
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "Wait a few minutes" in throttled.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(LoginAttempt)).all()) == limit


def test_the_command_line_still_creates_accounts_with_a_password(app: Flask) -> None:
    member = create_member(app, "reviewer", "cli.made@test.example")
    assert member.password_link_hash is None
    assert login(app.test_client(), "cli.made@test.example").status_code == 302
