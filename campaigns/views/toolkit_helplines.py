"""The helpline checks page: every library helpline with its number, where the number came from
and when this organisation last checked it, and a form to record "I called this number on …".

Anyone who prepares toolkits can read it (it says what to check before printing); coordinators
and admins record checks, as they publish. A recorded check is audited and reaches every toolkit
of the organisation through `services.toolkits.toolkit_or_404`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from content.toolkit import default_country

from ..access import roles
from ..extensions import db
from ..models import Campaign, Role, ToolkitPublication
from ..services import helpline_checks as service
from ..services import toolkits as toolkit_service
from .toolkits import _can_publish, bp

KIND_LABELS: Final = {
    "trafficking": _l("Trafficking helpline"),
    "labour": _l("Labour rights helpline"),
    "emergency": _l("Emergency number"),
}


def _countries_in_use(organisation_id: int) -> list[str]:
    """Countries the organisation prints helplines for: its live publications', then the one its
    own language defaults to. They are listed first on the page."""
    published = db.session.scalars(
        select(ToolkitPublication.country).where(ToolkitPublication.organisation_id == organisation_id,
                                                 ToolkitPublication.revoked_at.is_(None)).distinct()
    ).all()  # fmt: skip
    return list(dict.fromkeys([*sorted(published), default_country(str(get_locale()))]))


def _page(errors: dict[str, str], form: dict[str, str], status: int = 200) -> Any:
    org = g.user.organisation_id
    everything = list(toolkit_service.countries())
    chosen = (request.args.get("country") or "").upper()
    used = [c for c in _countries_in_use(org) if c in everything]
    shown = [chosen] if chosen in everything else [*used, *(c for c in everything if c not in used)]
    today = dt.date.today()
    groups = [(country, service.statuses(org, service.library_helplines([country]), today)) for country in shown]
    campaigns_with_helplines = db.session.scalars(
        select(Campaign).where(Campaign.organisation_id == org, Campaign.helpline_number != "")
        .order_by(Campaign.name)
    ).all() if _can_publish() else []  # fmt: skip
    page = render_template(
        "toolkits/helplines.html", groups=groups, countries=everything, chosen_country=chosen if chosen in everything
        else "", used=used, kind_labels=KIND_LABELS, today=today, errors=errors, form=form,
        can_record=_can_publish(), own_campaigns=campaigns_with_helplines,
    )  # fmt: skip
    return page, status


@bp.route("/helplines")
def helpline_checks() -> Any:
    return _page({}, {})


@bp.route("/helplines", methods=["POST"])
@roles(Role.ADMIN, Role.COORDINATOR)
def record_helpline_check() -> Any:
    helpline_id = request.form.get("helpline_id", "")
    raw = (request.form.get("checked_on") or "").strip()
    field = f"checked-on-{helpline_id}"
    errors: dict[str, str] = {}
    helpline = next((h for h in service.library_helplines() if h.id == helpline_id), None)
    checked_on: dt.date | None = None
    if helpline is None:
        errors["form"] = gettext("That helpline is not in the library. Reload the page and try again.")
    else:
        try:
            checked_on = dt.date.fromisoformat(raw)
        except ValueError:
            errors[field] = gettext("%(helpline)s: enter the day you checked the number as year-month-day, for "
                                    "example 2027-03-01.", helpline=helpline.name)  # fmt: skip
    if helpline is not None and checked_on is not None:
        try:
            service.record(g.actor, g.user.organisation_id, helpline.id, checked_on, dt.date.today())
        except service.CheckRefused as exc:
            db.session.rollback()
            if exc.code != "future":
                raise
            errors[field] = gettext("%(helpline)s: the day you checked the number cannot be in the future.",
                                    helpline=helpline.name)  # fmt: skip
    if errors:
        return _page(errors, {"helpline_id": helpline_id, "checked_on": raw}, 422)
    assert helpline is not None and checked_on is not None
    flash(gettext("Recorded: %(helpline)s, %(number)s, checked on %(day)s.", helpline=helpline.name,
                  number=helpline.number, day=format_date(checked_on, "long")), "success")  # fmt: skip
    country = request.args.get("country") or None
    return redirect(url_for("toolkits.helpline_checks", country=country, _anchor=f"helpline-{helpline.id}"))
