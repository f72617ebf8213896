"""A file being checked holds no database lock: a colleague can sign in meanwhile (issue 10, §2).

Before, a POST's transaction began (BEGIN IMMEDIATE on SQLite) at the sign-in lookup and lasted
through the check, so a sign-in during a 9-second check of a big upload waited for the busy
timeout and got a 500 "database is locked". The check is made slow here on purpose (it waits
until the sign-in has finished, or 8 s), so the test fails within seconds on the old code.
"""

from __future__ import annotations

import io
import threading
import time

import pytest
from conftest import csrf_token, demo_client, georgia_id
from flask import Flask
from test_input_pitfalls import _csv, _token

from campaigns.models import Role
from campaigns.services.demo import DEMO_USERS
from campaigns.views import uploads


def test_sign_in_succeeds_while_an_upload_is_checked(demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checking = threading.Event()
    signed_in = threading.Event()
    original = uploads._read_incident_file

    def slow_check(*args: object, **kwargs: object) -> object:
        checking.set()
        signed_in.wait(timeout=8)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(uploads, "_read_incident_file", slow_check)
    uploader = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    form = {"csrf_token": _token(uploader, path), "incident_kind": "counts",
            "file": (io.BytesIO(_csv([("13001", 2024, 12), ("13003", 2024, 30)])), "counts.csv")}
    result: dict[str, int] = {}

    def upload() -> None:
        result["upload"] = uploader.post(path, data=form, content_type="multipart/form-data").status_code

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        assert checking.wait(timeout=20), "the upload never reached its check"
        colleague = demo_app.test_client()
        email, password = DEMO_USERS[Role.REVIEWER]
        started = time.monotonic()
        response = colleague.post("/login", data={"csrf_token": csrf_token(colleague), "email": email,
                                                  "password": password})
        waited = time.monotonic() - started
    finally:
        signed_in.set()
        thread.join(timeout=30)
    assert response.status_code == 302, f"sign-in during a check: {response.status_code} after {waited:.1f} s"
    assert waited < 4, f"the sign-in waited {waited:.1f} s for the upload's lock"
    assert result["upload"] == 200  # and the upload's check still completes
