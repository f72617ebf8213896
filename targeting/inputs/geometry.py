"""Shapes in WGS 84 (the web map's coordinates), and only the polygons of an area.

Shared by the area and incident readers: a file without a coordinate system is only trusted when
its coordinates fit longitude/latitude degrees, because metres read as degrees would put every
area in the wrong place without anyone noticing."""

from __future__ import annotations

from typing import Final

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from .report import ValidationReport, _issue, _labels, _reason

WGS84: Final = "EPSG:4326"


def _geometry_array(geoms: geopandas.GeoSeries) -> npt.NDArray[np.object_]:
    return np.asarray(geoms.to_numpy(), dtype=object)


def _to_wgs84(
    geoms: geopandas.GeoSeries,
    report: ValidationReport,
    *,
    labels: pd.Series | None = None,
    check_range: bool = True,
) -> geopandas.GeoSeries | None:
    """Shapes in WGS 84, the web map's coordinates, or None when their CRS cannot be known.

    A file without a CRS is only trusted when its coordinates fit longitude/latitude degrees;
    metres read as degrees would put every area in the wrong place without anyone noticing."""
    arr = _geometry_array(geoms)
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if geoms.crs is None:
        bounds = shapely.total_bounds(arr[present]) if present.any() else np.zeros(4)
        if np.all(np.isfinite(bounds)) and _fits_degrees(bounds):
            report.add(_issue("warning", "crs_assumed_wgs84"))
            return geoms.set_crs(WGS84)
        report.add(_issue("error", "crs_missing", x=f"{bounds[0]:.6g}", y=f"{bounds[1]:.6g}"))
        return None
    authority = geoms.crs.to_authority()
    crs_name = f"{authority[0]}:{authority[1]} ({geoms.crs.name})" if authority else str(geoms.crs.name)
    try:
        out = geoms if geoms.crs.equals(WGS84) else geoms.to_crs(WGS84)
    except Exception as exc:  # pyproj raises several unrelated types; all mean "cannot convert"
        report.add(_issue("error", "crs_unusable", crs=crs_name, reason=_reason(exc)))
        return None
    if check_range:
        box = shapely.bounds(_geometry_array(out))
        inside = (
            np.isfinite(box).all(axis=1)
            & (box[:, 0] >= -180.0)
            & (box[:, 2] <= 180.0)
            & (box[:, 1] >= -90.0)
            & (box[:, 3] <= 90.0)
        )
        bad = present & ~inside
        if bad.any():
            report.add(
                _issue("error", "crs_wrong", rows=np.flatnonzero(bad) + 2, labels=_labels(labels, bad), crs=crs_name)
            )
            return None
    return out


def _fits_degrees(bounds: npt.NDArray[np.float64]) -> bool:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def _polygonal_parts(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Only the polygons of each geometry (None when it has none), all rows at once.

    make_valid can turn a polygon into a collection with stray lines and points; those cannot
    be areas, and keeping them would break area and neighbour calculations."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # multipolygons inside collections
    owner = owner[inner]
    keep = shapely.get_type_id(parts) == 3
    out: npt.NDArray[np.object_] = np.full(len(geoms), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    single = ~shapely.is_missing(out) & (shapely.get_num_geometries(out) == 1)
    out[single] = shapely.get_geometry(out[single], 0)
    return out


_GEOMETRY_TYPE_NAMES: Final[dict[int, str]] = {
    0: "a point",
    1: "a line",
    2: "a line (ring)",
    3: "a polygon",
    4: "several points",
    5: "several lines",
    6: "several polygons",
    7: "a mixed collection without polygons",
}
