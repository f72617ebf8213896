"""/admin/jobs: each scheduled job's last run, outcome and next run, for admins only; a failed run
shows as failed until its period is run again; campaign figures are the admin's organisation's."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import format_datetime
from sqlalchemy import func, select
from test_scheduler_jobs import NOON, add_campaign, add_reach

from campaigns import scheduler
from campaigns.extensions import db
from campaigns.models import Campaign, JobRun
from campaigns.scheduler import JOBS, run_job


def _row(page: str, job_id: str) -> str:
    return page.split(f'id="job-{job_id}"', 1)[1].split("</tr>", 1)[0]


def _page(client: FlaskClient) -> str:
    response = client.get("/admin/jobs?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_only_admins_see_the_jobs(client: FlaskClient, client_for: Callable[..., FlaskClient]) -> None:
    response = client.get("/admin/jobs")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for role in ("coordinator", "trainer", "reviewer"):
        assert client_for(role).get("/admin/jobs").status_code == 403, role
    page = _page(client_for("admin"))
    assert 'href="/admin/jobs"' in page.split("</nav>", 1)[0]  # in the admin's navigation
    assert 'href="/admin/jobs"' not in client_for("coordinator").get("/").get_data(as_text=True)


def test_every_job_is_listed_and_none_has_run_yet(client_for: Callable[..., FlaskClient]) -> None:
    page = _page(client_for("admin"))
    for job in JOBS:
        row = _row(page, job.id)
        assert "not run yet" in row and "when the scheduler starts" in row, job.id
    assert "daily" in _row(page, "snapshot_campaigns") and "every 5 minutes" in _row(page, "resume_imports")
    assert "every hour" in _row(page, "advance_campaigns")
    assert 'id="jobs-failing"' not in page and 'id="jobs-overdue"' not in page


def test_a_failed_job_shows_as_failed_and_its_period_can_be_run_again(
    app: Flask, client_for: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = client_for("admin")
    add_reach(app, add_campaign(app, "Test Org", "Ours"))
    # Noon, so that the retry an hour later falls on the same day's period whenever the test runs
    # (from 23:00 UTC the retry used to land on the next day and fail the test).
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)

    def broken(campaign: Campaign) -> dict[str, object]:
        raise ZeroDivisionError("figures of a campaign")

    monkeypatch.setattr(scheduler, "snapshot_figures", broken)
    with pytest.raises(ZeroDivisionError):
        run_job(app, "snapshot_campaigns", now)
    page = _page(admin)
    row = _row(page, "snapshot_campaigns")
    assert "failed" in row and "ZeroDivisionError" in row and "never done yet" in row
    assert "figures of a campaign" not in page  # the class, never the message
    assert 'id="jobs-failing"' in page and "1 job failed at its last run" in page
    with app.test_request_context("/?lang=en"):
        retry = format_datetime(now + timedelta(hours=1), "medium")  # the next hourly look
    assert f"about {retry}" in row

    monkeypatch.undo()
    assert "skipped" not in run_job(app, "snapshot_campaigns", now + timedelta(hours=1))
    page = _page(admin)
    row = _row(page, "snapshot_campaigns")
    assert "done" in row and "after 1 failed attempt" in row and "failed at its last run" not in page
    assert "Figures kept for 1 of your running campaigns." in row
    with app.app_context():
        keys = db.session.scalars(select(JobRun.period_key).where(JobRun.job_id == "snapshot_campaigns")).all()
        assert sorted(k.split(scheduler.FAILED_MARK)[0] for k in keys) == [now.strftime("%Y-%m-%dT00:00")] * 2
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2
        db.session.remove()


def test_figures_are_those_of_the_admins_own_campaigns(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    add_campaign(app, "Test Org", "Ours")
    for n in range(3):
        add_reach(app, add_campaign(app, "Another Org", f"Theirs {n}"))
    for job_id in ("rollup_reach", "snapshot_campaigns", "remind_missing_reach"):
        run_job(app, job_id, NOON)
    page = _page(admin)
    assert "Figures kept for 1 of your running campaigns." in _row(page, "snapshot_campaigns")
    assert "Reach totals rebuilt for 0 of your campaigns." in _row(page, "rollup_reach")
    reminder = _row(page, "remind_missing_reach")  # "Ours" started 20 days ago and has no reach
    assert "1 of your running campaigns had no reach recorded for 7 days." in reminder
    assert "e-mail is not configured" in reminder
    other = client_for("admin", org_name="Another Org")
    assert "Reach totals rebuilt for 3 of your campaigns." in _row(_page(other), "rollup_reach")
    assert "Theirs" not in page


def test_next_run_and_overdue(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    admin = client_for("admin")
    recent = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    run_job(app, "advance_campaigns", recent)  # an hourly job: next look an hour after this one
    long_ago = datetime.now(UTC) - timedelta(days=3)
    run_job(app, "rollup_reach", long_ago)  # a daily job whose scheduler has been gone for days
    page = _page(admin)
    with app.test_request_context("/?lang=en"):
        expected = format_datetime(recent + timedelta(hours=1), "medium")
    advance = _row(page, "advance_campaigns")
    assert f"about {expected}" in advance and "overdue" not in advance and "done" in advance
    assert "0 of your campaigns started or ended." in advance
    assert "overdue" in _row(page, "rollup_reach") and 'id="jobs-overdue"' in page
    started = re.search(r"started ([^<]+)<br>", _row(page, "rollup_reach"))
    assert started is not None
