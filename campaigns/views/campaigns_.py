"""Campaigns: plan from a draft saved on a ranking, edit under a version check, move through the
lifecycle. The rules live in `services.campaigns`; this module parses forms and says, in the
user's language, what to fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from content.locales import LOCALES

from ..access import Section
from ..bounded_ints import db_int
from ..extensions import db
from ..models import Campaign, CampaignDraft, CampaignStatus, Role
from ..plain_text import strip_controls
from ..queries import org_owned
from ..services import campaigns as service
from ..services import logos as logo_service
from .rankings import explanation

bp = Section("campaigns", __name__, url_prefix="/campaigns", roles={Role.ADMIN, Role.COORDINATOR})

CHANNEL_LABELS: Final = {
    "social_media": _l("Social-media ads"),
    "community_events": _l("Community events"),
    "frontline_training": _l("Training for frontline staff (bank branches, farms, hotels)"),
    "printed_materials": _l("Printed materials"),
    "radio": _l("Radio"),
    "other": _l("Other"),
}
STATUS_LABELS: Final = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.SCHEDULED: _l("Scheduled"),
    CampaignStatus.RUNNING: _l("Running"),
    CampaignStatus.ENDED: _l("Ended"),
    CampaignStatus.EVALUATED: _l("Evaluated"),
}
MOVE_LABELS: Final = {
    CampaignStatus.DRAFT: _l("Back to draft"),
    CampaignStatus.SCHEDULED: _l("Schedule"),
    CampaignStatus.RUNNING: _l("Start now"),
    CampaignStatus.ENDED: _l("End"),
    CampaignStatus.EVALUATED: _l("Mark as evaluated"),
}
CURRENCIES: Final = ("EUR", "USD", "GBP", "PLN", "RON", "BGN", "UAH", "VND")


def problem_text(exc: service.CampaignError) -> str:
    """The refusal in the user's language, saying what to change."""
    p = exc.params
    texts = {
        "name_missing": gettext("Give the campaign a name."),
        "name_taken": gettext("Your organisation already has a campaign with this name; choose another."),
        "ends_before_starts": gettext("The end date is before the start date; a campaign must end on or after "
                                      "the day it starts."),
        "dates_missing": gettext("Give a start and an end date: a scheduled or running campaign needs both."),
        "no_areas": gettext("The campaign has no areas; plan it from a ranking with at least one area."),
        "no_channels": gettext("Choose at least one channel before scheduling the campaign."),
        "starts_in_future": gettext("The campaign starts on %(day)s; it can be started from that day on (the "
                                    "scheduler starts it then).", day=format_date(p["starts"], "long"))
        if "starts" in p else "",
        "not_allowed": gettext("This change is not possible for a campaign in this state."),
        "read_only": gettext("This campaign has been evaluated and can no longer be changed. Copy it to plan a "
                             "similar one."),
        "stale": gettext("Someone else saved this campaign after you opened it, so your changes were not saved. "
                         "Reload the page to see the current version, then make your changes again."),
        "budget_invalid": gettext("The budget must be an amount of 0 or more, such as 12500 or 12500.50."),
        "currency_invalid": gettext("Choose a currency from the list."),
        "reach_not_running": gettext("Reach can be recorded once the campaign is running (and after it has ended), "
                                     "not while it is a draft or scheduled."),
        "helpline_invalid": gettext("Enter a phone number of digits, spaces and an optional leading +."),
        "target_invalid": gettext("%(area)s, %(channel)s: write the number of people as a whole number of 0 or "
                                  "more, or leave it empty.", area=p.get("area", ""),
                                  channel=CHANNEL_LABELS.get(p.get("channel", ""), "")),
        "target_above_population": gettext(
            "%(area)s, %(channel)s: %(people)s people is more than the %(population)s who live there.",
            area=p.get("area", ""), channel=CHANNEL_LABELS.get(p.get("channel", ""), ""),
            people=format_decimal(p.get("people", 0)), population=format_decimal(p.get("population", 0)))
        if "people" in p else "",
    }  # fmt: skip
    return texts.get(exc.code, exc.code)


