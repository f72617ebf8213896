"""Periodic jobs, run by one separate process (`flask --app wsgi scheduler run`).

Web workers never start a scheduler: with several gunicorn workers each would run every job.
Jobs are module-level functions with explicit ids (APScheduler's guidance), and each (job,
period) pair is claimed by inserting a unique `JobRun` row first, so a second scheduler, a
restart in the middle of a period or a manual `run-once` cannot do the work twice.

The claim commits with the work, so a job that raises (or a process killed mid-job) leaves no
claim and its period is run again. A failure is then written down in a short transaction of its
own, as a `JobRun` whose key is the period's with `!failed@<time>` appended (so the period itself
stays free to retry) and whose result names the exception's class only: a message may quote
data. `/admin/jobs` reads these rows.

Daily jobs (every 1440 minutes: the period key is the day) are looked at hourly
(`check_minutes`): the claim makes all but the first look of a day a no-op, and a failed run is
tried again within the hour instead of the next day.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import write_intent
from .extensions import db
from .models import Campaign, CampaignSnapshot, CampaignStatus, JobRun, ReachRow, ReachSummary, utcnow
from .services import accounts, audit, campaigns, imports, parked_uploads, reach, reminders
from .surveys import planning as survey_planning

log = logging.getLogger(__name__)

DAILY: Final = 24 * 60
FAILED_MARK: Final = "!failed@"

# The time run_job was given: a job's "today" is its run's day, so a run at 23:59:59 that works
# past midnight still snapshots the day of its period, and tests can run a job for a given day.
_run_at: ContextVar[datetime | None] = ContextVar("run_at", default=None)


def run_day() -> date:
    """The (UTC) day of the running job's period; today outside a job."""
    return (_run_at.get() or utcnow()).date()


@dataclass(frozen=True)
class Job:
    id: str
    every_minutes: int
    func: Callable[[], dict[str, Any]]
    doc: str
    check_minutes: int | None = None  # how often the scheduler looks; the period when None

    @property
    def look_minutes(self) -> int:
        """Minutes between the scheduler's looks at this job."""
        return self.check_minutes or self.every_minutes

    def period_key(self, now: datetime) -> str:
        """The slot this run belongs to: runs in the same slot are the same run."""
        minutes = (now.hour * 60 + now.minute) // self.every_minutes * self.every_minutes
        return f"{now:%Y-%m-%d}T{minutes // 60:02d}:{minutes % 60:02d}"

    def period_start(self, key: str) -> datetime:
        """When the slot of `key` (a claim's or a failure's) began, in UTC."""
        return datetime.strptime(key.split(FAILED_MARK, 1)[0], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)

    def next_run(self, last: JobRun) -> datetime:
        """About when the scheduler runs this job next, from its last run alone (the web process
        has no scheduler to ask): the next look after a failure, else the first look in the next
        period. Looks are `look_minutes` apart from the scheduler's start, hence "about"."""
        look = timedelta(minutes=self.look_minutes)
        if is_failure(last):
            return last.started_at + look
        next_period = self.period_start(last.period_key) + timedelta(minutes=self.every_minutes)
        looks = max(1, math.ceil((next_period - last.started_at) / look))
        return last.started_at + looks * look


def is_failure(run: JobRun) -> bool:
    """Whether `run` records a failed attempt rather than a claimed, finished period."""
    return FAILED_MARK in run.period_key


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
    compared with today's date in UTC).

    The result names the campaigns moved (ids), so `/admin/jobs` can tell each organisation
    about its own campaigns only."""
    active = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)
    before = dict(db.session.execute(select(Campaign.id, Campaign.status).where(Campaign.status.in_(active))).all())
    result: dict[str, Any] = dict(campaigns.advance(audit.SCHEDULER, run_day()))
    after = dict(db.session.execute(select(Campaign.id, Campaign.status).where(Campaign.id.in_(before))).all())
    result["campaigns"] = sorted(i for i, status in before.items() if after.get(i) != status)
    return result


def rollup_reach() -> dict[str, Any]:
    """Rebuild the reach roll-ups the pages read, for every running, ended or evaluated campaign
    with reach rows (or with roll-ups left from rows since deleted).

    Every import and correction refreshes its campaign's roll-ups already; this daily pass
    repairs any left behind (a roll-up changed by an upgrade, a row edited by hand). `refresh`
    depends on the rows only, so a second pass, or one after a killed pass, gives the same."""
    recorded = (CampaignStatus.RUNNING, CampaignStatus.ENDED, CampaignStatus.EVALUATED)
    has_rows = select(ReachRow.id).where(ReachRow.campaign_id == Campaign.id).exists()
    has_summaries = select(ReachSummary.id).where(ReachSummary.campaign_id == Campaign.id).exists()
    ids = db.session.scalars(
        select(Campaign.id).where(Campaign.status.in_(recorded), has_rows | has_summaries).order_by(Campaign.id)
    ).all()
    summaries = sum(reach.refresh(campaign_id)["summaries"] for campaign_id in ids)
    return {"campaigns": list(ids), "summaries": summaries}


def remind_missing_reach() -> dict[str, Any]:
    """Find running campaigns with no reach recorded for 7 days; with SMTP configured, e-mail
    each organisation's coordinators and admins about them (`services.reminders`).

    The home page shows the same list whatever happens here. The result holds campaign ids and
    counts, never an address."""
    settings = current_app.config["SETTINGS"]
    today = run_day()
    due = reminders.due(today)
    emailed: list[int] = []
    sent = 0
    if settings.smtp_configured:
        notices = reminders.to_send(due, today)
        messages = [reminders.compose(settings, notice, today) for notice in notices]
        sent = reminders.send(settings, messages)  # last: see the module's note on crashes
        emailed = sorted(r.campaign_id for notice in notices for r in notice.reminders)
    return {"campaigns": [r.campaign_id for r in due], "emailed": emailed, "emails": sent,
            "smtp": settings.smtp_configured}  # fmt: skip


def _plain(value: Any) -> Any:
    """A figure as JSON keeps it: numpy and pandas numbers become int or float, NaN None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    return None if math.isnan(number) else number


