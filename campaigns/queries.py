"""Read-side queries shared by pages, downloads and the API, always scoped to the signed-in
user's organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from flask import abort, current_app, g
from sqlalchemy import func, select

from targeting.privacy import protect_counts, total_range

from .extensions import db
from .models import (
    Area,
    BoundarySet,
    Campaign,
    CampaignDraft,
    IncidentRecord,
    IncidentSet,
    RankingRun,
    ToolkitPublication,
)

Owned = TypeVar("Owned", BoundarySet, RankingRun, CampaignDraft, ToolkitPublication, Campaign)


def org_owned(model: type[Owned], row_id: int) -> Owned:
    """A row of `model` owned by the signed-in user's organisation; any other id answers 404."""
    found = db.session.scalar(select(model).where(model.id == row_id, model.organisation_id == g.user.organisation_id))
    if found is None:
        abort(404)
    return found


def org_boundary_set(set_id: int) -> BoundarySet:
    return org_owned(BoundarySet, set_id)


@dataclass(frozen=True)
class IncidentCounts:
    """Incidents by area and period, as they may leave the database (targeting.privacy).

    `shown` is areas x periods, NaN where hidden (1..k-1). Totals are ranges computed from the
    shown cells, each hidden cell counted from 1 to k-1: a true total with a hidden cell in it
    would give that cell back by subtraction. None without incidents."""

    areas: list[Area]
    periods: list[int]
    shown: npt.NDArray[np.float64] | None
    area_totals: list[tuple[int, int]]
    period_totals: list[tuple[int, int]]
    grand_total: tuple[int, int] | None
    synthetic: bool
    k: int


def _ranges(low: npt.NDArray[np.int64], high: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in zip(np.ravel(low), np.ravel(high), strict=True)]


def incident_counts(bset: BoundarySet) -> IncidentCounts:
    """Every page, download and API answer that shows these counts gets them from here, so the
    disclosure rule is applied in one place and cannot be forgotten by a new caller."""
    areas = db.session.scalars(select(Area).where(Area.boundary_set_id == bset.id).order_by(Area.name)).all()
    # The newest ready set, as the ranking page defaults to: two sets of one boundary set (the
    # incidents and, say, helpline reports of later years) are different things, never added up.
    latest = db.session.scalar(
        select(IncidentSet).where(IncidentSet.boundary_set_id == bset.id, IncidentSet.status == "ready")
        .order_by(IncidentSet.id.desc()).limit(1)
    )  # fmt: skip
    rows = db.session.execute(
        select(IncidentRecord.area_id, IncidentRecord.period, func.sum(IncidentRecord.count))
        .where(IncidentRecord.incident_set_id == (latest.id if latest is not None else -1))
        .group_by(IncidentRecord.area_id, IncidentRecord.period)
    ).all()
    synthetic = bool(latest is not None and latest.synthetic)
    k = current_app.config["SETTINGS"].suppression_k
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    periods_arr = np.unique(arr[:, 1])
    if not periods_arr.size:
        return IncidentCounts(list(areas), [], None, [], [], None, synthetic, k)
    table = np.zeros((len(areas), periods_arr.size), dtype=np.int64)
    area_pos = pd.Index([a.id for a in areas]).get_indexer(arr[:, 0])
    table[area_pos, np.searchsorted(periods_arr, arr[:, 1])] = arr[:, 2]
    protected = protect_counts(table, k)
    grand_low, grand_high = total_range(protected)
    return IncidentCounts(
        list(areas),
        [int(p) for p in periods_arr],
        protected.shown(),
        _ranges(*total_range(protected, axis=1)),
        _ranges(*total_range(protected, axis=0)),
        (int(grand_low), int(grand_high)),
        synthetic,
        k,
    )
