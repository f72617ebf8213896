"""Administration: the audit log, the organisation's accounts and the scheduler's jobs."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from wtforms import EmailField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from targeting.csv_cells import csv_text

from .. import scheduler
from ..access import Section
from ..bounded_ints import db_int, int_arg
from ..downloads import attachment
from ..extensions import db
from ..models import AuditEntry, Campaign, JobRun, Role, User, utcnow
from ..services import accounts, audit
from .home import ROLE_LABELS

bp = Section("admin", __name__, url_prefix="/admin", roles={Role.ADMIN})

PAGE_SIZE = 50

# --- audit log ------------------------------------------------------------------------------

# Every action code passed to audit.record across campaigns/, in words an admin reads
# (tests/test_audit_log_page.py finds the codes in the source and fails on one missing here).
# A code without a label is shown as it is.
ACTION_LABELS: dict[str, Any] = {
    "audit.export": _l("Audit log downloaded"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Sign-in failed"),
    "auth.logout": _l("Signed out"),
    "boundary_set.create": _l("Areas added"),
    "campaign.copy": _l("Campaign copied"),
    "campaign.create": _l("Campaign created"),
    "campaign.logo_add": _l("Partner logo added"),
    "campaign.logo_remove": _l("Partner logo removed"),
    "campaign.status": _l("Campaign status changed"),
    "campaign.targets": _l("Campaign targets changed"),
    "campaign.update": _l("Campaign changed"),
    "campaign_draft.create": _l("Campaign draft created"),
    "helpline.check": _l("Helpline number checked"),
    "incident_set.create": _l("Incident data added"),
    "incident_set.import_queued": _l("Incident import started in the background"),
    "indicators.import": _l("Area indicators imported"),
    "organisation.create": _l("Organisation created"),
    "ranking.export": _l("Ranking downloaded"),
    "ranking.request": _l("Ranking requested"),
    "reach.correct": _l("Reach row corrected"),
    "reach.import": _l("Reach imported"),
    "reach.remove": _l("Reach row deleted"),
    "report.freeze": _l("Report figures frozen"),
    "survey.import": _l("Survey answers imported"),
    "survey_plan.lock": _l("Survey plan locked"),
    "survey_plan.set": _l("Survey plan chosen"),
    "survey_question.create": _l("Survey question added"),
    "survey_question.update": _l("Survey question changed"),
    "survey_wave.close": _l("Survey wave closed"),
    "survey_wave.codes_issue": _l("Survey codes given out"),
    "survey_wave.create": _l("Survey wave created"),
    "survey_wave.delete": _l("Survey wave deleted"),
    "survey_wave.open": _l("Survey wave opened"),
    "survey_wave.open_refused": _l("Survey wave not opened"),
    "survey_wave.update": _l("Survey wave changed"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "toolkit.publish": _l("Toolkit published"),
    "toolkit.revoke": _l("Toolkit publication withdrawn"),
    "user.activate": _l("User reactivated"),
    "user.create": _l("User created"),
    "user.deactivate": _l("User deactivated"),
    "user.locale_set": _l("Language preference changed"),
    "user.password_link": _l("Set-password link given"),
    "user.password_set": _l("Password changed"),
    "user.role_set": _l("Role changed"),
}

# Who acted when no signed-in user did.
ACTOR_KIND_LABELS: dict[str, Any] = {
    "web": _l("Web page (not signed in)"),
    "api": _l("API"),
    "cli": _l("Command line"),
    "scheduler": _l("Scheduler"),
}

TARGET_LABELS: dict[str, Any] = {
    "api_token": _l("API token"),
    "boundary_set": _l("Areas"),
    "campaign": _l("Campaign"),
    "campaign_draft": _l("Campaign draft"),
    "incident_set": _l("Incident data"),
    "job_run": _l("Job run"),
    "organisation": _l("Organisation"),
    "ranking_run": _l("Ranking"),
    "reach_row": _l("Reach row"),
    "survey_question": _l("Survey question"),
    "survey_wave": _l("Survey wave"),
    "toolkit_publication": _l("Toolkit publication"),
    "user": _l("User"),
}

SYSTEM_USER = "system"  # the user filter's value for entries no signed-in user made


def action_label(code: str) -> str:
    """An action code in words; a scheduled job's code names the job; unknown codes as they are,
    so a new code nobody labelled yet still shows up rather than vanishing."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    if code.startswith("job."):
        job_id = code.removeprefix("job.")
        failed = job_id.endswith(".failed")
        job_id = job_id.removesuffix(".failed")
        if job_id in JOB_DESCRIPTIONS:
            job = str(JOB_DESCRIPTIONS[job_id])
            if failed:
                return gettext("Scheduled job failed: %(job)s", job=job)
            return gettext("Scheduled job ran: %(job)s", job=job)
    return code


