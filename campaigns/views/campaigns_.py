"""Campaigns: planning outreach from ranked areas and segments (filled in by the campaigns issue).

For now the page lists the drafts a coordinator saved from a ranking: the hand-over point between
targeting and campaign planning."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from sqlalchemy import select

from ..access import Section
from ..extensions import db
from ..models import CampaignDraft, Role

bp = Section("campaigns", __name__, url_prefix="/campaigns", roles={Role.ADMIN, Role.COORDINATOR})


@bp.route("/")
def index() -> Any:
    drafts = db.session.scalars(
        select(CampaignDraft).where(CampaignDraft.organisation_id == g.user.organisation_id)
        .order_by(CampaignDraft.id.desc())
    ).all()
    return render_template("pages/campaigns.html", drafts=drafts)
