"""Reading area boundaries, and checking other files' area ids against them.

Areas are the denominators of every rate and the units a campaign covers, so nothing is dropped
here: an area without a shape or a population stays on the map and is flagged, invalid shapes are
repaired, and :func:`check_area_ids` tells a coordinator which rows of another file name an area
that is not there (with their row numbers), instead of how many fell away."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from .files import GeoSource, _file_name, _load_geo
from .geometry import _GEOMETRY_TYPE_NAMES, WGS84, _geometry_array, _polygonal_parts, _to_wgs84
from .identifiers import _identifier_issues
from .parsing import PeriodError, _as_text, _find_column, _to_number, parse_periods, sort_periods
from .report import (
    MAX_ROWS_LISTED,
    ValidationReport,
    _examples,
    _flag,
    _issue,
    _labels,
    _missing_column,
    _names,
    _rows,
)

# --- areas -----------------------------------------------------------------------------------

# More people than any one area holds (the largest countries have about 1.4 billion): a larger
# figure is a wrong column or unit, or a number such as 1e308 that no INTEGER column can store.
MAX_POPULATION: Final = 2_000_000_000


def _empty_areas(periods: Sequence[str] = ()) -> geopandas.GeoDataFrame:
    columns: dict[str, Any] = {
        "area_id": pd.Series([], dtype=str),
        "name": pd.Series([], dtype=str),
        "population": pd.Series([], dtype=float),
    }
    for period in periods:
        columns[f"population_{period}"] = pd.Series([], dtype=float)
    return geopandas.GeoDataFrame(columns, geometry=geopandas.GeoSeries([], crs=WGS84), crs=WGS84)


def _population(raw: pd.Series, column: str, index: pd.Index, labels: pd.Series, report: ValidationReport) -> pd.Series:
    """Population as float, NaN where it cannot serve as a denominator (missing, zero, invalid).

    Such areas stay on the map; dividing by zero or by a guess would put them at the top or the
    bottom of every ranking for no real reason."""
    values, blank, bad = _to_number(raw)
    text = _as_text(raw) if bad.any() else None
    if text is not None:
        _flag(report, bad, "error", "population_not_numeric", index, labels, column=column,
              examples=_examples(text[bad]))
    negative = values < 0
    _flag(report, negative, "error", "population_negative", index, labels, column=column,
          examples=_examples(values[negative].map("{:g}".format)))
    too_large = values > MAX_POPULATION  # infinity too ("1e400")
    _flag(report, too_large, "error", "population_too_large", index, labels, column=column,
          examples=_examples(values[too_large].map("{:g}".format)), max=f"{MAX_POPULATION:,}")
    empty = blank | (values == 0)
    _flag(report, empty, "warning", "population_missing", index, labels, column=column)
    return values.where((values > 0) & ~too_large)


def _check_unique_ids(ids: pd.Series, column: str, index: pd.Index, report: ValidationReport) -> None:
    """Report empty and repeated area ids, one issue each naming the rows."""
    missing = ids == ""
    _flag(report, missing, "error", "missing_id", index, column=column)
    duplicated = ids.duplicated(keep=False) & ~missing
    if duplicated.any():
        report.add(
            _issue(
                "error",
                "duplicate_id",
                column=column,
                rows=_rows(duplicated, index),
                ids=_names(ids[duplicated].drop_duplicates().head(MAX_ROWS_LISTED)),
            )
        )


def read_areas(
    source: GeoSource,
    *,
    id_col: str,
    name_col: str | None = None,
    population_col: str | Mapping[str, str] | None = None,
) -> tuple[geopandas.GeoDataFrame, ValidationReport]:
    """Area boundaries (GeoPackage, GeoJSON, zipped Shapefile, upload bytes or a GeoDataFrame).

    Returns areas in WGS 84 with ``area_id`` (str), ``name`` (str, the id when missing),
    ``population`` (float, NaN where missing or zero), ``population_<period>`` for each period
    when ``population_col`` maps periods to columns (``population`` is then the latest period's,
    in time, not as text, so single-period maps still have a denominator), every other column
    of the file unchanged (indicators), and ``geometry``.

    Rows are never dropped here: an area without a shape or population is still a place a
    campaign may cover, so it is kept and flagged. Invalid shapes are repaired (``make_valid``,
    polygons kept) because boundary files from national statistics offices often have small
    self-intersections that would otherwise break area and neighbour calculations. Files with
    personal identifiers are refused and return no areas."""
    report = ValidationReport()
    periods: list[str] = []
    pop_columns: dict[str, str] = {}
    if isinstance(population_col, Mapping):
        if not population_col:
            raise ValueError("population_col mapping is empty; pass None for no population")
        keys = [str(p) for p in population_col]
        try:
            periods = sort_periods(keys)
        except PeriodError as exc:
            raise ValueError(f"population_col must map periods of one kind to columns: {exc}") from None
        by_label = dict(zip(parse_periods(keys).label, keys, strict=True))
        if len(by_label) != len(keys):
            raise ValueError(f"population_col names one period twice: {', '.join(keys)}")
        periods = [by_label[label] for label in periods]  # time order, the caller's spelling
        pop_columns = {str(p): c for p, c in population_col.items()}
    raw = _load_geo(source, report)
    if raw is None:
        return _empty_areas(periods), report
    if raw.empty:
        report.add(_issue("error", "empty_file", file=_file_name(source)))
        return _empty_areas(periods), report
    geometry_name = raw.geometry.name
    attributes = pd.DataFrame(raw.drop(columns=geometry_name))
    attributes.columns = [str(c) for c in attributes.columns]
    columns = list(attributes.columns)
    index = attributes.index

    id_c = _find_column(columns, id_col)
    name_c = _find_column(columns, name_col) if name_col else None
    single_pop_c = _find_column(columns, population_col) if isinstance(population_col, str) else None
    period_pop_c = {p: _find_column(columns, c) for p, c in pop_columns.items()}
    used_pop = [c for c in [single_pop_c, *period_pop_c.values()] if c]

    identifiers = _identifier_issues(attributes, exempt=[c for c in (id_c, name_c) if c], name_only=used_pop)
    if identifiers:
        report.extend(identifiers)
        return _empty_areas(periods), report

    if id_c is None:
        report.add(_missing_column(id_col, "area id", columns))
    if name_col and name_c is None:
        report.add(_missing_column(name_col, "area name", columns))
    if isinstance(population_col, str) and single_pop_c is None:
        report.add(_missing_column(population_col, "population", columns))
    for period, column in pop_columns.items():
        if period_pop_c[period] is None:
            report.add(_missing_column(column, f"population {period}", columns))
    if id_c is None:
        return _empty_areas(periods), report

    ids = _as_text(attributes[id_c])
    labels = id_c + " " + ids
    _check_unique_ids(ids, id_c, index, report)

    if name_c is not None:
        names = _as_text(attributes[name_c])
        no_name = names == ""
        _flag(report, no_name, "warning", "missing_name", index, labels, column=name_c)
        names = names.where(~no_name, ids)
    else:
        names = ids

    out = pd.DataFrame({"area_id": ids.astype(str), "name": names.astype(str)}, index=index)
    out["population"] = np.nan
    if single_pop_c is not None:
        out["population"] = _population(attributes[single_pop_c], single_pop_c, index, labels, report)
    for period in periods:
        pop_c = period_pop_c[period]
        out[f"population_{period}"] = (
            _population(attributes[pop_c], pop_c, index, labels, report) if pop_c is not None else np.nan
        )
    if periods:
        out["population"] = out[f"population_{periods[-1]}"]

    used = {id_c, name_c, *used_pop}
    for column in columns:
        if column in used:
            continue
        target = column
        if target in out.columns:
            target = f"{column}_in_file"
            report.add(_issue("warning", "column_renamed", column=column, new_name=target))
        out[target] = attributes[column]

    geoms = _to_wgs84(raw.geometry, report, labels=labels)
    if geoms is None:
        shapes: npt.NDArray[np.object_] = np.full(len(out), None, dtype=object)
    else:
        shapes = _checked_polygons(_geometry_array(geoms), index, labels, report)
    areas = geopandas.GeoDataFrame(out, geometry=geopandas.GeoSeries(shapes, index=index, crs=WGS84), crs=WGS84)
    return areas, report


def _checked_polygons(
    arr: npt.NDArray[np.object_], index: pd.Index, labels: pd.Series, report: ValidationReport
) -> npt.NDArray[np.object_]:
    """Polygons only: repaired when invalid, None (with an error) when not polygons at all."""
    arr = shapely.force_2d(arr)
    type_id = shapely.get_type_id(arr)
    absent = shapely.is_missing(arr) | shapely.is_empty(arr)
    polygonal = np.isin(type_id, (3, 6))
    collection = type_id == 7
    not_polygon = ~absent & ~polygonal & ~collection
    invalid = ~absent & (polygonal | collection) & ~shapely.is_valid(arr)
    repair = invalid | (~absent & collection)
    if invalid.any():
        arr[invalid] = shapely.make_valid(arr[invalid])
    if repair.any():
        fixed = _polygonal_parts(arr[repair])
        lost = shapely.is_missing(fixed)
        # A collection with no polygon at all is not an area, like a point or a line.
        not_polygon[np.flatnonzero(repair)[lost & collection[repair] & ~invalid[repair]]] = True
        arr[repair] = fixed
    if not_polygon.any():
        kinds = pd.Series(shapely.get_type_id(arr[not_polygon])).map(_GEOMETRY_TYPE_NAMES).fillna("not a polygon")
        report.add(
            _issue(
                "error",
                "geometry_not_polygon",
                rows=_rows(not_polygon, index),
                labels=_labels(labels, not_polygon),
                found=" / ".join(kinds.drop_duplicates().head(3)),
            )
        )
        arr[not_polygon] = None
    repaired = repair & ~not_polygon & ~shapely.is_missing(arr)
    if repaired.any():
        report.add(
            _issue("warning", "geometry_repaired", rows=_rows(repaired, index), labels=_labels(labels, repaired))
        )
    empty = (shapely.is_missing(arr) | shapely.is_empty(arr)) & ~not_polygon
    _flag(report, empty, "warning", "geometry_empty", index, labels)
    return arr


# --- across files ----------------------------------------------------------------------------


def check_area_ids(data: pd.DataFrame, areas: geopandas.GeoDataFrame, *, column: str = "area_id") -> ValidationReport:
    """Warn about rows whose area id is not among the areas: they cannot be mapped or ranked.

    A warning, not an error: counts for an area outside the campaign's map (a neighbouring
    region, a retired code) do not make the rest of the file wrong, but the user should know
    how many rows fall away, which ids to look for and where: the first rows are named with
    their id (row numbers follow the readers' rule, index + 2), so a typo can be found in the
    file instead of searched for."""
    report = ValidationReport()
    if column not in data.columns:
        report.add(_missing_column(column, "area id", [str(c) for c in data.columns]))
        return report
    if "area_id" not in areas.columns:
        raise ValueError("areas need an 'area_id' column; read them with read_areas")
    ids = _as_text(data[column])
    unknown = (ids != "") & ~ids.isin(set(_as_text(areas["area_id"])))
    # Readers' frames are indexed by data row position; any other index is numbered by position.
    positions = data.index if pd.api.types.is_integer_dtype(data.index) else pd.RangeIndex(len(data))
    if unknown.any():
        distinct = ids[unknown].drop_duplicates()
        report.add(
            _issue(
                "warning",
                "unknown_area",
                column=column,
                rows=_rows(unknown, positions),
                labels=ids[unknown].head(MAX_ROWS_LISTED).tolist(),
                count=int(unknown.sum()),
                n_ids=len(distinct),
                ids=_names(distinct.head(MAX_ROWS_LISTED))
                + (f" and {len(distinct) - MAX_ROWS_LISTED} more" if len(distinct) > MAX_ROWS_LISTED else ""),
            )
        )
    return report
