"""The home page (what each role can do next), the account page and the health check."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, g, jsonify, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from .. import connection
from ..access import ALL_ROLES, Section, allowed_roles
from ..extensions import db
from ..i18n import language_choices
from ..models import BoundarySet, Campaign, CampaignStatus, IncidentSet, Role, UserSession
from ..services import accounts, reach
from . import plain_words
from .campaigns_ import STATUS_LABELS
from .forms import LanguageForm, LogoutForm

bp = Section("home", __name__, roles=ALL_ROLES)

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.TRAINER: _l("Trainer"),
    Role.REVIEWER: _l("Reviewer"),
}


def can_use(endpoint: str) -> bool:
    user = g.get("user")
    permitted = allowed_roles(current_app, endpoint)
    return bool(user is not None and permitted and user.role in permitted)


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    """What every page's header needs. The sign-out form only renders its token, so it must not
    read the request's body (`formdata=None`): on an error page for a body that was refused as
    too large, reading it again would raise inside the error handler and turn the 413 into a 500."""
    return {
        "can_use": can_use,
        "logout_form": LogoutForm(formdata=None),
        "role_labels": ROLE_LABELS,
        "term": plain_words.term,
    }


@bp.route("/")
def index() -> Any:
    org_id = g.user.organisation_id
    boundary_sets = db.session.scalar(
        select(func.count()).select_from(BoundarySet).where(BoundarySet.organisation_id == org_id)
    )
    synthetic_sets = db.session.scalar(
        select(func.count()).select_from(IncidentSet).where(
            IncidentSet.organisation_id == org_id, IncidentSet.synthetic.is_(True), IncidentSet.status == "ready"
        )
    )
    return render_template(
        "pages/home.html",
        boundary_sets=boundary_sets or 0,
        synthetic_sets=synthetic_sets or 0,
        organisation=g.user.organisation,
        current=_current_campaigns(org_id) if can_use("campaigns.index") else [],
        plan_start=_plan_start(org_id),
        status_labels=STATUS_LABELS,
    )


def _plan_start(org_id: int) -> str:
    """Where "Plan a campaign" leads: straight to the only set of areas that has incident data
    (the usual case, and the demo's), else to the list of sets to pick from."""
    ready = db.session.scalars(
        select(IncidentSet.boundary_set_id)
        .where(IncidentSet.organisation_id == org_id, IncidentSet.status == "ready")
        .distinct()
        .limit(2)
    ).all()
    if len(ready) == 1:
        return url_for("targeting.boundary_set", set_id=ready[0])
    return url_for("targeting.index")


def _current_campaigns(org_id: int) -> list[dict[str, Any]]:
    """Running and scheduled campaigns, and ended ones waiting for their evaluation, with what
    needs doing next: the coordinator's starting point."""
    today = date.today()
    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.organisation_id == org_id, Campaign.status.in_(
            [CampaignStatus.RUNNING, CampaignStatus.SCHEDULED, CampaignStatus.ENDED]))
        .order_by(Campaign.starts, Campaign.id)
    ).all()  # fmt: skip
    last = reach.last_recorded([c.id for c in rows if c.status == CampaignStatus.RUNNING])
    out = []
    for c in rows:
        if c.status == CampaignStatus.ENDED:
            note = _("Ended: mark it as evaluated once its report is read.")
        elif c.status == CampaignStatus.SCHEDULED and c.starts is not None:
            days = (c.starts - today).days
            note = ngettext("Starts in %(num)s day.", "Starts in %(num)s days.", days) if days > 0 else ""
            note = note or _("Starts today.")
        elif c.ends is not None and 0 <= (c.ends - today).days <= 7:
            days = (c.ends - today).days
            note = _("Ends today.") if days <= 0 else ngettext("Ends in %(num)s day.", "Ends in %(num)s days.", days)
        else:
            note = ""
        out.append({"campaign": c, "note": note, "attention": _attention(c, last.get(c.id), today)})
    return out


def _attention(campaign: Campaign, last_recorded: Any, today: date) -> list[str]:
    """What a running campaign needs from the coordinator: fresh reach figures when none came for
    a week (the scheduler's reminder says the same by e-mail when SMTP is set), and a look at
    areas whose reach is above their population."""
    days = reach.silence(campaign, last_recorded, today)
    if days is None:
        return []
    items = []
    if days >= reach.SILENT_DAYS:
        items.append(ngettext("No reach recorded for %(num)s day.", "No reach recorded for %(num)s days.", days)
                     if last_recorded is not None else
                     ngettext("No reach recorded since it started %(num)s day ago.",
                              "No reach recorded since it started %(num)s days ago.", days))  # fmt: skip
    if last_recorded is not None and reach.over_population(campaign.id):
        items.append(_("Some areas show more people reached than live there: check the figures."))
    return items


@bp.route("/help/terms")
def glossary() -> Any:
    """What the method's words mean, in plain language: every term on the ranking links here."""
    entries = plain_words.glossary_entries(current_app.config["SETTINGS"].suppression_k)
    return render_template("pages/glossary.html", entries=entries)


@bp.route("/account", methods=["GET", "POST"])
def account() -> Any:
    form = LanguageForm()
    form.set_choices(language_choices())
    if form.validate_on_submit():
        accounts.set_locale(g.actor, g.user, form.locale.data or None)
        session.pop("lang", None)  # the saved preference now decides
        flash(_("Your language preference is saved."), "success")
        return redirect(url_for("home.account"))
    if not form.is_submitted():
        form.locale.data = g.user.locale or ""
    open_sessions = db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == g.user.id)
    )
    return render_template("pages/account.html", form=form, open_sessions=open_sessions or 0)


@bp.route("/healthz")
def health() -> Any:
    """For a load balancer: the process answers and the database is reachable. Public, says nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError as exc:
        if not connection.is_unavailable(exc):
            raise
        db.session.rollback()
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")
