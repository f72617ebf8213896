"""Administration: the audit log, the organisation's accounts and the scheduler's jobs."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import g, render_template, request
from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import scheduler
from ..access import Section
from ..bounded_ints import int_arg
from ..extensions import db
from ..models import AuditEntry, Campaign, JobRun, Role, User, utcnow

bp = Section("admin", __name__, url_prefix="/admin", roles={Role.ADMIN})

PAGE_SIZE = 50


@bp.route("/audit")
def audit_log() -> Any:
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).where(AuditEntry.organisation_id == g.user.organisation_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(int_arg(request.args, "page", 1), max(1, math.ceil(total / PAGE_SIZE)))
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.organisation_id == g.user.organisation_id)
        .distinct().order_by(AuditEntry.action)
    ).all()
    return render_template(
        "admin/audit.html", entries=entries, page=page, total=total, page_size=PAGE_SIZE,
        action=action, actions=actions,
    )


@bp.route("/users")
def users() -> Any:
    members = db.session.scalars(
        select(User).where(User.organisation_id == g.user.organisation_id).order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", members=members)


# What each job does, in the reader's language (a job's `doc` is the English fallback).
JOB_DESCRIPTIONS: dict[str, Any] = {
    "purge_expired_sessions": _l("End expired sessions and forget old failed logins."),
    "purge_parked_uploads": _l("Remove uploads that were checked but never imported."),
    "resume_imports": _l("Start again background imports whose job died."),
    "advance_campaigns": _l("Start campaigns on their first day and end them after their last."),
    "rollup_reach": _l("Rebuild the reach totals that campaign pages read."),
    "remind_missing_reach": _l("Remind of running campaigns with no reach recorded for 7 days."),
    "snapshot_campaigns": _l("Keep each running campaign's figures of the day, for reports."),
    "open_close_waves": _l("Open survey waves on their first day and close them after their last."),
}


@dataclass(frozen=True)
class JobStatus:
    """One line of /admin/jobs: the job, its latest attempt and when it should run next."""

    job: scheduler.Job
    description: str
    frequency: str
    last: JobRun | None  # the latest attempt: the period's finished run, else its latest failure
    outcome: str  # done, failed, never
    failures: int  # failed attempts in the latest period
    summary: str
    last_done: JobRun | None  # when the latest period failed: the last run that did not
    next_run: datetime | None
    overdue: bool


def _frequency(job: scheduler.Job) -> str:
    if job.every_minutes == scheduler.DAILY:
        return gettext("daily")
    if job.every_minutes == 60:
        return gettext("every hour")
    if job.every_minutes % 60 == 0:
        return ngettext("every %(num)s hour", "every %(num)s hours", job.every_minutes // 60)
    return ngettext("every %(num)s minute", "every %(num)s minutes", job.every_minutes)


def _own(result: Mapping[str, Any], key: str, own_campaigns: Collection[int]) -> int | None:
    """How many of the result's campaign ids under `key` are this organisation's (None when the
    run predates the ids): other organisations' campaigns are not this admin's business."""
    ids = result.get(key)
    if not isinstance(ids, list):
        return None
    return sum(1 for i in ids if i in own_campaigns)


def _n(value: Any) -> str:
    return format_decimal(int(value or 0))


def _summary(job_id: str, result: Mapping[str, Any], own: Collection[int]) -> str:
    """The run's result in plain words: counts only, and for campaign jobs those of this
    organisation's campaigns only (the maintenance jobs work for the whole installation)."""
    if "error" in result:
        return gettext("Failed with %(error)s; tried again at the next run.", error=str(result["error"]))
    summaries: dict[str, Callable[[], str | None]] = {
        "purge_expired_sessions": lambda: gettext(
            "%(sessions)s expired sessions ended, %(attempts)s old failed logins forgotten (all organisations).",
            sessions=_n(result.get("sessions")), attempts=_n(result.get("login_attempts"))),
        "purge_parked_uploads": lambda: gettext(
            "%(files)s abandoned uploads removed (all organisations).", files=_n(result.get("removed"))),
        "resume_imports": lambda: gettext(
            "%(imports)s background imports started again (all organisations).", imports=_n(result.get("resumed"))),
        "advance_campaigns": lambda: None if _own(result, "campaigns", own) is None else gettext(
            "%(moved)s of your campaigns started or ended.", moved=_n(_own(result, "campaigns", own))),
        "rollup_reach": lambda: None if _own(result, "campaigns", own) is None else gettext(
            "Reach totals rebuilt for %(campaigns)s of your campaigns.", campaigns=_n(_own(result, "campaigns", own))),
        "remind_missing_reach": lambda: _reminder_summary(result, own),
        "snapshot_campaigns": lambda: None if _own(result, "campaigns", own) is None else gettext(
            "Figures kept for %(campaigns)s of your running campaigns.", campaigns=_n(_own(result, "campaigns", own))),
    }  # fmt: skip
    made = summaries.get(job_id, lambda: None)()
    return made if made is not None else gettext("Done.")