def snapshot_figures(campaign: Campaign) -> dict[str, Any]:
    """The campaign's figures as JSON: per channel what the campaign page shows, the rows
    behind them and the last day reported."""
    cov = reach.coverage(campaign)
    channels = [
        {"channel": c.channel, "reached": _plain(c.reached_low), "reached_summed": _plain(c.reached_summed),
         "population": _plain(c.population), "coverage": _plain(c.coverage), "target": _plain(c.target),
         "frequency": _plain(c.frequency), "measures": {m: _plain(v) for m, v in sorted(c.measures.items())}}
        for c in cov.channels
    ]  # fmt: skip
    return {"channels": channels, "rows": int(cov.rows), "last_day": cov.last_day.isoformat() if cov.last_day else None}


def snapshot_campaigns() -> dict[str, Any]:
    """Keep each running campaign's figures as they stand tonight, one row per campaign and day
    (written again, not added, when the day already has one), so a report can show how coverage
    grew even after rows were corrected."""
    today = run_day()
    running = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.RUNNING).order_by(Campaign.id)
    ).all()
    existing = {
        s.campaign_id: s
        for s in db.session.scalars(
            select(CampaignSnapshot).where(CampaignSnapshot.day == today,
                                           CampaignSnapshot.campaign_id.in_([c.id for c in running]))
        )
    }  # fmt: skip
    for campaign in running:
        figures = snapshot_figures(campaign)
        snapshot = existing.get(campaign.id)
        if snapshot is None:
            db.session.add(CampaignSnapshot(campaign_id=campaign.id, day=today, figures=figures))
        else:
            snapshot.figures = figures
        db.session.flush()
    return {"campaigns": [c.id for c in running], "snapshots": len(running)}


def open_close_waves() -> dict[str, Any]:
    """Open planned survey waves on their first day and close open ones after their last.

    A wave with a question untranslated in one of its languages stays planned: the refusal is
    audited and shown on the campaign's survey page, and the coordinator opens it by hand once
    the text is there. Opening an endline locks the campaign's primary outcome. The result holds
    wave and campaign ids only."""
    result = survey_planning.open_and_close(audit.SCHEDULER, run_day())
    if result["refused"]:
        log.warning("survey waves %s not opened: a question lacks a translation", result["refused"])
    return result


JOBS: tuple[Job, ...] = (
    Job("purge_expired_sessions", 60, purge_expired_sessions, "end expired sessions, forget old failed logins"),
    Job("purge_parked_uploads", 60, purge_parked_uploads, "remove uploads checked but not imported in time"),
    Job("resume_imports", 5, resume_imports, "start again background imports whose job died"),
    Job("advance_campaigns", 60, advance_campaigns, "start and end campaigns on their dates"),
    Job("rollup_reach", DAILY, rollup_reach, "rebuild the reach roll-ups the pages read", check_minutes=60),
    Job("remind_missing_reach", DAILY, remind_missing_reach,
        "remind of running campaigns without reach for 7 days", check_minutes=60),
    Job("snapshot_campaigns", DAILY, snapshot_campaigns, "keep each running campaign's figures of the day",
        check_minutes=60),
    Job("open_close_waves", DAILY, open_close_waves, "open and close survey waves on their dates", check_minutes=60),
)


def find_job(job_id: str) -> Job:
    job = next((j for j in JOBS if j.id == job_id), None)
    if job is None:
        raise KeyError(f"no job {job_id!r}; known: {', '.join(j.id for j in JOBS)}")
    return job


def run_job(app: Flask, job_id: str, now: datetime | None = None) -> str:
    job = find_job(job_id)
    now = now or utcnow()
    key = job.period_key(now)
    token = _run_at.set(now)
    try:
        return _claim_and_run(app, job, key, now)
    finally:
        _run_at.reset(token)


def _claim_and_run(app: Flask, job: Job, key: str, now: datetime) -> str:
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
        except BaseException as exc:
            db.session.rollback()
            if isinstance(exc, Exception):
                _record_failure(job, key, now, exc)
            raise
        return f"{job.id} {key}: {result}"


def _record_failure(job: Job, key: str, started: datetime, exc: Exception) -> None:
    """Write down that the run of `key` failed, in its own short transaction (the work and the
    claim were rolled back, so the period can be run again). The exception's class only: its
    message may quote a row. A failure to write this is logged, never raised over `exc`."""
    failed_at = utcnow()
    try:
        failure = JobRun(job_id=job.id, period_key=f"{key}{FAILED_MARK}{failed_at:%H%M%S%f}", started_at=started,
                         finished_at=failed_at, result={"error": type(exc).__name__})  # fmt: skip
        db.session.add(failure)
        db.session.flush()
        audit.record(audit.SCHEDULER, f"job.{job.id}.failed", "job_run", failure.id, error=type(exc).__name__)
        db.session.commit()
    except Exception:  # the database may be what failed
        db.session.rollback()
        log.warning("job %s %s failed (%s) and the failure could not be recorded", job.id, key, type(exc).__name__)


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            run_job, "interval", minutes=job.look_minutes, args=[app, job.id], id=job.id,
            max_instances=1, coalesce=True, misfire_grace_time=job.look_minutes * 30,
            next_run_time=utcnow(), replace_existing=True,
        )
    return scheduler
