"""The logs hold no password, e-mail address or uploaded name (issue 10). Runs last (by name).

conftest sends everything logged during the run, at INFO and above, to one file as an operator's
log would get it. The first test provokes the paths that log an exception with an uploaded name
in play; the second reads what the whole run logged."""

from __future__ import annotations

import re

import pytest
from conftest import LOG_PATH, PASSWORD, csrf_token, demo_client, georgia_id
from flask import Flask
from test_input_pitfalls import _confirm, _csv, _upload, confirm_import

from campaigns.services.demo import DEMO_USERS
from campaigns.views import uploads

SET_NAME = "Zeta secret set 4711"
FILE_NAME = "zeta-secret-upload-4711.csv"
EMAIL = "nobody-4711@secret.example"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def test_a_failed_import_and_sign_in_log_no_names(demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    data = _csv([("13001", 2024, 12), ("13003", 2024, 30)])
    status, page = _upload(client, path, FILE_NAME, data, incident_kind="counts", set_name=SET_NAME)
    assert status == 200
    _confirm(client, path, page, incident_kind="counts", set_name=SET_NAME)
    # The same name again, past the check (as if a colleague took it between check and import):
    # the database refuses it, the import logs the exception, the user gets a 422.
    monkeypatch.setattr(uploads, "_name_taken", lambda *_args: False)
    status, page = _upload(client, path, FILE_NAME, data, incident_kind="counts", set_name=SET_NAME)
    assert status == 200
    response = confirm_import(client, path, page, incident_kind="counts", set_name=SET_NAME)
    assert response.status_code == 422
    stranger = demo_app.test_client()
    stranger.post("/login", data={"csrf_token": csrf_token(stranger), "email": EMAIL, "password": PASSWORD + "x"})
    logged = LOG_PATH.read_text(encoding="utf-8")
    assert "import of a checked incidents upload failed" in logged  # the path did log
    for secret in (SET_NAME, FILE_NAME, EMAIL, PASSWORD):
        assert secret not in logged, f"{secret!r} is in the log"


def test_the_whole_run_logged_no_password_or_e_mail_address() -> None:
    logged = LOG_PATH.read_text(encoding="utf-8")
    secrets = [PASSWORD, *(password for _email, password in DEMO_USERS.values())]
    assert not [s for s in secrets if s in logged]
    addresses = sorted({m.group(0) for m in EMAIL_RE.finditer(logged)})
    assert addresses == [], f"e-mail addresses in the log: {addresses[:5]}"
