"""Targeting: the boundary sets and incident data a coordinator ranks areas from."""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Response, g, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from targeting.csv_cells import csv_text

from ..access import Section
from ..downloads import attachment
from ..extensions import db
from ..models import Area, BoundarySet, IncidentSet, Role
from ..queries import incident_counts, org_boundary_set

bp = Section("targeting", __name__, url_prefix="/targeting", roles={Role.ADMIN, Role.COORDINATOR})


def _summaries() -> list[dict[str, Any]]:
    org_id = g.user.organisation_id
    rows = db.session.execute(
        select(BoundarySet, func.count(Area.id), func.sum(Area.population))
        .join(Area, Area.boundary_set_id == BoundarySet.id, isouter=True)
        .where(BoundarySet.organisation_id == org_id)
        .group_by(BoundarySet.id)
        .order_by(BoundarySet.name)
    ).all()
    incident_sets = db.session.scalars(
        select(IncidentSet).where(IncidentSet.organisation_id == org_id).order_by(IncidentSet.name)
    ).all()
    by_set: dict[int, list[IncidentSet]] = {}
    for inc in incident_sets:
        by_set.setdefault(inc.boundary_set_id, []).append(inc)
    return [
        {"set": bset, "areas": n_areas, "population": pop, "incident_sets": by_set.get(bset.id, [])}
        for bset, n_areas, pop in rows
    ]


def _range_text(bounds: tuple[int, int] | None) -> str:
    """A total as CSV text: the number, or 'low-high' when hidden counts are in it."""
    if bounds is None:
        return ""
    low, high = bounds
    return str(low) if low == high else f"{low}-{high}"


@bp.route("/")
def index() -> Any:
    return render_template("pages/targeting.html", summaries=_summaries())


@bp.route("/sets/<int:set_id>")
def boundary_set(set_id: int) -> Any:
    bset = org_boundary_set(set_id)
    return render_template("pages/boundary_set.html", bset=bset, counts=incident_counts(bset))


@bp.route("/sets/<int:set_id>/counts.csv")
def boundary_set_csv(set_id: int) -> Response:
    bset = org_boundary_set(set_id)
    counts = incident_counts(bset)
    rows: list[list[object]] = []
    if counts.synthetic:
        warning = _("SYNTHETIC demo incidents: not real cases.")
        rows.append([f"# {warning}"])
    note = _(
        "Counts from 1 to %(k)s are hidden; a total that includes hidden counts is given as a range.", k=counts.k - 1
    )
    rows.append([f"# {note}"])
    rows.append(["area_code", "area_name", "population", *[str(p) for p in counts.periods], "total"])
    if counts.shown is not None:
        cells = np.where(np.isnan(counts.shown), "suppressed", np.nan_to_num(counts.shown).astype(np.int64).astype(str))
        for area, row, total in zip(counts.areas, cells, counts.area_totals, strict=True):
            rows.append([area.code, area.name, area.population or "", *row, _range_text(total)])
        rows.append(["", "total", "", *(_range_text(t) for t in counts.period_totals), _range_text(counts.grand_total)])
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"incident-counts-{bset.id}.csv")},
    )
