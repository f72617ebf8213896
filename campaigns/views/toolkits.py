"""Toolkits: red-flag materials trainers download (filled in by the toolkit issue)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..access import Section
from ..models import Role

bp = Section("toolkits", __name__, url_prefix="/toolkits", roles={Role.ADMIN, Role.COORDINATOR, Role.TRAINER})


@bp.route("/")
def index() -> Any:
    return render_template("pages/toolkits.html")
