"""The JSON API under /api/v1, for scripts and other systems. Bearer tokens only
(`flask --app wsgi tokens create EMAIL`); every incident count passes the suppression rule.
Campaigns and their reach are in `api_campaigns` and `api_reach`, on this blueprint."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
from flask import g, jsonify
from sqlalchemy import func, select

from .. import queries
from ..access import ALL_ROLES, Section, roles
from ..extensions import db
from ..models import (
    Area,
    BoundarySet,
    Role,
)
from .api_schema import OPENAPI

bp = Section("api", __name__, roles=ALL_ROLES)

PLANNERS: Final = (Role.ADMIN, Role.COORDINATOR)


class Refusal(Exception):
    """An API answer other than success: the status, the sentence for the client, a stable
    `code` for scripts, and any further members of the error object (problems, total)."""

    def __init__(self, status: int, message: str, code: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


@bp.errorhandler(Refusal)
def refused(exc: Refusal) -> Any:
    """The error shape every API error has (`access._api_error`), with a code and, for rows,
    the problems; the request's transaction is rolled back (status >= 400), so nothing is stored."""
    response = jsonify(error={"status": exc.status, "message": exc.message, "code": exc.code, **exc.extra})
    response.status_code = exc.status
    return response


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


# --- campaigns --------------------------------------------------------------------------------


# The campaign endpoints are routes of this blueprint, in modules of their own (imported last).
from . import api_campaigns  # noqa: E402, F401
