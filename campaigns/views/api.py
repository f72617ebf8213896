"""The JSON API under /api/v1, for scripts and other systems. Bearer tokens only
(`flask --app wsgi tokens create EMAIL`); every count passes the suppression rule."""

from __future__ import annotations

from typing import Any

import pandas as pd
from flask import g, jsonify
from sqlalchemy import func, select

from .. import queries
from ..access import ALL_ROLES, Section, roles
from ..extensions import db
from ..models import Area, BoundarySet, Role
from .api_schema import OPENAPI

bp = Section("api", __name__, roles=ALL_ROLES)


@bp.route("/openapi.json")
def openapi() -> Any:
    return jsonify(OPENAPI)


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
    return jsonify(
        boundary_sets=[
            {"id": b.id, "name": b.name, "source": b.source, "areas": n, "population_year": b.population_year}
            for b, n in rows
        ]
    )


@bp.route("/boundary-sets/<int:set_id>/incident-counts")
@roles(Role.ADMIN, Role.COORDINATOR)
def incident_counts(set_id: int) -> Any:
    bset = queries.org_boundary_set(set_id)
    counts = queries.incident_counts(bset)
    by_area: list[dict[str, int | None]] = [{} for _ in counts.areas]
    if counts.shown is not None:
        cells = pd.DataFrame(counts.shown, columns=[str(p) for p in counts.periods]).astype("Int64")
        by_area = cells.astype(object).where(cells.notna(), None).to_dict(orient="records")
    rows = [
        {"code": area.code, "name": area.name, "population": area.population, "counts": area_counts}
        for area, area_counts in zip(counts.areas, by_area, strict=True)
    ]
    return jsonify(
        boundary_set=bset.id,
        synthetic=counts.synthetic,
        suppression_k=counts.k,
        note=f"null means hidden: a count from 1 to {counts.k - 1}; totals are ranges when they include one",
        period_totals={str(p): {"low": low, "high": high}
                       for p, (low, high) in zip(counts.periods, counts.period_totals, strict=True)},
        areas=rows,
    )
