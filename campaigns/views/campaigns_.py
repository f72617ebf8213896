"""Campaigns: planning outreach from ranked areas and segments (filled in by the campaigns issue)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..access import Section
from ..models import Role

bp = Section("campaigns", __name__, url_prefix="/campaigns", roles={Role.ADMIN, Role.COORDINATOR})


@bp.route("/")
def index() -> Any:
    return render_template("pages/campaigns.html")
