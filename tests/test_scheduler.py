"""Jobs are idempotent per period and do what they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import JobRun, LoginAttempt, UserSession
from campaigns.scheduler import build_scheduler, run_job
from tests.conftest import create_member, login


def test_purge_job_runs_once_per_period(app: Flask) -> None:
    user = create_member(app, "trainer", "t@test.example")
    login(app.test_client(), "t@test.example")
    login(app.test_client(), "t@test.example", "wrong password here")
    old = datetime.now(UTC) - timedelta(days=2)
    with app.app_context():
        db.session.add(UserSession(token_hash="0" * 64, user_id=user.id, created_at=old, last_seen_at=old,
                                   expires_at=old + timedelta(hours=12)))
        db.session.execute(LoginAttempt.__table__.update().values(attempted_at=old))
        db.session.commit()
    now = datetime(2026, 11, 21, 10, 15, tzinfo=UTC)
    first = run_job(app, "purge_expired_sessions", now)
    assert "'sessions': 1" in first and "'login_attempts': 1" in first
    again = run_job(app, "purge_expired_sessions", now + timedelta(minutes=20))
    assert "already done" in again
    later = run_job(app, "purge_expired_sessions", now + timedelta(hours=1))
    assert "'sessions': 0" in later
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1  # the live one stays


def test_scheduler_has_the_jobs_with_explicit_ids(app: Flask) -> None:
    scheduler = build_scheduler(app)
    expected = ["purge_expired_sessions", "purge_parked_uploads", "resume_imports", "advance_campaigns",
                "rollup_reach", "remind_missing_reach", "snapshot_campaigns", "open_close_waves"]
    assert [job.id for job in scheduler.get_jobs()] == expected
