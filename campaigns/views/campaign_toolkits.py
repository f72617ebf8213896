"""Toolkits published from a campaign: the campaign's name, helpline, partners, area names and
dates go onto the materials, so a coordinator types them once (on the campaign) and every
toolkit of every language says the same."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import select

import content

from ..extensions import db
from ..models import Campaign, SurveyWave, ToolkitPublication
from ..queries import org_owned
from ..services import logos as logo_service
from ..services import toolkits as toolkit_service
from ..surveys.models import WaveStatus
from .campaigns_ import bp


def survey_url(campaign: Campaign, locale: str) -> str:
    """The public form of the campaign's open wave in `locale`, else of its next planned one: what
    a printed toolkit's QR code leads to ("" when no wave asks in that language)."""
    waves = db.session.scalars(
        select(SurveyWave).where(SurveyWave.campaign_id == campaign.id,
                                 SurveyWave.status.in_([WaveStatus.OPEN, WaveStatus.PLANNED]))
        .order_by(SurveyWave.status != WaveStatus.OPEN, SurveyWave.opens_on)
    ).all()  # fmt: skip
    wave = next((w for w in waves if locale in (w.locales or [])), None)
    return "" if wave is None else url_for("public_surveys.answer", token=wave.token, locale=locale, _external=True)


def content_campaign(campaign: Campaign, locale: str | None = None) -> content.Campaign:
    """The campaign as the content library prints it on a toolkit (with its survey's link when
    the toolkit's language is given)."""
    return content.Campaign(
        name=campaign.name,
        helpline_name=campaign.helpline_name,
        helpline_number=campaign.helpline_number,
        helpline_verified=campaign.helpline_verified,
        partners=tuple(campaign.partners or ()),
        starts=campaign.starts,
        ends=campaign.ends,
        areas=tuple(a.name for a in campaign.areas),
        survey_url=survey_url(campaign, locale) if locale else "",
        logos=logo_service.content_logos(campaign.id),
    )


def publications(campaign: Campaign) -> list[ToolkitPublication]:
    return list(db.session.scalars(
        select(ToolkitPublication).where(ToolkitPublication.campaign_id == campaign.id,
                                         ToolkitPublication.revoked_at.is_(None))
        .order_by(ToolkitPublication.id.desc())
    ))  # fmt: skip


def context(campaign: Campaign) -> dict[str, Any]:
    """The campaign page's toolkit section: what is published, and the choices for one more."""
    from content.toolkit import default_country

    locales = list(campaign.locales or ["en"])
    audiences = toolkit_service.audience_choices()
    published = publications(campaign)
    country = published[0].country if published else default_country(locales[0])
    # The helplines its toolkits print: the published ones as published, else the toolkit the
    # form below would publish first (the campaign's helpline and the default country's lines).
    planned = [] if published else [(country, content_campaign(campaign))]
    return {
        "to_verify": toolkit_service.helplines_to_verify(campaign.organisation_id, published, planned),
        "campaign_logos": logo_service.logos_of(campaign.id),
        "publications": published,
        "audiences": audiences,
        "audience_titles": {a["id"]: a["title"] for a in audiences},
        "toolkit_locales": locales,
        "countries": toolkit_service.countries(),
        # The country of the campaign's earlier toolkits: materials in several languages for one place.
        "default_country": country,
    }


@bp.route("/<int:campaign_id>/toolkits", methods=["POST"])
def publish_toolkit(campaign_id: int) -> Any:
    """Publish a toolkit for this campaign at a public link, filled in from the campaign."""
    campaign = org_owned(Campaign, campaign_id)
    audience = request.form.get("audience", "")
    locale = request.form.get("locale", "")
    country = (request.form.get("country") or "").upper()
    if locale not in (campaign.locales or ["en"]) or country not in toolkit_service.countries():
        flash(gettext("Choose one of the campaign's languages and a country for the helplines."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="toolkits")), 303
    details = content_campaign(campaign, locale)
    toolkit = toolkit_service.toolkit_or_404(audience, locale, country, details,
                                             organisation_id=campaign.organisation_id)
    publication = toolkit_service.publish(g.actor, campaign.organisation_id, toolkit, details)
    publication.campaign_id = campaign.id
    flash(gettext("Published with the campaign's helpline, partners, areas and dates. Anyone with the link can "
                  "open and download it."), "success")  # fmt: skip
    return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="toolkits"))
