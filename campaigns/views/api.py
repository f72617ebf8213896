"""The JSON API under /api/v1, for scripts and other systems. Bearer tokens only
(`flask --app wsgi tokens create EMAIL`); every count passes the suppression rule."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify
from sqlalchemy import func, select

from ..access import ALL_ROLES, Section, roles
from ..extensions import db
from ..models import Area, BoundarySet, Role
from ..queries import incident_count_table, org_boundary_set

bp = Section("api", __name__, roles=ALL_ROLES)


@bp.route("/me")
def me() -> Any:
    user = g.user
    return jsonify(id=user.id, role=user.role.value, organisation=user.organisation.name, locale=user.locale)


@bp.route("/boundary-sets")
@roles(Role.ADMIN, Role.COORDINATOR)
def boundary_sets() -> Any:
    rows = db.session.execute(
        select(BoundarySet, func.count(Area.id))
        .join(Area, Area.boundary_set_id == BoundarySet.id, isouter=True)
        .where(BoundarySet.organisation_id == g.user.organisation_id)
        .group_by(BoundarySet.id)
        .order_by(BoundarySet.name)
    ).all()
    return jsonify(boundary_sets=[
        {"id": b.id, "name": b.name, "source": b.source, "areas": n, "population_year": b.population_year}
        for b, n in rows
    ])


@bp.route("/boundary-sets/<int:set_id>/incident-counts")
@roles(Role.ADMIN, Role.COORDINATOR)
def incident_counts(set_id: int) -> Any:
    from targeting.privacy import suppress_table

    bset = org_boundary_set(set_id)
    areas, periods, table, synthetic = incident_count_table(bset)
    k = current_app.config["SETTINGS"].suppression_k
    shown = suppress_table(table, k).shown() if periods else None
    rows = []
    for i, area in enumerate(areas):
        counts = {} if shown is None else {
            str(p): (None if shown[i, j] != shown[i, j] else int(shown[i, j])) for j, p in enumerate(periods)
        }
        rows.append({"code": area.code, "name": area.name, "population": area.population, "counts": counts})
    return jsonify(
        boundary_set=bset.id, synthetic=synthetic, suppression_k=k,
        note=f"null means suppressed: a count from 1 to {k - 1}, or one that would reveal such a count",
        areas=rows,
    )
