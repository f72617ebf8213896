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

from targeting.privacy import suppress_table

from .extensions import db
from .models import Area, BoundarySet, CampaignDraft, IncidentRecord, IncidentSet, RankingRun, ToolkitPublication

Owned = TypeVar("Owned", BoundarySet, RankingRun, CampaignDraft, ToolkitPublication)


def org_owned(model: type[Owned], row_id: int) -> Owned:
    """A row of `model` owned by the signed-in user's organisation; any other id answers 404."""
    found = db.session.scalar(
        select(model).where(model.id == row_id, model.organisation_id == g.user.organisation_id)
    )
    if found is None:
        abort(404)
    return found


def org_boundary_set(set_id: int) -> BoundarySet:
    return org_owned(BoundarySet, set_id)


@dataclass(frozen=True)
class IncidentCounts:
    """Incidents by area and period, as they may leave the database: already suppressed.

    `shown` is (areas + 1) x (periods + 1): the counts, a column of area totals and a row of
    period totals with the grand total in the corner; NaN where hidden. None without incidents."""

    areas: list[Area]
    periods: list[int]
    shown: npt.NDArray[np.float64] | None
    synthetic: bool
    k: int


def incident_counts(bset: BoundarySet) -> IncidentCounts:
    """Every page, download and API answer that shows these counts gets them from here, so the
    suppression rule is applied in one place and cannot be forgotten by a new caller."""
    areas = db.session.scalars(select(Area).where(Area.boundary_set_id == bset.id).order_by(Area.name)).all()
    rows = db.session.execute(
        select(IncidentRecord.area_id, IncidentRecord.period, func.sum(IncidentRecord.count))
        .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id)
        .where(IncidentSet.boundary_set_id == bset.id)
        .group_by(IncidentRecord.area_id, IncidentRecord.period)
    ).all()
    synthetic = bool(db.session.scalar(
        select(func.count()).select_from(IncidentSet).where(
            IncidentSet.boundary_set_id == bset.id, IncidentSet.synthetic.is_(True)
        )
    ))
    k = current_app.config["SETTINGS"].suppression_k
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    periods_arr = np.unique(arr[:, 1])
    shown = None
    if periods_arr.size:
        table = np.zeros((len(areas), periods_arr.size), dtype=np.int64)
        area_pos = pd.Index([a.id for a in areas]).get_indexer(arr[:, 0])
        table[area_pos, np.searchsorted(periods_arr, arr[:, 1])] = arr[:, 2]
        shown = suppress_table(table, k).shown()
    return IncidentCounts(list(areas), [int(p) for p in periods_arr], shown, synthetic, k)
