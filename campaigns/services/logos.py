"""Partner logos of a campaign: add (after `content.logos.check_logo`), remove, and hand them to
`content` for the toolkits.

Logos are rows of their own, not a column of the campaign, so adding one leaves the campaign's
version alone: an upload never makes a colleague's open edit form stale. Every change is
audited in the caller's transaction; a refusal raises before anything is added."""

from __future__ import annotations

import hashlib
from typing import Any, Final

from sqlalchemy import select

import content

from ..extensions import db
from ..models import Campaign, CampaignLogo, CampaignStatus
from . import audit

MAX_LOGOS: Final = 6  # more would not fit the card and poster's strip at a readable size
MAX_NAME: Final = 200


class LogoRefused(ValueError):
    """A change the rules refuse: `code` is phrased by the page (`campaign_logos.refusal_text`)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def logos_of(campaign_id: int) -> list[CampaignLogo]:
    return list(db.session.scalars(
        select(CampaignLogo).where(CampaignLogo.campaign_id == campaign_id)
        .order_by(CampaignLogo.position, CampaignLogo.id)
    ))  # fmt: skip


def logo_of(campaign: Campaign, logo_id: int) -> CampaignLogo | None:
    """One of this campaign's logos; another campaign's logo is None, as a missing one is."""
    return db.session.scalar(
        select(CampaignLogo).where(CampaignLogo.id == logo_id, CampaignLogo.campaign_id == campaign.id)
    )


def content_logos(campaign_id: int | None) -> tuple[content.Logo, ...]:
    """The campaign's logos as the toolkits print them, in the order they were added."""
    if campaign_id is None:
        return ()
    return tuple(content.Logo(name=row.name, media_type=row.media_type, data=row.data) for row in logos_of(campaign_id))


def add(actor: audit.Actor, campaign: Campaign, logo: content.Logo, *, filename: str) -> CampaignLogo:
    """Store a checked logo under the partner's name (`logo.name`); refused on an evaluated
    campaign, past `MAX_LOGOS`, without a name, or when the same file is already there."""
    _check_editable(campaign)
    name = logo.name.strip()
    if not name:
        raise LogoRefused("name_missing")
    if len(name) > MAX_NAME:
        raise LogoRefused("name_too_long", limit=MAX_NAME)
    # Lock the campaign's row (PostgreSQL; SQLite's writer already holds the database) so two
    # uploads at once cannot both see five logos and make eight.
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    rows = logos_of(campaign.id)
    if len(rows) >= MAX_LOGOS:
        raise LogoRefused("too_many", file=filename, limit=MAX_LOGOS)
    sha256 = hashlib.sha256(logo.data).hexdigest()
    same = next((row for row in rows if row.sha256 == sha256), None)
    if same is not None:
        raise LogoRefused("duplicate", file=filename, name=same.name)
    position = max((r.position for r in rows), default=0) + 1
    row = CampaignLogo(
        campaign_id=campaign.id, position=position, name=name, media_type=logo.media_type, data=logo.data,
        sha256=sha256, created_by_id=actor.user.id if actor.user else None,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor, "campaign.logo_add", "campaign", campaign.id, organisation_id=campaign.organisation_id, logo=row.id,
        partner=name, media_type=logo.media_type, size=len(logo.data), sha256=sha256,
    )  # fmt: skip
    return row


def remove(actor: audit.Actor, campaign: Campaign, logo_id: int) -> CampaignLogo:
    """Delete one of the campaign's logos; a logo of another campaign is 'not found'."""
    _check_editable(campaign)
    row = logo_of(campaign, logo_id)
    if row is None:
        raise LogoRefused("not_found")
    audit.record(
        actor, "campaign.logo_remove", "campaign", campaign.id, organisation_id=campaign.organisation_id,
        logo=row.id, partner=row.name, sha256=row.sha256,
    )  # fmt: skip
    db.session.delete(row)
    db.session.flush()
    return row


def copy_logos(source: Campaign, twin: Campaign, created_by_id: int | None) -> None:
    """A campaign copied as a template keeps its partners, so it keeps their logos too."""
    for row in logos_of(source.id):
        db.session.add(CampaignLogo(
            campaign_id=twin.id, position=row.position, name=row.name, media_type=row.media_type, data=row.data,
            sha256=row.sha256, created_by_id=created_by_id,
        ))  # fmt: skip


def _check_editable(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.EVALUATED:
        raise LogoRefused("read_only")
