"""Administration: the audit log and the organisation's accounts."""

from __future__ import annotations

import math
from typing import Any

from flask import g, render_template, request
from sqlalchemy import func, select

from ..access import Section
from ..bounded_ints import int_arg
from ..extensions import db
from ..models import AuditEntry, Role, User

bp = Section("admin", __name__, url_prefix="/admin", roles={Role.ADMIN})

PAGE_SIZE = 50


@bp.route("/audit")
def audit_log() -> Any:
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).where(AuditEntry.organisation_id == g.user.organisation_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(int_arg(request.args, "page", 1), max(1, math.ceil(total / PAGE_SIZE)))
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.organisation_id == g.user.organisation_id)
        .distinct().order_by(AuditEntry.action)
    ).all()
    return render_template(
        "admin/audit.html", entries=entries, page=page, total=total, page_size=PAGE_SIZE,
        action=action, actions=actions,
    )


@bp.route("/users")
def users() -> Any:
    members = db.session.scalars(
        select(User).where(User.organisation_id == g.user.organisation_id).order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", members=members)
