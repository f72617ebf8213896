"""Reports: campaign effectiveness with sample sizes and intervals (filled in by the measuring issue)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..access import Section
from ..models import Role

bp = Section("reports", __name__, url_prefix="/reports", roles={Role.ADMIN, Role.COORDINATOR, Role.REVIEWER})


@bp.route("/")
def index() -> Any:
    return render_template("pages/reports.html")