def _reminder_summary(result: Mapping[str, Any], own: Collection[int]) -> str | None:
    silent = _own(result, "campaigns", own)
    if silent is None:
        return None
    if not silent:
        return gettext("None of your running campaigns was without reach for 7 days.")
    text = ngettext("%(num)s of your running campaigns had no reach recorded for 7 days.",
                    "%(num)s of your running campaigns had no reach recorded for 7 days.", silent)  # fmt: skip
    if not result.get("smtp"):
        return text + " " + gettext("Shown on the home page; e-mail is not configured (SMTP_HOST).")
    if _own(result, "emailed", own):
        return text + " " + gettext("Coordinators and admins were reminded by e-mail.")
    return text + " " + gettext("Shown on the home page; no e-mail this time (one went out in the last 7 days, "
                                "or no active coordinator or admin has an account).")


def _status(job: scheduler.Job, own: Collection[int], now: datetime) -> JobStatus:
    """The job's latest period from its runs (the key sorts by period, a failure just after its
    period's own key), with the previous good run when the latest period failed."""
    description = str(JOB_DESCRIPTIONS.get(job.id, job.doc))
    top = db.session.scalar(
        select(JobRun).where(JobRun.job_id == job.id).order_by(JobRun.period_key.desc()).limit(1)
    )
    if top is None:
        return JobStatus(job, description, _frequency(job), None, "never", 0, "", None, None, False)
    base = top.period_key.split(scheduler.FAILED_MARK, 1)[0]
    period = db.session.scalars(
        select(JobRun).where(JobRun.job_id == job.id, JobRun.period_key >= base)
    ).all()
    done = next((r for r in period if not scheduler.is_failure(r)), None)
    failed = sorted((r for r in period if scheduler.is_failure(r)), key=lambda r: r.finished_at or r.started_at)
    last = done or failed[-1]
    last_done = None
    if done is None:
        last_done = db.session.scalar(
            select(JobRun).where(JobRun.job_id == job.id, JobRun.period_key < base,
                                 JobRun.period_key.not_like(f"%{scheduler.FAILED_MARK}%"))
            .order_by(JobRun.period_key.desc()).limit(1)
        )  # fmt: skip
    next_run = job.next_run(last)
    overdue = now > next_run + timedelta(minutes=job.look_minutes)
    return JobStatus(job, description, _frequency(job), last, "done" if done else "failed", len(failed),
                     _summary(job.id, last.result or {}, own), last_done, next_run, overdue)  # fmt: skip


@bp.route("/jobs")
def jobs() -> Any:
    """Each scheduled job's last run, outcome and next run: a failed job shows here instead of
    only in the scheduler's log, which an admin of one organisation may never see."""
    own = set(db.session.scalars(select(Campaign.id).where(Campaign.organisation_id == g.user.organisation_id)))
    now = utcnow()
    statuses = [_status(job, own, now) for job in scheduler.JOBS]
    return render_template("admin/jobs.html", statuses=statuses, now=now)