def target_label(entry: AuditEntry, emails: Mapping[int, str]) -> str:
    """What the entry is about: "User anna@example.org" for the organisation's own accounts,
    else the kind of thing and its id."""
    if not entry.target_type:
        return ""
    kind = str(TARGET_LABELS.get(entry.target_type, entry.target_type))
    if entry.target_type == "user" and entry.target_id and entry.target_id.isdigit():
        email = emails.get(int(entry.target_id))
        if email:
            return f"{kind} {email}"
    return f"{kind} #{entry.target_id}" if entry.target_id else kind


def actor_label(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return f"{entry.actor.email} ({ROLE_LABELS[entry.actor.role]})"
    return str(ACTOR_KIND_LABELS.get(entry.actor_kind, entry.actor_kind))


@dataclass(frozen=True)
class AuditFilters:
    """The audit log's filters as read from the query string; `errors` says what to fix in
    words, and a filter that could not be read is left out rather than guessed."""

    date_from: date | None
    date_to: date | None
    user: str  # "", SYSTEM_USER or a member's id
    action: str
    raw: dict[str, str]  # what was typed, to show again in the form
    errors: list[str]

    def args(self) -> dict[str, str]:
        """The query arguments that reproduce these filters (for the pager and the download)."""
        return {k: v for k, v in self.raw.items() if v}


def _parse_day(text: str, label: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(gettext("%(field)s: enter a date as year-month-day, like 2025-03-31.", field=label))
        return None


def read_filters(args: Mapping[str, str], member_ids: Collection[int]) -> AuditFilters:
    """Read from/to dates, user and action from the query string."""
    errors: list[str] = []
    raw = {name: (args.get(name) or "").strip()[:80] for name in ("from", "to", "user", "action")}
    date_from = _parse_day(raw["from"], gettext("From"), errors)
    date_to = _parse_day(raw["to"], gettext("To"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(gettext("The “From” date is after the “To” date: swap them, or change one."))
        date_from = date_to = None
    user = raw["user"]
    if user and user != SYSTEM_USER and db_int(user) not in member_ids:
        errors.append(gettext("User: choose someone from the list."))
        user = ""
    return AuditFilters(date_from, date_to, user, raw["action"], raw, errors)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def filtered_entries(organisation_id: int, filters: AuditFilters) -> Select[AuditEntry]:
    """The organisation's entries that match the filters, newest first. Dates are whole days in
    UTC, as the page shows times: "to" includes the whole of its day."""
    query = select(AuditEntry).where(AuditEntry.organisation_id == organisation_id)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.user == SYSTEM_USER:
        query = query.where(AuditEntry.actor_user_id.is_(None))
    elif filters.user:
        query = query.where(AuditEntry.actor_user_id == int(filters.user))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _members() -> Sequence[User]:
    return db.session.scalars(
        select(User).where(User.organisation_id == g.user.organisation_id).order_by(User.email)
    ).all()


def _details(entry: AuditEntry) -> str:
    return json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True, default=str)


@bp.route("/audit")
def audit_log() -> Any:
    """The organisation's audit log in words, filtered by dates, user and action, 50 a page."""
    members = _members()
    filters = read_filters(request.args, {m.id for m in members})
    query = filtered_entries(g.user.organisation_id, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(int_arg(request.args, "page", 1), pages)
    entries = db.session.scalars(
        query.options(selectinload(AuditEntry.actor)).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    codes = set(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.organisation_id == g.user.organisation_id).distinct()
    ))
    if filters.action:
        codes.add(filters.action)
    actions = sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1].casefold())
    return render_template(
        "admin/audit.html", entries=entries, page=page, pages=pages, total=total, page_size=PAGE_SIZE,
        filters=filters, actions=actions, members=members, emails={m.id: m.email for m in members},
        action_label=action_label, target_label=target_label, actor_label=actor_label, system_user=SYSTEM_USER,
    ), 400 if filters.errors else 200


@bp.route("/audit.csv")
def audit_export() -> Any:
    """Every entry that matches the filters, as CSV (cells a spreadsheet would run as formulas
    are neutralised); the download is itself audited, with its filters and row count."""
    members = _members()
    filters = read_filters(request.args, {m.id for m in members})
    if filters.errors:
        return audit_log()
    emails = {m.id: m.email for m in members}
    entries = db.session.scalars(
        filtered_entries(g.user.organisation_id, filters).options(selectinload(AuditEntry.actor))
    ).all()
    header: list[object] = ["when_utc", "user", "role", "actor_kind", "action", "action_label", "object_type",
                            "object_id", "object", "details"]
    rows: list[list[object]] = [header]
    for e in entries:
        rows.append([
            e.at.astimezone(UTC).isoformat(timespec="seconds"), e.actor.email if e.actor else "",
            e.actor.role.value if e.actor else "", e.actor_kind, e.action, action_label(e.action),
            e.target_type or "", e.target_id or "", target_label(e, emails), _details(e),
        ])  # fmt: skip
    details: dict[str, Any] = {"rows": len(entries)}
    for key, value in (("from", filters.raw["from"] if filters.date_from else ""),
                       ("to", filters.raw["to"] if filters.date_to else ""),
                       ("user_id", filters.user), ("filter_action", filters.action)):  # fmt: skip
        if value:
            details[key] = value
    audit.record(g.actor, "audit.export", **details)
    name = f"audit-log-{utcnow().date().isoformat()}.csv"
    return Response(csv_text(rows), mimetype="text/csv", headers={"Content-Disposition": attachment(name)})


# --- users ----------------------------------------------------------------------------------

ROLE_HINTS: dict[Role, Any] = {
    Role.ADMIN: _l("everything, including accounts, the audit log and jobs"),
    Role.COORDINATOR: _l("targeting and campaigns, toolkits and reports"),
    Role.TRAINER: _l("red-flag toolkits"),
    Role.REVIEWER: _l("effectiveness reports"),
}


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_LABELS[role])) for role in Role]