def _refusal(change: Callable[[], object]) -> service.CampaignError | None:
    """Run a change; None when it is saved, else the refusal, with the transaction rolled back.

    A save that races another one is caught by the UPDATE's own version check (StaleDataError):
    to the user that is the same refusal as a form opened on an old version."""
    try:
        change()
    except service.CampaignError as exc:
        db.session.rollback()
        return exc
    except StaleDataError:
        db.session.rollback()
        return service.CampaignError("stale")
    return None


def _saved(change: Callable[[], object], errors: dict[str, str]) -> bool:
    """Run a form's change; on a refusal, its text goes under the field it names ("form" for
    the whole form, such as a stale version) and False is returned."""
    refused = _refusal(change)
    if refused is not None:
        errors[refused.field or "form"] = problem_text(refused)
    return refused is None


@bp.route("/")
def index() -> Any:
    org = g.user.organisation_id
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.organisation_id == org).order_by(Campaign.updated_at.desc())
    ).all()
    planned = {c.draft_id for c in campaigns if c.draft_id}
    drafts = db.session.scalars(
        select(CampaignDraft).where(CampaignDraft.organisation_id == org).order_by(CampaignDraft.id.desc())
    ).all()
    return render_template("pages/campaigns.html", campaigns=campaigns, drafts=drafts, planned=planned,
                           status_labels=STATUS_LABELS)  # fmt: skip


