"""Toolkits: trainers pick an audience and a language, preview, and download any format;
coordinators publish a toolkit, with their campaign's details, at a public link.

Files come from `content` through a cache keyed by the toolkit's version; each download adds
one to a per-day counter (audience, language, format), never a record of who downloaded.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from content import Campaign, Toolkit
from content.locales import LOCALES, completeness, language_name
from content.social import PLATFORMS, social_posts
from content.toolkit import default_country

from ..access import Section, roles
from ..bounded_ints import db_int
from ..downloads import attachment
from ..extensions import db
from ..models import CampaignDraft, Role, ToolkitPublication
from ..plain_text import strip_controls
from ..queries import org_owned
from ..services import toolkits as service

bp = Section("toolkits", __name__, url_prefix="/toolkits", roles={Role.ADMIN, Role.COORDINATOR, Role.TRAINER})

# (format, paper, label) for the download buttons, in the order a trainer reads them.
DOWNLOADS: Final = (
    ("pdf", "a4", _l("PDF, A4")),
    ("pdf", "letter", _l("PDF, US Letter")),
    ("html", "", _l("Web page (HTML)")),
    ("card", "", _l("Wallet card (PDF, two-sided)")),
    ("poster", "a4", _l("Poster, A4")),
    ("poster", "letter", _l("Poster, US Letter")),
    ("poster", "a3", _l("Poster, A3")),
    ("social", "", _l("Social posts (text)")),
    ("zip", "", _l("Everything (ZIP)")),
)
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")


def _country_arg(locale: str) -> str:
    country = (request.args.get("country") or "").upper()
    return country if country in service.countries() else default_country(locale)


def _send(toolkit: Toolkit, fmt: str, paper: str, organisation_id: int, *, public: bool) -> Response:
    artifact = service.artifact_or_404(toolkit, fmt, paper or None)
    inline = fmt == "html" and request.args.get("inline") == "1"
    response = Response(artifact.data, mimetype=artifact.media_type)
    response.headers["Content-Disposition"] = attachment(artifact.filename, inline=inline)
    response.headers["X-Toolkit-Version"] = artifact.version
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(f"{artifact.version}-{fmt}-{paper}")
    if fmt == "html":
        response.headers["Content-Security-Policy"] = service.embed_policy(artifact.data.decode("utf-8"))
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.make_conditional(request)
    if response.status_code == 200 and not inline:
        service.count_download(organisation_id, toolkit, fmt, paper, public=public)
    return response


def _can_publish() -> bool:
    return g.user.role in (Role.ADMIN, Role.COORDINATOR)


def _language_choices() -> list[tuple[str, str]]:
    ui = str(get_locale())
    return [(code, f"{language_name(code)} ({language_name(code, ui)})" if code != ui else language_name(code))
            for code in LOCALES]


@bp.route("/")
def index() -> Any:
    ui_locale = str(get_locale())
    org = g.user.organisation_id
    audiences = service.audience_choices()
    published = service.publications(org)
    return render_template(
        "toolkits/index.html",
        audiences=audiences,
        toolkit_languages=_language_choices(),
        chosen_locale=ui_locale if ui_locale in LOCALES else "en",
        countries=service.countries(),
        chosen_country=default_country(ui_locale),
        publications=published,
        to_verify=service.helplines_to_verify(org, published),
        downloads=service.download_stats(org),
        audience_titles={a["id"]: a["title"] for a in audiences},
        can_publish=_can_publish(),
    )


@bp.route("/open")
def open_toolkit() -> Any:
    """The choice form's target: turn the picked options into the toolkit's own address."""
    audience = request.args.get("audience", "")
    locale = request.args.get("locale", "")
    if audience not in {a["id"] for a in service.audience_choices()} or locale not in LOCALES:
        flash(gettext("Choose an audience and a language."), "error")
        return redirect(url_for("toolkits.index"))
    return redirect(url_for("toolkits.preview", audience=audience, locale=locale, country=_country_arg(locale)))


def _preview_context(toolkit: Toolkit) -> dict[str, Any]:
    return {
        "tk": toolkit,
        "language": language_name(toolkit.locale, str(get_locale())),
        "stats": completeness(toolkit.locale),
        "downloads": DOWNLOADS,
        "posts": social_posts(toolkit),
        "platforms": {p.id: p.name for p in PLATFORMS},
        "countries": service.countries(),
        # Only publishers see the form that lists drafts.
        "drafts": db.session.scalars(
            select(CampaignDraft).where(CampaignDraft.organisation_id == g.user.organisation_id)
            .order_by(CampaignDraft.id.desc())
        ).all() if _can_publish() else [],
        "can_publish": _can_publish(),
    }


@bp.route("/<audience>/<locale>")
def preview(audience: str, locale: str) -> Any:
    toolkit = service.toolkit_or_404(audience, locale, _country_arg(locale), organisation_id=g.user.organisation_id)
    return render_template("toolkits/preview.html", form={}, errors={}, **_preview_context(toolkit))


@bp.route("/<audience>/<locale>/download/<fmt>")
def download(audience: str, locale: str, fmt: str) -> Any:
    toolkit = service.toolkit_or_404(audience, locale, _country_arg(locale), organisation_id=g.user.organisation_id)
    return _send(toolkit, fmt, request.args.get("paper", ""), g.user.organisation_id, public=False)


def _date(form: dict[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = gettext("Enter a date as YYYY-MM-DD, for example 2027-03-01.")
        return None


def _lines(value: str) -> tuple[str, ...]:
    parts = (strip_controls(part) for part in re.split(r"[\n;]", value))
    return tuple(part for part in parts if part)


def campaign_from_form(
    form: dict[str, str], organisation_draft: CampaignDraft | None
) -> tuple[Campaign, dict[str, str]]:
    """Read the publish form; errors are keyed by field and say what to enter."""
    errors: dict[str, str] = {}
    number = form.get("helpline_number", "").strip()
    if number and not PHONE.match(number):
        errors["helpline_number"] = gettext("Enter a phone number of digits, spaces and an optional leading +.")
    verified = _date(form, "helpline_verified", errors)
    if verified and verified > dt.date.today():
        errors["helpline_verified"] = gettext("The date the number was checked cannot be in the future.")
    if verified and not number:
        errors["helpline_number"] = gettext("Enter the number you checked, or leave the date empty.")
    starts, ends = _date(form, "starts", errors), _date(form, "ends", errors)
    if starts and ends and ends < starts:
        errors["ends"] = gettext("The end date must be on or after the start date.")
    areas = _lines(form.get("areas", ""))
    if not areas and organisation_draft is not None:
        areas = tuple(service.draft_area_names(organisation_draft))
    for name, limit in (("campaign_name", 200), ("helpline_name", 200)):
        if len(form.get(name, "")) > limit:
            errors[name] = gettext("Use at most %(limit)s characters.", limit=limit)
    campaign = Campaign(
        name=strip_controls(form.get("campaign_name")),
        helpline_name=strip_controls(form.get("helpline_name")),
        helpline_number=number,
        helpline_verified=verified,
        partners=_lines(form.get("partners", "")),
        starts=starts,
        ends=ends,
        areas=areas,
    )
    return campaign, errors


@bp.route("/<audience>/<locale>/publish", methods=["POST"])
@roles(Role.ADMIN, Role.COORDINATOR)
def publish(audience: str, locale: str) -> Any:
    country = _country_arg(locale)
    organisation = g.user.organisation_id
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    draft_id = db_int(form.get("draft_id"), minimum=1)
    draft = org_owned(CampaignDraft, draft_id) if draft_id is not None else None
    campaign, errors = campaign_from_form(form, draft)
    if errors:
        context = _preview_context(service.toolkit_or_404(audience, locale, country, organisation_id=organisation))
        return render_template("toolkits/preview.html", form=form, errors=errors, **context), 400
    toolkit = service.toolkit_or_404(audience, locale, country, campaign, organisation_id=organisation)
    publication = service.publish(g.actor, organisation, toolkit, campaign)
    flash(gettext("Published. Anyone with the link can open and download this toolkit."), "success")
    return redirect(url_for("toolkits.index", _anchor=f"publication-{publication.id}"))


@bp.route("/published/<int:publication_id>/revoke", methods=["POST"])
@roles(Role.ADMIN, Role.COORDINATOR)
def revoke(publication_id: int) -> Any:
    publication = org_owned(ToolkitPublication, publication_id)
    service.revoke(g.actor, publication)
    flash(gettext("The public link no longer works."), "success")
    return redirect(url_for("toolkits.index"))


@bp.route("/languages")
def languages() -> Any:
    return render_template(
        "toolkits/languages.html",
        rows=[(code, language_name(code, str(get_locale())), completeness(code)) for code in LOCALES],
    )


# Published toolkits: no login (listed in access.PUBLIC_ENDPOINTS); the random slug is the key.
public = Blueprint("public_toolkits", __name__, url_prefix="/p")


@public.route("/<slug>")
def public_page(slug: str) -> Any:
    _, toolkit = service.published_toolkit_or_404(slug)
    return render_template("toolkits/public.html", tk=toolkit, slug=slug, downloads=DOWNLOADS,
                           language=language_name(toolkit.locale, str(get_locale())))


@public.route("/<slug>/download/<fmt>")
def public_download(slug: str, fmt: str) -> Any:
    publication, toolkit = service.published_toolkit_or_404(slug)
    return _send(toolkit, fmt, request.args.get("paper", ""), publication.organisation_id, public=True)


# The helpline checks page: routes of this section, in a module of their own (imported last: it uses the above).
from . import toolkit_helplines  # noqa: E402, F401