class NewUserForm(FlaskForm):
    """The account an admin creates: an address and a role, never a password."""

    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(message=_l("Enter the person's e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an e-mail address, like name@example.org.")),
    ], render_kw={"autocomplete": "off"})  # fmt: skip
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired(message=_l("Choose a role."))])
    submit = SubmitField(_l("Create the account"))


def account_message(exc: accounts.AccountError, user: User | None = None) -> str:
    """The service's refusal in the reader's language, saying what to do instead."""
    email = user.email if user is not None else ""
    messages: dict[str, Callable[[], str]] = {
        "email_invalid": lambda: gettext("Enter an e-mail address, like name@example.org."),
        "email_taken": lambda: gettext("An account with this e-mail address already exists. "
                                       "Each address can have only one account."),
        "role_invalid": lambda: gettext("Choose one of the roles in the list."),
        "self": lambda: gettext("You cannot demote or deactivate your own account. "
                                "Ask another administrator to do it."),
        "last_admin": lambda: gettext("%(email)s is the last active administrator of your organisation. "
                                      "Make another account an administrator first.", email=email),
        "inactive": lambda: gettext("%(email)s is deactivated. Reactivate the account first, then give "
                                    "the link.", email=email),
        "password_short": lambda: gettext("Choose a password of at least %(num)s characters.",
                                          num=accounts.MIN_PASSWORD_LENGTH),
    }  # fmt: skip
    return messages.get(exc.code, lambda: gettext("That could not be done. Check the form and try again."))()


