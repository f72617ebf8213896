"""Reading incident points: a CSV with latitude/longitude and a date, or a point map file.

One bad row in a year of records should not block a campaign, so unusable rows are left out and
counted in warnings. Only the period (never the exact date), the point and an allow-list of
attributes are kept: a precise date next to a precise point makes a record easier to link to a
person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import geopandas
import numpy as np
import pandas as pd
import shapely

from .files import TableSource, _file_name, _load_table
from .geometry import _GEOMETRY_TYPE_NAMES, WGS84, _geometry_array, _to_wgs84
from .identifiers import _identifier_issues
from .parsing import (
    _PRECISION_NAMES,
    _REQUIRED_PRECISION,
    Period,
    _as_text,
    _find_column,
    _parse_dates,
    _period_labels,
    _to_number,
)
from .report import (
    BoolArray,
    ValidationReport,
    _examples,
    _flag,
    _issue,
    _missing_column,
    _missing_columns,
    _names,
    _rows,
)

#: Incident attributes that describe a case, not a person; any other column is dropped or refused.
ALLOWED_ATTRIBUTES: Final[tuple[str, ...]] = (
    "exploitation_type",
    "recruitment",
    "age_band",
    "sex",
    "nationality",
    "language",
)

# --- incidents -------------------------------------------------------------------------------


def _empty_incidents(attributes: Sequence[str]) -> geopandas.GeoDataFrame:
    columns: dict[str, Any] = {"period": pd.Series([], dtype=str)}
    for column in attributes:
        columns[column] = pd.Series([], dtype=str)
    return geopandas.GeoDataFrame(columns, geometry=geopandas.GeoSeries([], crs=WGS84), crs=WGS84)


def read_incidents(
    source: TableSource | geopandas.GeoDataFrame,
    *,
    date_col: str = "date",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
    period: Period = "year",
    attribute_cols: Sequence[str] | None = None,
) -> tuple[geopandas.GeoDataFrame, ValidationReport]:
    """Incident points from a CSV with latitude/longitude columns or a point map file.

    Returns a GeoDataFrame in WGS 84 with ``period`` (``"2021"``, ``"2021-Q3"`` or ``"2021-07"``),
    the allowed attributes (all of :data:`ALLOWED_ATTRIBUTES` present in the file, or just
    ``attribute_cols``) and point ``geometry``. Rows that cannot be used (no date, no or
    impossible coordinates, a date in the future) are left out and counted in warnings, because
    one bad row in a year of records should not block a campaign; an error means the whole file
    cannot be used (a missing column, nothing usable, personal identifiers). Any other column is
    dropped with a warning, or refuses the file when it looks like a personal identifier."""
    if period not in _REQUIRED_PRECISION:
        raise ValueError(f"period must be 'year', 'quarter' or 'month', not {period!r}")
    if attribute_cols is not None:
        unknown = [c for c in attribute_cols if c not in ALLOWED_ATTRIBUTES]
        if unknown:
            raise ValueError(f"attribute_cols {unknown} are not allowed; choose from {list(ALLOWED_ATTRIBUTES)}")
    wanted = list(attribute_cols) if attribute_cols is not None else list(ALLOWED_ATTRIBUTES)
    report = ValidationReport()
    loaded = _load_table(source, report, allow_geo=True)
    if isinstance(loaded, geopandas.GeoDataFrame):
        frame: pd.DataFrame = pd.DataFrame(loaded.drop(columns=loaded.geometry.name))
        frame.columns = [str(c) for c in frame.columns]
        geo: geopandas.GeoSeries | None = loaded.geometry
        delimiter = ","
        if len(loaded) == 0:
            report.add(_issue("error", "empty_file", file=_file_name(source)))
            return _empty_incidents([]), report
    elif loaded.frame is None:
        return _empty_incidents([]), report
    else:
        frame, geo, delimiter = loaded.frame, None, loaded.delimiter
    columns = list(frame.columns)
    index = frame.index
    date_c = _find_column(columns, date_col)
    lat_c = _find_column(columns, lat_col) if geo is None else None
    lon_c = _find_column(columns, lon_col) if geo is None else None
    identifiers = _identifier_issues(frame, name_only=[c for c in (date_c, lat_c, lon_c) if c])
    if identifiers:
        report.extend(identifiers)
        return _empty_incidents([]), report

    attrs = {c: _find_column(columns, c) for c in wanted}
    missing = [(date_col, "incident date")] if date_c is None else []
    if geo is None:
        missing += [(wanted, purpose) for wanted, found, purpose in (
            (lat_col, lat_c, "latitude"), (lon_col, lon_c, "longitude")) if found is None]  # fmt: skip
    missing_issue = _missing_columns(missing, columns)
    if missing_issue is not None:
        report.add(missing_issue)
    if attribute_cols is not None:
        for column in attribute_cols:
            if attrs[column] is None:
                report.add(_missing_column(column, "incident attribute", columns))
    kept_attrs = {c: f for c, f in attrs.items() if f is not None}
    if not report.ok:
        return _empty_incidents(list(kept_attrs)), report

    known = {date_c, lat_c, lon_c, *kept_attrs.values()}
    if geo is not None:  # coordinates come from the shapes; columns repeating them are not news
        known |= {_find_column(columns, lat_col), _find_column(columns, lon_col)}
    dropped = [c for c in columns if c not in known]
    if dropped:
        reads = [date_col] + ([lat_col, lon_col] if geo is None else ["the point shapes"]) + list(kept_attrs)
        report.add(_issue("warning", "columns_dropped", columns=_names(dropped), kept=", ".join(reads)))

    total = len(frame)
    drop = np.zeros(total, dtype=bool)

    if date_c is None:  # reported above; this tells the type checker
        return _empty_incidents(list(kept_attrs)), report
    dates = _parse_dates(frame[date_c])
    no_date = dates.values.isna().to_numpy()
    blank_date = dates.blank

    def date_examples(mask: BoolArray) -> str:
        return _examples(_as_text(frame[date_c][mask]))

    _flag(report, blank_date, "warning", "date_missing", index, column=date_c)
    bad_date = no_date & ~blank_date
    if bad_date.any():
        report.add(
            _issue(
                "warning",
                "date_unparseable",
                column=date_c,
                rows=_rows(bad_date, index),
                examples=date_examples(bad_date),
            )
        )
    if dates.order is not None:
        report.add(
            _issue("warning", "date_order_assumed", column=date_c, example=dates.order_example, order=dates.order)
        )
    today = pd.Timestamp.now().normalize()
    future = ~no_date & (dates.values.dt.normalize() > today).to_numpy()
    if future.any():
        report.add(
            _issue(
                "warning", "date_in_future", column=date_c, rows=_rows(future, index), examples=date_examples(future)
            )
        )
    coarse = ~no_date & ~future & (dates.precision < _REQUIRED_PRECISION[period])
    if coarse.any():
        report.add(
            _issue(
                "warning",
                "date_too_coarse",
                column=date_c,
                rows=_rows(coarse, index),
                precision=_PRECISION_NAMES[int(dates.precision[coarse].min())],
                examples=date_examples(coarse),
                period={"year": "yearly", "quarter": "quarterly", "month": "monthly"}[period],
            )
        )
    drop |= no_date | future | coarse

    if geo is None:
        if lat_c is None or lon_c is None:  # reported above
            return _empty_incidents(list(kept_attrs)), report
        lat, lat_blank, lat_bad = _to_number(frame[lat_c], delimiter)
        lon, lon_blank, lon_bad = _to_number(frame[lon_c], delimiter)
        missing = (lat_blank | lon_blank).to_numpy()
        _flag(report, missing, "warning", "coordinates_missing", index, what=f"column '{lat_c}' or '{lon_c}' is")
        for column, bad, raw in ((lat_c, lat_bad, frame[lat_c]), (lon_c, lon_bad, frame[lon_c])):
            bad = bad.to_numpy() & ~missing
            if bad.any():
                report.add(
                    _issue(
                        "warning",
                        "coordinates_not_numeric",
                        column=column,
                        rows=_rows(bad, index),
                        examples=_examples(_as_text(raw)[bad]),
                    )
                )
        lat_values, lon_values = lat.to_numpy(), lon.to_numpy()
    else:
        lat_c, lon_c = lat_col, lon_col
        located = _to_wgs84(geo, report, check_range=False)
        if located is None:
            return _empty_incidents(list(kept_attrs)), report
        arr = _geometry_array(located)
        type_id = shapely.get_type_id(arr)
        absent = shapely.is_missing(arr) | shapely.is_empty(arr)
        _flag(report, absent, "warning", "coordinates_missing", index, what="the point is")
        not_point = ~absent & (type_id != 0)
        if not_point.any():
            kinds = pd.Series(type_id[not_point]).map(_GEOMETRY_TYPE_NAMES).fillna("not a point")
            report.add(
                _issue(
                    "warning",
                    "geometry_not_point",
                    rows=_rows(not_point, index),
                    found=" / ".join(kinds.drop_duplicates().head(3)),
                )
            )
        point = ~absent & ~not_point
        lat_values = np.where(point, shapely.get_y(arr), np.nan)
        lon_values = np.where(point, shapely.get_x(arr), np.nan)

    usable = np.isfinite(lat_values) & np.isfinite(lon_values)
    lat_out = usable & ~((lat_values >= -90.0) & (lat_values <= 90.0))
    lon_out = usable & ~((lon_values >= -180.0) & (lon_values <= 180.0))
    if usable.any() and lat_out[usable].all() and bool(np.all(np.abs(lon_values[usable]) <= 90.0)):
        report.add(_issue("error", "coordinates_swapped", lat=lat_c, lon=lon_c))
    else:
        for code, column, out_mask, values in (
            ("latitude_out_of_range", lat_c, lat_out, lat_values),
            ("longitude_out_of_range", lon_c, lon_out, lon_values),
        ):
            if out_mask.any():
                report.add(
                    _issue(
                        "warning",
                        code,
                        column=column,
                        rows=_rows(out_mask, index),
                        examples=_examples(pd.Series(values[out_mask]).map("{:g}".format)),
                    )
                )
    zero = usable & (lat_values == 0.0) & (lon_values == 0.0)
    _flag(report, zero, "warning", "coordinates_zero", index)
    drop |= ~usable | lat_out | lon_out | zero

    keep = ~drop
    if drop.any():
        report.add(_issue("warning", "rows_dropped", rows=_rows(drop, index), total=total, kept=int(keep.sum())))
    if not keep.any():
        report.add(_issue("error", "no_usable_rows", total=total))
        return _empty_incidents(list(kept_attrs)), report

    kept_index = index[keep]
    out = pd.DataFrame({"period": pd.Series(_period_labels(dates.values[keep], period), index=kept_index, dtype=str)})
    for column, found in kept_attrs.items():
        text = _as_text(frame[found][keep])
        out[column] = text.where(text != "")
    points = geopandas.points_from_xy(lon_values[keep], lat_values[keep], crs=WGS84)
    incidents = geopandas.GeoDataFrame(out, geometry=geopandas.GeoSeries(points, index=kept_index), crs=WGS84)
    return incidents, report
