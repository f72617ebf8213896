"""Targeting: the boundary sets and incident data a coordinator ranks areas from."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from flask import Response, g, render_template
from flask_babel import format_decimal, gettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from targeting.csv_cells import csv_bytes, csv_text
from targeting.inputs import LAYOUTS, SUPPRESSED_CELL

from ..access import Section
from ..downloads import attachment
from ..extensions import db
from ..models import Area, BoundarySet, IncidentSet, Role
from ..queries import incident_counts, org_boundary_set
from ..services.ranking import load_shapes
from .rankings import recent_rankings

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
    summaries = _summaries()
    for summary in summaries:
        summary["rankings"] = recent_rankings(summary["set"].id, limit=3)
    return render_template("pages/targeting.html", summaries=summaries)


@bp.route("/sets/<int:set_id>")
def boundary_set(set_id: int) -> Any:
    bset = org_boundary_set(set_id)
    counts = incident_counts(bset)
    population = np.array([a.population if a.population is not None else np.nan for a in counts.areas], dtype=float)
    _keys, classes = _population_classes(population)
    return render_template(
        "pages/boundary_set.html",
        bset=bset,
        counts=counts,
        rankings=recent_rankings(bset.id),
        map_labels={"legend_title": gettext("Residents"), "classes": classes,
                    "legend_toggle": gettext("Legend"), "error": gettext("The map could not be loaded.")},
    )  # fmt: skip


def _population_classes(population: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.object_], list[list[str]]]:
    """Five population classes at rounded quintile breaks, for the set's overview map.

    Population, not incidents, colours this map: it is what every later step divides by, and a
    rate drawn from hidden counts would have to be protected like a count."""
    known = population[np.isfinite(population)]
    palette = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
    if known.size == 0:
        return np.full(population.shape, "none", dtype=object), [["none", "#dddddd", gettext("No population figure")]]
    raw = np.quantile(known, [0.2, 0.4, 0.6, 0.8])
    breaks = np.unique([float(f"{b:.2g}") for b in raw])
    index = np.searchsorted(breaks, population, side="right")
    keys = np.where(np.isfinite(population), np.char.add("p", index.astype(str)), "none").astype(object)
    edges = [0.0, *breaks.tolist()]
    classes = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = (gettext("%(low)s to %(high)s", low=format_decimal(low), high=format_decimal(high))
                 if high is not None else gettext("%(low)s and more", low=format_decimal(low)))  # fmt: skip
        classes.append([f"p{i}", palette[min(i, len(palette) - 1)], label])
    if not np.isfinite(population).all():
        classes.append(["none", "#dddddd", gettext("No population figure")])
    return keys, classes


@bp.route("/sets/<int:set_id>/map.geojson")
def boundary_set_geojson(set_id: int) -> Response:
    """The set's areas for its overview map: name, population and the latest year's shown count."""
    bset = org_boundary_set(set_id)
    shapes = load_shapes(bset)
    areas = db.session.execute(
        select(Area.code, Area.name, Area.population).where(Area.boundary_set_id == bset.id)
    ).all()
    info = pd.DataFrame(areas, columns=["area_id", "name", "population"])
    frame = shapes.merge(info, on="area_id", how="left")
    population = pd.to_numeric(frame["population"], errors="coerce").to_numpy(dtype=float)
    keys, _classes = _population_classes(population)
    counts = incident_counts(bset)
    latest: dict[str, str] = {}
    if counts.shown is not None and counts.periods:
        last = counts.shown[:, -1]
        year = counts.periods[-1]
        for area, value in zip(counts.areas, last, strict=True):
            shown = gettext("hidden (fewer than %(k)s)", k=counts.k) if np.isnan(value) else format_decimal(int(value))
            latest[area.code] = gettext("Incidents in %(year)s: %(n)s", year=year, n=shown)
    population_text = [
        gettext("Residents: %(n)s", n=format_decimal(int(p))) if np.isfinite(p) else gettext("No population figure")
        for p in population
    ]
    frame["map_class"] = keys
    frame["lines"] = [
        [text, latest[code]] if code in latest else [text]
        for text, code in zip(population_text, frame["area_id"], strict=True)
    ]
    frame = frame.drop(columns=["population"])
    return Response(frame.to_json(drop_id=True, na="null"), mimetype="application/geo+json")


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


@bp.route("/sets/<int:set_id>/counts-for-upload.csv")
def boundary_set_counts_upload_csv(set_id: int) -> Response:
    """The counts of `counts.csv` in the layout the counts upload reads (area_id, area_name,
    period, count; one row per area and year, 0 included), so that it can be edited and uploaded
    again as it is. The same disclosure rule: a hidden count is written "suppressed", which the
    upload refuses with an explanation (the true number is not in the file), and no totals."""
    bset = org_boundary_set(set_id)
    counts = incident_counts(bset)
    table = pd.DataFrame({column: pd.Series([], dtype=object) for column in LAYOUTS["counts"].header})
    if counts.shown is not None and counts.areas and counts.periods:
        n_areas, n_periods = len(counts.areas), len(counts.periods)
        shown = np.asarray(counts.shown, dtype=float)[:n_areas, :n_periods].ravel()
        table = pd.DataFrame({
            "area_id": np.repeat(np.asarray([a.code for a in counts.areas], dtype=object), n_periods),
            "area_name": np.repeat(np.asarray([a.name for a in counts.areas], dtype=object), n_periods),
            "period": np.tile(np.asarray([str(p) for p in counts.periods], dtype=object), n_areas),
            "count": np.where(np.isnan(shown), SUPPRESSED_CELL, np.nan_to_num(shown).astype(np.int64).astype(str)),
        })[LAYOUTS["counts"].header]  # fmt: skip
    suffix = "-synthetic" if counts.synthetic else ""
    return Response(
        csv_bytes(table),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"incident-counts-{bset.id}{suffix}-for-upload.csv")},
    )


@bp.route("/sets/<int:set_id>/indicators.csv")
def boundary_set_indicators_csv(set_id: int) -> Response:
    """Every area's indicators in the layout the indicators upload reads (area_id, area_name, one
    column per indicator), so that it can be edited and uploaded again as it is. Indicators are
    figures about areas (shares, populations by group) that the organisation uploaded, not
    incident counts, so nothing is hidden; an area without a value has an empty cell. Numbers are
    written as pandas writes floats (the shortest text that reads back as the same number)."""
    bset = org_boundary_set(set_id)
    areas = db.session.execute(
        select(Area.code, Area.name, Area.indicators).where(Area.boundary_set_id == bset.id).order_by(Area.code)
    ).all()
    values = pd.DataFrame.from_records([indicators or {} for _code, _name, indicators in areas])
    values = values.reindex(columns=sorted(str(c) for c in values.columns)).apply(pd.to_numeric, errors="coerce")
    labels = pd.DataFrame(
        {"area_id": [str(code) for code, _n, _i in areas], "area_name": [str(name) for _c, name, _i in areas]},
        dtype=object,
    )[LAYOUTS["indicators"].header]
    table = pd.concat([labels, values.astype(float)], axis=1)
    return Response(
        csv_bytes(table),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"indicators-{bset.id}.csv")},
    )