def _member(user_id: int) -> User:
    """An account of the admin's own organisation; any other id is a 404, so another
    organisation's accounts can be neither changed nor told apart from missing ones."""
    user = db.session.scalar(select(User).where(User.id == user_id, User.organisation_id == g.user.organisation_id))
    if user is None:
        abort(404)
    return user


def _users_page(errors: Sequence[str] = (), status: int = 200) -> Any:
    members = db.session.scalars(
        select(User).where(User.organisation_id == g.user.organisation_id).order_by(User.email)
    ).all()
    return render_template(
        "admin/users.html", members=members, errors=list(errors), roles=list(Role), role_hints=ROLE_HINTS,
        now=utcnow(), link_hours=accounts.PASSWORD_LINK_HOURS,
    ), status


def _link_page(user: User, secret: str, *, created: bool) -> Any:
    """The set-password link, shown this once: only its hash is stored, and the page is not
    cached (every page is `Cache-Control: no-store`) nor sent as a referrer."""
    link = url_for("auth.set_password", token=secret, _external=True)
    response = current_app.make_response(render_template(
        "admin/user_link.html", member=user, link=link, created=created, expires_at=user.password_link_expires_at,
    ))  # fmt: skip
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/users")
def users() -> Any:
    """The organisation's accounts, each with its role, state and set-password link, and the
    buttons to change them."""
    return _users_page()


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    """Create an account with an e-mail and a role; the next page shows its set-password link."""
    form = NewUserForm()
    form.role.choices = _role_choices()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            user, secret = accounts.invite_user(g.actor, form.email.data or "", form.role.data or "",
                                                g.user.organisation)
        except accounts.AccountError as exc:
            message = account_message(exc)
            if exc.code in ("email_invalid", "email_taken"):
                form.email.errors = [*form.email.errors, message]
            else:
                form.role.errors = [*form.role.errors, message]
        else:
            return _link_page(user, secret, created=True)
    if form.is_submitted():
        errors = [str(message) for field in (form.email, form.role, form.csrf_token) for message in field.errors]
    return render_template(
        "admin/user_new.html", form=form, errors=errors, role_hints=ROLE_HINTS, link_hours=accounts.PASSWORD_LINK_HOURS,
    ), 400 if errors else 200


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int) -> Any:
    user = _member(user_id)
    try:
        accounts.set_role(g.actor, user, request.form.get("role", ""))
    except accounts.AccountError as exc:
        return _users_page([account_message(exc, user)], 400 if exc.code == "role_invalid" else 409)
    flash(gettext("%(email)s is now: %(role)s.", email=user.email, role=ROLE_LABELS[user.role]), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int) -> Any:
    user = _member(user_id)
    try:
        accounts.set_active(g.actor, user, False)
    except accounts.AccountError as exc:
        return _users_page([account_message(exc, user)], 409)
    flash(gettext("%(email)s is deactivated: signed out everywhere, and cannot sign in until reactivated.",
                  email=user.email), "success")  # fmt: skip
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int) -> Any:
    user = _member(user_id)
    accounts.set_active(g.actor, user, True)
    flash(gettext("%(email)s is active again and can sign in with their password. If they do not know it, "
                  "give them a set-password link.", email=user.email), "success")  # fmt: skip
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/link", methods=["GET", "POST"])
def password_link(user_id: int) -> Any:
    """GET asks to confirm (a new link ends the one given before); POST gives the link."""
    user = _member(user_id)
    if request.method == "POST":
        try:
            secret = accounts.issue_password_link(g.actor, user)
        except accounts.AccountError as exc:
            return _users_page([account_message(exc, user)], 409)
        return _link_page(user, secret, created=False)
    return render_template("admin/user_link_confirm.html", member=user, now=utcnow(),
                           link_hours=accounts.PASSWORD_LINK_HOURS)


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