@bp.route("/from-draft/<int:draft_id>", methods=["POST"])
def from_draft(draft_id: int) -> Any:
    draft = org_owned(CampaignDraft, draft_id)
    campaign = service.from_draft(g.actor, draft)
    flash(gettext("Campaign “%(name)s” planned from the draft: add its dates and channels, then schedule it.",
                  name=campaign.name), "success")  # fmt: skip
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>")
def show(campaign_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    areas = [
        {"area": a, "why": explanation(a.reasons, campaign.ranking_period) if a.reasons else ""}
        for a in campaign.areas
    ]
    moves = sorted(service.TRANSITIONS[campaign.status], key=lambda s: list(CampaignStatus).index(s))
    if campaign.starts is not None and campaign.starts > date.today():  # the scheduler starts it on the day
        moves = [m for m in moves if m != CampaignStatus.RUNNING]
    targets = {(t.area_code, t.channel): t.target_reach for t in campaign.targets}
    return render_template(
        "campaigns/campaign.html", campaign=campaign, areas=areas, moves=moves, move_labels=MOVE_LABELS,
        status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS, targets=targets,
        target_totals=service.target_totals(campaign), **campaign_coverage.context(campaign),
        **campaign_toolkits.context(campaign),
    )


def form_date(field: str, errors: dict[str, str]) -> date | None:
    """A date field of the posted form, or None when empty; a bad one is named in `errors`."""
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = gettext("Write the date as year-month-day, for example 2027-03-01.")
        return None


def _budget(errors: dict[str, str]) -> int | None:
    raw = re.sub(r"[\s\u00a0\u202f']", "", request.form.get("budget") or "")
    if not raw:
        return None
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        amount = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        errors["budget"] = gettext("The budget must be an amount of 0 or more, such as 12500 or 12500.50.")
        return None
    if amount < 0 or amount >= Decimal(10) ** 12:
        errors["budget"] = gettext("The budget must be an amount of 0 or more, such as 12500 or 12500.50.")
        return None
    return int((amount * 100).quantize(Decimal(1)))


def _plan_from_form(campaign: Campaign, errors: dict[str, str]) -> service.Plan:
    form = request.form
    return service.Plan(
        name=strip_controls(form.get("name"))[:200],
        objective=strip_controls(form.get("objective"), newlines=True)[:4000],
        starts=form_date("starts", errors),
        ends=form_date("ends", errors),
        budget_cents=_budget(errors),
        currency=(form.get("currency") or campaign.currency or "EUR").strip().upper()[:3],
        channels=tuple(c for c in form.getlist("channel") if c in service.CHANNELS),
        partners=tuple(line[:200] for line in strip_controls(form.get("partners"), newlines=True).splitlines()),
        locales=tuple(code for code in form.getlist("locale") if code in LOCALES),
        helpline_name=strip_controls(form.get("helpline_name"))[:200],
        helpline_number=(form.get("helpline_number") or "").strip()[:40],
        helpline_verified=form_date("helpline_verified", errors),
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        plan = _plan_from_form(campaign, errors)
        version = db_int(request.form.get("version")) or 0
        if not errors and _saved(lambda: service.update(g.actor, campaign, plan, version=version), errors):
            flash(gettext("Campaign saved."), "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
        campaign = org_owned(Campaign, campaign_id)
        return _edit_page(campaign, errors, request.form), 409 if "form" in errors else 422
    return _edit_page(campaign, errors, None)


def _edit_page(campaign: Campaign, errors: dict[str, str], form: Any, *, logo_form: Any = None) -> str:
    """The edit form, and under it the partner logos (`campaign_logos`); `logo_form` is a refused
    upload's form, to show its partner name again."""
    budget = "" if campaign.budget_cents is None else f"{campaign.budget_cents / 100:.2f}"
    return render_template(
        "campaigns/edit.html", campaign=campaign, errors=errors, form=form, channel_labels=CHANNEL_LABELS,
        currencies=CURRENCIES, locales=LOCALES, budget=budget, logos=logo_service.logos_of(campaign.id),
        max_logos=logo_service.MAX_LOGOS, logo_form=logo_form or {},
    )


@bp.route("/<int:campaign_id>/status", methods=["POST"])
def move(campaign_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    try:
        to = CampaignStatus(request.form.get("to", ""))
    except ValueError:
        to = None
    version = db_int(request.form.get("version")) or 0
    if to is None:
        flash(problem_text(service.CampaignError("not_allowed")), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id)), 303
    refused = _refusal(lambda: service.move(g.actor, campaign, to, version=version, today=date.today()))
    if refused:
        flash(problem_text(refused), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id)), 303
    flash(gettext("The campaign is now: %(status)s.", status=STATUS_LABELS[to]), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/copy", methods=["POST"])
def copy(campaign_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    twin = service.copy(g.actor, campaign)
    flash(gettext("Copied as “%(name)s”, a draft without dates.", name=twin.name), "success")
    return redirect(url_for("campaigns.edit", campaign_id=twin.id))


@bp.route("/<int:campaign_id>/targets", methods=["GET", "POST"])
def targets(campaign_id: int) -> Any:
    """People to reach per area and channel: one number per cell of the areas × channels grid."""
    campaign = org_owned(Campaign, campaign_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values: dict[tuple[str, str], int | None] = {}
        for area in campaign.areas:
            for channel in campaign.channels:
                field = f"t:{area.area_code}:{channel}"
                raw = re.sub(r"[\s\u00a0\u202f.,']", "", request.form.get(field) or "")
                if not raw:
                    values[(area.area_code, channel)] = None
                elif raw.isdigit() and len(raw) <= 10:
                    values[(area.area_code, channel)] = int(raw)
                else:
                    errors[field] = problem_text(service.CampaignError(
                        "target_invalid", field, area=area.name, channel=channel))  # fmt: skip
        version = db_int(request.form.get("version")) or 0
        if not errors and _saved(lambda: service.set_targets(g.actor, campaign, values, version=version), errors):
            flash(gettext("Targets saved."), "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id) + "#targets")
        campaign = org_owned(Campaign, campaign_id)
        status = 409 if "form" in errors else 422
        return _targets_page(campaign, errors, request.form), status
    return _targets_page(campaign, errors, None)


def _targets_page(campaign: Campaign, errors: dict[str, str], form: Any) -> str:
    current = {(t.area_code, t.channel): t.target_reach for t in campaign.targets}
    return render_template("campaigns/targets.html", campaign=campaign, errors=errors, form=form, current=current,
                           channel_labels=CHANNEL_LABELS)  # fmt: skip


# The reach pages are routes of this section, in a module of their own (imported last: it uses the above).
from . import campaign_coverage, campaign_logos, campaign_reach, campaign_toolkits  # noqa: E402, F401
