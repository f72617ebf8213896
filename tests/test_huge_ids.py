"""Numbers the database cannot hold answer 404 (ids) or are clamped (page numbers), never 500.

Every id column is a SQL INTEGER; an id past it used to reach the driver and fail there
("Python int too large to convert to SQLite INTEGER", PostgreSQL's "integer out of range")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from campaigns.bounded_ints import DB_INT_MAX, db_int, int_arg
from campaigns.extensions import db
from campaigns.models import User
from campaigns.services import accounts
from campaigns.services.audit import SYSTEM_CLI
from tests.conftest import create_member, csrf_token

HUGE = "99999999999999999999999"
INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
OTHER_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SAMPLES = {"fmt": "csv", "filename": "css/app.css", "audience": "bank", "locale": "lt", "slug": "no-such-link",
           "key": "no-such-question", "token": "no-such-token", "kind": "counts"}


def _urls_with_a_huge_int(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every rule with an int argument, that argument set to HUGE."""
    out = []
    for rule in app.url_map.iter_rules():
        int_args = INT_ARG.findall(rule.rule)
        for huge_arg in int_args:
            def fill(match: re.Match[str], huge_arg: str = huge_arg) -> str:
                name = match.group(2)
                if match.group(1) == "int":
                    return HUGE if name == huge_arg else "1"
                return SAMPLES[name]

            url = OTHER_ARG.sub(fill, rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, url))
    return out


def test_every_int_argument_is_bounded(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    user = create_member(app, "coordinator", "api@test.example")
    with app.app_context():
        _row, secret = accounts.create_token(SYSTEM_CLI, db.session.get(User, user.id), "test")
        db.session.commit()
    api = app.test_client()
    checked = 0
    for method, url in _urls_with_a_huge_int(app):
        if url.startswith("/api/"):
            response = api.open(url, method=method, headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code == 404 and response.is_json, (method, url, response.status_code)
        else:
            response = admin.open(url, method=method)
            assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    # sets (3 pages, 2 uploads, rank), runs (7), the API's counts, revoking a publication
    assert checked >= 13


def test_the_pen_test_urls(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    for url in [f"/targeting/sets/{HUGE}", f"/targeting/sets/{HUGE}/counts.csv", f"/targeting/runs/{HUGE}",
                f"/targeting/runs/{HUGE}/map.png", f"/targeting/sets/{HUGE}/rank", f"/targeting/sets/{DB_INT_MAX + 1}"]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/targeting/sets/{DB_INT_MAX}").status_code == 404  # the largest id is still just absent


def test_huge_page_numbers_show_the_last_page(client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    for page in ["99999999999999999999", "9" * 5000, "-3", "x", "٣", "1_0"]:
        response = admin.get(f"/admin/audit?page={page}")
        assert response.status_code == 200, page
    assert "auth.login" in admin.get("/admin/audit?page=99999999999999999999").get_data(as_text=True)


def test_form_ids_and_years_are_bounded(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    token = csrf_token(client, "/toolkits/bank/lt")
    response = client.post("/toolkits/bank/lt/publish", data={"csrf_token": token, "draft_id": HUGE})
    assert response.status_code == 302  # not a draft id at all: published without one


def test_helpers() -> None:
    assert db_int("42") == 42 and db_int(" 7 ") == 7 and db_int(str(DB_INT_MAX)) == DB_INT_MAX
    for bad in [HUGE, str(DB_INT_MAX + 1), "-1", "1.0", "1_000", "٣", "", None, "9" * 5000]:
        assert db_int(bad) is None, bad
    assert db_int("0", minimum=1) is None
    assert int_arg({"page": HUGE}, "page", 1) == DB_INT_MAX
    assert int_arg({"page": "0"}, "page", 1) == 1
    assert int_arg({}, "page", 3) == 3 and int_arg({"page": "abc"}, "page", 3) == 3


def test_no_view_reads_an_unbounded_int() -> None:
    """`request.args.get(..., type=int)` and `int(form[...])` accept any size: use bounded_ints."""
    views = Path(__file__).resolve().parents[1] / "campaigns" / "views"
    for path in views.glob("*.py"):
        text = path.read_text()
        assert "type=int" not in text, path.name
        assert not re.search(r"\bint\((?:request|form)\b", text), path.name

