"""/admin/audit: actions in words, filters by dates, user and action, paging that keeps the
filters, and a CSV download of the filtered entries that is itself audited."""

from __future__ import annotations

import ast
import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaigns import PACKAGE_DIR, scheduler
from campaigns.extensions import db
from campaigns.models import AuditEntry, User
from campaigns.services import audit
from campaigns.services.audit import SYSTEM_CLI, Actor
from campaigns.views.admin import ACTION_LABELS, action_label
from tests.conftest import create_member

ROW_RE = re.compile(r"<tr>\s*<td>", re.S)


def _recorded_codes() -> set[str]:
    """Every constant action code passed to audit.record (or `record` imported from it) in campaigns/."""
    codes: set[str] = set()
    for path in Path(PACKAGE_DIR).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "record" and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                codes.add(node.args[1].value)
    return codes


def test_every_recorded_action_has_a_label() -> None:
    codes = _recorded_codes()
    assert {"campaign_draft.create", "user.create", "auth.login", "user.role_set", "audit.export"} <= codes
    assert codes - set(ACTION_LABELS) == set()


def test_labels_read_as_words_and_unknown_codes_show_as_they_are(app: Flask) -> None:
    with app.test_request_context():
        assert action_label("campaign_draft.create") == "Campaign draft created"
        assert action_label("something.new") == "something.new"
        for job in scheduler.JOBS:
            assert action_label(f"job.{job.id}").startswith("Scheduled job ran: ")
            assert action_label(f"job.{job.id}.failed").startswith("Scheduled job failed: ")
        assert action_label("job.unknown_job") == "job.unknown_job"


def _seed(app: Flask) -> dict[str, int]:
    """A coordinator, a trainer, and entries on known days: 30 campaign edits by the coordinator
    on 2025-03-01..30, 5 toolkit publications by the trainer on 2025-04-02, 2 scheduler entries."""
    coordinator = create_member(app, "coordinator", "coord@test.example")
    trainer = create_member(app, "trainer", "=HYPERLINK(1)@test.example")  # a formula for a spreadsheet
    other = create_member(app, "coordinator", "other@test.example", org_name="Other Org")
    with app.app_context():
        coord = db.session.get(User, coordinator.id)
        train = db.session.get(User, trainer.id)
        outsider = db.session.get(User, other.id)
        assert coord is not None and train is not None and outsider is not None
        for day in range(30):
            entry = audit.record(Actor("web", coord), "campaign.update", "campaign", day + 1, version=day)
            entry.at = datetime(2025, 3, 1, 12, tzinfo=UTC) + timedelta(days=day)
        for n in range(5):
            entry = audit.record(Actor("web", train), "toolkit.publish", "toolkit_publication", n, locale="lt")
            entry.at = datetime(2025, 4, 2, 23, 59, tzinfo=UTC)
        for _ in range(2):
            entry = audit.record(SYSTEM_CLI, "=cmd|' /C calc'!A0", "campaign", 1, organisation_id=coord.organisation_id)
            entry.at = datetime(2025, 4, 3, 0, 0, tzinfo=UTC)
        entry = audit.record(Actor("web", outsider), "campaign.update", "campaign", 99)
        entry.at = datetime(2025, 3, 5, tzinfo=UTC)
        db.session.commit()
    return {"coordinator": coordinator.id, "trainer": trainer.id}


def _rows(html: str) -> int:
    return len(ROW_RE.findall(html))


