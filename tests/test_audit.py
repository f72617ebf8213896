"""Every write leaves an audit entry without personal data; admins read them, scoped to their organisation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import AuditEntry
from campaigns.services import audit
from campaigns.services.audit import SYSTEM_CLI
from tests.conftest import csrf_token


def test_login_logout_and_preferences_are_audited(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    client.post("/account", data={"locale": "ro", "csrf_token": csrf_token(client, "/account")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [e.action for e in entries]
        assert {"organisation.create", "user.create", "auth.login", "user.locale_set", "auth.logout"} <= set(actions)
        for e in entries:
            assert "@" not in str(e.details)
            assert e.at is not None and e.at.tzinfo is not None


def test_audit_refuses_personal_data(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="personal data"):
        audit.record(SYSTEM_CLI, "x", email="someone@example.org")


def test_admin_sees_only_their_organisation(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client_for("trainer", org_name="Other Org")
    admin = client_for("admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "auth.login" in page
    with app.app_context():
        other_ids = {
            e.target_id for e in db.session.scalars(select(AuditEntry)) if e.organisation_id not in (None, 1)
        }
    assert other_ids
    filtered = admin.get("/admin/audit?action=user.create").get_data(as_text=True)
    assert filtered.count("<code>user.create</code>") == 1  # only the admin's own account, not the trainer's


def test_users_page_lists_the_organisation(client_for: Callable[..., FlaskClient]) -> None:
    client_for("trainer")
    html = client_for("admin").get("/admin/users").get_data(as_text=True)
    assert "trainer." in html and "Trainer" in html
