"""Periodic jobs, run by one separate process (`flask --app wsgi scheduler run`).

Web workers never start a scheduler: with several gunicorn workers each would run every job.
Jobs are module-level functions with explicit ids (APScheduler's guidance), and each (job,
period) pair is claimed by inserting a unique `JobRun` row first, so a second scheduler, a
restart in the middle of a period or a manual `run-once` cannot do the work twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from .db import write_intent
from .extensions import db
from .models import JobRun, utcnow
from .services import accounts, audit, campaigns, imports, parked_uploads


@dataclass(frozen=True)
class Job:
    id: str
    every_minutes: int
    func: Callable[[], dict[str, Any]]
    doc: str

    def period_key(self, now: datetime) -> str:
        """The slot this run belongs to: runs in the same slot are the same run."""
        minutes = (now.hour * 60 + now.minute) // self.every_minutes * self.every_minutes
        return f"{now:%Y-%m-%d}T{minutes // 60:02d}:{minutes % 60:02d}"


def purge_expired_sessions() -> dict[str, Any]:
    """Sign out sessions past their lifetime and forget old failed logins."""
    return accounts.purge_expired(current_app.config["SETTINGS"])


def purge_parked_uploads() -> dict[str, Any]:
    """Remove uploads checked but never imported, older than PARKED_UPLOAD_HOURS.

    Without it the instance folder grows by every abandoned upload (167 MB in one afternoon of
    testing). Only files past the age go, so an upload someone is about to import stays."""
    settings = current_app.config["SETTINGS"]
    return parked_uploads.purge_older_than(current_app.instance_path, settings.parked_upload_hours)


def resume_imports() -> dict[str, Any]:
    """Start again every background import whose job died (a restart, a killed worker).

    Its rows are deleted and the file is read again, so each incident is stored once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return imports.resume_stale(app)


def advance_campaigns() -> dict[str, Any]:
    """Start campaigns on their first day and end them after their last (dates are whole days,
    compared with today's date in UTC)."""
    return campaigns.advance(audit.SCHEDULER, utcnow().date())


JOBS: tuple[Job, ...] = (
    Job("purge_expired_sessions", 60, purge_expired_sessions, "end expired sessions, forget old failed logins"),
    Job("purge_parked_uploads", 60, purge_parked_uploads, "remove uploads checked but not imported in time"),
    Job("resume_imports", 5, resume_imports, "start again background imports whose job died"),
    Job("advance_campaigns", 60, advance_campaigns, "start and end campaigns on their dates"),
)


def run_job(app: Flask, job_id: str, now: datetime | None = None) -> str:
    job = next((j for j in JOBS if j.id == job_id), None)
    if job is None:
        raise KeyError(f"no job {job_id!r}; known: {', '.join(j.id for j in JOBS)}")
    now = now or utcnow()
    key = job.period_key(now)
    with app.app_context(), write_intent():
        run = JobRun(job_id=job.id, period_key=key, started_at=now)
        db.session.add(run)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return f"{job.id} {key}: already done, skipped"
        try:
            result = job.func()
            run.result = result
            run.finished_at = utcnow()
            audit.record(audit.SCHEDULER, f"job.{job.id}", "job_run", run.id, **result)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return f"{job.id} {key}: {result}"


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            run_job, "interval", minutes=job.every_minutes, args=[app, job.id], id=job.id,
            max_instances=1, coalesce=True, misfire_grace_time=job.every_minutes * 30,
            next_run_time=utcnow(), replace_existing=True,
        )
    return scheduler
