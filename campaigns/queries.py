"""Read-side queries shared by pages, downloads and the API, always scoped to the signed-in
user's organisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from flask import abort, g
from sqlalchemy import func, select

from .extensions import db
from .models import Area, BoundarySet, IncidentRecord, IncidentSet


def org_boundary_set(set_id: int) -> BoundarySet:
    """Scoped to the signed-in user's organisation: another organisation's id answers 404."""
    found = db.session.scalar(
        select(BoundarySet).where(BoundarySet.id == set_id, BoundarySet.organisation_id == g.user.organisation_id)
    )
    if found is None:
        abort(404)
    return found


def incident_count_table(bset: BoundarySet) -> tuple[list[Area], list[int], np.ndarray, bool]:
    """Areas x periods incident counts for the boundary set (all its incident sets together)."""
    areas = db.session.scalars(select(Area).where(Area.boundary_set_id == bset.id).order_by(Area.name)).all()
    rows = db.session.execute(
        select(IncidentRecord.area_id, IncidentRecord.period, func.count())
        .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id)
        .where(IncidentSet.boundary_set_id == bset.id)
        .group_by(IncidentRecord.area_id, IncidentRecord.period)
    ).all()
    synthetic = bool(db.session.scalar(
        select(func.count()).select_from(IncidentSet).where(
            IncidentSet.boundary_set_id == bset.id, IncidentSet.synthetic.is_(True)
        )
    ))
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    periods_arr = np.unique(arr[:, 1])
    table = np.zeros((len(areas), periods_arr.size), dtype=np.int64)
    area_pos = pd.Index([a.id for a in areas]).get_indexer(arr[:, 0])
    table[area_pos, np.searchsorted(periods_arr, arr[:, 1])] = arr[:, 2]
    periods = [int(p) for p in periods_arr]
    return list(areas), periods, table, synthetic
