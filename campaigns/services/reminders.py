"""Reminders for running campaigns that have had no reach recorded for a week.

The home page lists them for whoever signs in; this module is the other half, the e-mail, sent
by the scheduler's `remind_missing_reach` job only when SMTP is configured (`SMTP_HOST`). Why it
looks like this:
- **One e-mail per organisation**, to its active coordinators and admins (the people who record
  reach or can ask for it), listing every silent campaign: a coordinator with five campaigns
  gets one message, not five.
- **Once a week per campaign**, not every day: a campaign is e-mailed about again only when no
  reminder of the last `REMIND_EVERY_DAYS` days named it (read back from the job's own runs), so
  a campaign left silent does not fill inboxes. The home page keeps showing it meanwhile.
- **English and plain text**: the scheduler has no request and so no reader's language, and a
  plain message needs no template to escape. Campaign names are the only text users typed; they
  go in the body only, with control characters removed, never in a header.
- **Demo organisations get no e-mail**: their addresses are made up.
- **Nothing personal in the job's result**: it holds campaign ids and counts; the addresses are
  used to send and forgotten (the audit log refuses them anyway).

Sending is the job's last step, just before its claim commits: a crash before it sends nothing
and the rerun sends once; a crash in the instant between sending and the commit (or an SMTP
error after some organisations were sent to) sends those again on the rerun. A reminder twice is
the lesser harm than a reminder never.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final

from sqlalchemy import select

from ..config import Settings
from ..extensions import db
from ..models import JobRun, Organisation, Role, User
from ..plain_text import strip_controls
from . import reach

REMIND_EVERY_DAYS: Final = 7
SILENT_DAYS: Final = reach.SILENT_DAYS
SMTP_TIMEOUT_SECONDS: Final = 30
JOB_ID: Final = "remind_missing_reach"
RECIPIENT_ROLES: Final = (Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True)
class Reminder:
    """One silent running campaign: `last_recorded` is the day reach was last recorded (None
    when never, then the silence counts from `starts`)."""

    campaign_id: int
    organisation_id: int
    name: str
    starts: date | None
    last_recorded: date | None

    @property
    def path(self) -> str:
        return f"/campaigns/{self.campaign_id}"


@dataclass(frozen=True)
class OrganisationReminder:
    """What one organisation is told: its silent campaigns and who receives the e-mail."""

    organisation_id: int
    organisation_name: str
    reminders: tuple[Reminder, ...]
    recipients: tuple[str, ...]


def due(today: date) -> list[Reminder]:
    """Running campaigns with no reach recorded for SILENT_DAYS days, oldest silence first."""
    return [
        Reminder(campaign.id, campaign.organisation_id, campaign.name, campaign.starts, last)
        for campaign, last in reach.stale_campaigns(today, days=SILENT_DAYS)
    ]


def recently_emailed(today: date) -> set[int]:
    """Campaigns named in a reminder e-mail of the last REMIND_EVERY_DAYS - 1 days (from the
    results of this job's earlier runs, whose keys start with their day)."""
    since = (today - timedelta(days=REMIND_EVERY_DAYS - 1)).isoformat()
    results = db.session.scalars(
        select(JobRun.result).where(JobRun.job_id == JOB_ID, JobRun.period_key >= since,
                                    JobRun.finished_at.is_not(None))
    ).all()  # fmt: skip
    return {int(i) for result in results for i in (result or {}).get("emailed", [])}


def recipients(organisation_id: int) -> tuple[str, ...]:
    """The active coordinators' and admins' addresses, in a stable order."""
    return tuple(
        db.session.scalars(
            select(User.email)
            .where(User.organisation_id == organisation_id, User.active.is_(True), User.role.in_(RECIPIENT_ROLES))
            .order_by(User.email)
        ).all()
    )


def to_send(reminders: Sequence[Reminder], today: date) -> list[OrganisationReminder]:
    """The e-mails to send: per real organisation with at least one campaign not reminded of in
    the last week and at least one recipient, listing all its silent campaigns."""
    emailed = recently_emailed(today)
    by_org: dict[int, list[Reminder]] = {}
    for reminder in reminders:
        by_org.setdefault(reminder.organisation_id, []).append(reminder)
    out: list[OrganisationReminder] = []
    for org_id in sorted(by_org):
        listed = by_org[org_id]
        if all(r.campaign_id in emailed for r in listed):
            continue
        organisation = db.session.get(Organisation, org_id)
        if organisation is None or organisation.is_demo:
            continue
        people = recipients(org_id)
        if people:
            out.append(OrganisationReminder(org_id, organisation.name, tuple(listed), people))
    return out


def _line(reminder: Reminder, today: date) -> str:
    name = strip_controls(reminder.name) or f"#{reminder.campaign_id}"
    if reminder.last_recorded is not None:
        days = (today - reminder.last_recorded).days
        when = f"last recorded on {reminder.last_recorded.isoformat()} ({days} days ago)"
    else:
        since = f" since it started on {reminder.starts.isoformat()}" if reminder.starts else ""
        when = f"no reach recorded yet{since}"
    return f"- {name}: {when}\n  {reminder.path}"


def compose(settings: Settings, notice: OrganisationReminder, today: date) -> EmailMessage:
    """The plain-text message for one organisation (English: the scheduler has no reader's language)."""
    count = len(notice.reminders)
    subject = ("A running campaign has" if count == 1 else f"{count} running campaigns have") + \
        f" had no reach recorded for {SILENT_DAYS} days"  # fmt: skip
    body = "\n".join([
        "Hello,",
        "",
        f"These running campaigns of {strip_controls(notice.organisation_name)} have had no reach "
        f"recorded for at least {SILENT_DAYS} days:",
        "",
        *(_line(r, today) for r in notice.reminders),
        "",
        "Open a campaign in the planner (the paths above follow its address) and add the figures your",
        "channels reported, or end the campaign if it is over. Coverage and the reports count only",
        "what was recorded.",
        "",
        f"You receive this as a coordinator or administrator. A campaign is mentioned again after "
        f"{REMIND_EVERY_DAYS} days if it is still silent.",
        "",
        "-- The campaign planner's scheduler",
    ])  # fmt: skip
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(notice.recipients)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(body + "\n")
    return message


def send(settings: Settings, messages: Iterable[EmailMessage]) -> int:
    """Send over one SMTP connection (STARTTLS and login when configured); raises on any SMTP
    error, so the job fails visibly and is retried."""
    pending = list(messages)
    if not pending:
        return 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for message in pending:
            smtp.send_message(message)
    return len(pending)
