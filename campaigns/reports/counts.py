"""Survey answers aggregated in SQL: one GROUP BY over the answers table, so a report over a
million answers reads a few thousand rows (`bench/surveys.py` measures it)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select

from ..extensions import db
from ..surveys.models import SurveyAnswer

COLUMNS = ["wave_id", "question", "value", "area_code", "comparison", "locale", "segment", "count"]


def answer_counts(wave_ids: Sequence[int]) -> pd.DataFrame:
    """Per wave x question x value x area x group x language x segment: how many answers. A
    number question's values are grouped too (whole numbers up to 10,000), so its mean and spread
    come from the same rows."""
    if not wave_ids:
        return pd.DataFrame(columns=COLUMNS)
    a = SurveyAnswer
    keys = (a.wave_id, a.question, a.value, a.area_code, a.comparison, a.locale, a.segment)
    rows = db.session.execute(
        select(*keys, func.count()).where(a.wave_id.in_(list(wave_ids))).group_by(*keys)
    ).all()
    # Column by column: pandas builds a frame from row tuples ten times slower (measured, 20,000 rows).
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    frame = pd.DataFrame(dict(zip(COLUMNS, columns, strict=True)))
    frame["comparison"] = frame["comparison"].astype(bool)
    frame["count"] = frame["count"].astype("int64")
    return frame