def test_filters_by_dates_user_and_action(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    ids = _seed(app)
    admin = client_for("admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Campaign changed" in page and "Toolkit published" in page and "Signed in" in page
    assert '<option value="campaign.update">Campaign changed</option>' in page
    assert '<label for="from">' in page and '<label for="user">' in page and '<th scope="col">' in page

    def count(**query: str) -> int:
        response = admin.get("/admin/audit", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        match = re.search(r"<caption[^>]*>(\d+) entr", response.get_data(as_text=True))
        return int(match.group(1)) if match else 0

    assert count(action="campaign.update") == 30  # not the other organisation's
    assert count(**{"from": "2025-03-10", "to": "2025-03-19"}) == 10  # both days included
    assert count(**{"from": "2025-04-02", "to": "2025-04-02"}) == 5  # 23:59 UTC still belongs to its day
    assert count(**{"from": "2025-04-03"}) >= 2
    assert count(**{"to": "2025-03-01"}) == 1
    assert count(user=str(ids["trainer"])) == 5
    assert count(user=str(ids["coordinator"]), action="toolkit.publish") == 0
    assert count(user="system", action="=cmd|' /C calc'!A0") == 2
    assert count(**{"from": "2025-03-28"}, user=str(ids["coordinator"])) == 3
    filtered = admin.get("/admin/audit", query_string={"action": "toolkit.publish", "user": str(ids["trainer"])})
    assert 'selected>Toolkit published</option>' in filtered.get_data(as_text=True)


def test_bad_filters_say_what_to_fix(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    ids = _seed(app)
    admin = client_for("admin")
    outsider = create_member(app, "admin", "admin@elsewhere.example", org_name="Elsewhere")
    for query, message in [
        ({"from": "31/03/2025"}, "enter a date as year-month-day"),
        ({"from": "2025-04-01", "to": "2025-03-01"}, "is after the"),
        ({"user": str(outsider.id)}, "choose someone from the list"),
        ({"user": "abc"}, "choose someone from the list"),
    ]:
        response = admin.get("/admin/audit", query_string=query)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert 'class="notice notice-error" role="alert"' in body and message in body, query
        assert admin.get("/admin/audit.csv", query_string=query).status_code == 400
    assert ids


def test_paging_keeps_the_filters(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    _seed(app)
    admin = client_for("admin")
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.email == "coord@test.example"))
        for n in range(90):
            entry = audit.record(Actor("web", actor), "campaign.update", "campaign", 1, version=100 + n)
            entry.at = datetime(2025, 3, 15, 8, tzinfo=UTC) + timedelta(seconds=n)
        db.session.commit()
    query = {"action": "campaign.update", "from": "2025-03-10", "to": "2025-03-19"}  # 10 + 90 = 100 entries
    first = admin.get("/admin/audit", query_string=query).get_data(as_text=True)
    assert "100 entries" in first and "page 1 of 2" in first and _rows(first) == 50
    nav = first.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    assert "Newer entries" not in nav
    older = re.search(r'href="([^"]+)" rel="next"', nav)
    assert older
    link = older.group(1).replace("&amp;", "&")
    for part in ("action=campaign.update", "from=2025-03-10", "to=2025-03-19", "page=2"):
        assert part in link, link
    second = admin.get(link).get_data(as_text=True)
    assert _rows(second) == 50 and "page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert "version=189" in first and "version=189" not in second  # newest first
    assert 'id="audit-download" href="/admin/audit.csv?' in second
    assert _rows(admin.get("/admin/audit", query_string={**query, "page": "99"}).get_data(as_text=True)) == 50


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_download_of_the_filtered_entries_is_safe_and_audited(
    app: Flask, client_for: Callable[..., FlaskClient]
) -> None:
    ids = _seed(app)
    admin = client_for("admin")
    response = admin.get("/admin/audit.csv", query_string={"from": "2025-03-01", "to": "2025-03-31",
                                                            "action": "campaign.update"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=audit-log-")
    rows = _csv(response)
    assert len(rows) == 30  # all of them, not one page, and none of the other organisation's
    assert {r["action"] for r in rows} == {"campaign.update"} and {r["action_label"] for r in rows} == {
        "Campaign changed"}
    assert rows[0]["when_utc"] == "2025-03-30T12:00:00+00:00" and rows[-1]["when_utc"] == "2025-03-01T12:00:00+00:00"
    assert rows[0]["user"] == "coord@test.example" and rows[0]["role"] == "coordinator"
    assert rows[0]["object"] == "Campaign #30" and rows[0]["details"] == '{"version": 29}'

    trainer_rows = _csv(admin.get("/admin/audit.csv", query_string={"user": str(ids["trainer"])}))
    assert len(trainer_rows) == 5
    assert all(r["user"] == "'=hyperlink(1)@test.example" for r in trainer_rows)  # not a formula
    system_rows = _csv(admin.get("/admin/audit.csv", query_string={"user": "system"}))
    assert {r["action"] for r in system_rows} >= {"'=cmd|' /C calc'!A0"}
    assert all(not r[k].startswith(("=", "+", "@")) for r in system_rows for k in r)

    with app.app_context():
        exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export")
                                     .order_by(AuditEntry.id)).all()
        assert [e.details for e in exports] == [
            {"rows": 30, "from": "2025-03-01", "to": "2025-03-31", "filter_action": "campaign.update"},
            {"rows": 5, "user_id": str(ids["trainer"])},
            {"rows": len(system_rows), "user_id": "system"},
        ]
        assert all(e.actor_kind == "web" and e.organisation_id is not None for e in exports)
    page = admin.get("/admin/audit", query_string={"action": "audit.export"}).get_data(as_text=True)
    assert "Audit log downloaded" in page


def test_only_admins_read_or_download_the_log(client_for: Callable[..., FlaskClient]) -> None:
    for role in ("coordinator", "trainer", "reviewer"):
        assert client_for(role).get("/admin/audit.csv").status_code == 403, role
