"""Which area each incident point falls in, for a million points without a Python loop.

An STRtree over the area polygons finds, for every point at once, the areas whose bounding box
holds it (usually one or two). The exact test is then an even-odd ray cast against the edges of
those candidate areas, done as array arithmetic over all (point, edge) pairs in chunks: the same
answer as GEOS's point-in-polygon, about three times faster here than asking GEOS pair by pair
(`STRtree.query(predicate=...)`), because no per-pair call is made. Holes and multi-part areas
work because every ring's edges take part in the parity count.

Near an edge the ray cast is not trustworthy: where the crossing lies is computed in floating
point, and two areas sharing an edge compute it from the edge's ends in opposite order, so a
point within about 1e-10 m of a shared edge could land in neither area or in both; and the ray
cast's half-open rule for points exactly on a boundary is not the one below. So every (point,
area) pair whose point lies within a small tolerance ``tol`` of one of the area's edges
(``_TOLERANCE`` times the size of the coordinates, about a millimetre in metres and 1e-7 in
degrees) is decided by GEOS instead (``shapely.covers``, one vectorised call for all such pairs).
"Within ``tol``" is measured along the point's horizontal line for the edges it crosses (where
the crossing's rounding error lives, so beyond ``tol`` the ray cast is certain) and as the true
distance for the edges it only touches (a vertex or a horizontal edge at its height). Those pairs
are rare in real data, so the fallback costs next to nothing.

The rule, the same for every point, and the one ``geopandas.sjoin(predicate="covered_by")``
gives when only the lowest area index is kept:

* a point goes to the area that **covers** it (interior or boundary, as GEOS decides exactly);
* a point covered by several areas (on a shared edge or vertex, or where areas overlap) goes to
  exactly one of them: **the one with the lowest index**;
* a point covered by no area is -1 and is counted by the caller: an incident outside the
  boundaries is a data problem to report, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["count_by_area", "points_to_areas"]

_CHUNK_EDGES = 500_000  # bounds memory: about 4 MB per float array in a chunk
#: Points closer than this (relative to the largest coordinate) to an area's edge are decided by
#: GEOS. Ray-cast rounding is a few units of 1e-16 relative; 1e-9 leaves a wide margin and still
#: sends only points within about a millimetre (in metres) or 1e-7 (in degrees) to GEOS.
#: Changing it changes no answer, only how many pairs GEOS decides: both agree away from edges.
_TOLERANCE: Final = 1e-9


def _edges(
    polys: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """All ring edges as (x0, y0, x1, y1) rows grouped by area, with each area's first row and count."""
    parts, part_owner = shapely.get_parts(polys, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    # Consecutive coordinates of one ring make an edge; the last coordinate repeats the first.
    same_ring = coord_ring[1:] == coord_ring[:-1]
    starts = np.flatnonzero(same_ring)
    edges = np.column_stack([coords[starts], coords[starts + 1]])
    owner = part_owner[ring_part[coord_ring[starts]]]
    order = np.argsort(owner, kind="stable")
    edges, owner = edges[order], owner[order]
    count = np.bincount(owner, minlength=len(polys)).astype(np.int64)
    first = np.zeros(len(polys), dtype=np.int64)
    first[1:] = np.cumsum(count)[:-1]
    return edges, first, count


def points_to_areas(
    points: Sequence[object] | npt.NDArray[np.object_], areas: Sequence[object] | npt.NDArray[np.object_]
) -> npt.NDArray[np.intp]:
    """Index of the area covering each point, or -1; both inputs must share one CRS.

    A point on a boundary shared by several areas (on an edge or a vertex, or inside
    overlapping areas) goes to exactly one: the lowest index among the areas that cover it, as
    GEOS decides ``covers`` (the same as ``geopandas.sjoin(predicate="covered_by")`` keeping the
    lowest index). Points within a tiny tolerance of an edge are decided by GEOS, all others by a
    vectorised ray cast (see the module docstring for why); no Python loop over points."""
    pts = np.asarray(points, dtype=object)
    polys = np.asarray(areas, dtype=object)
    none = np.iinfo(np.intp).max
    result = np.full(len(pts), none, dtype=np.intp)
    if len(pts) == 0 or len(polys) == 0:
        return np.full(len(pts), -1, dtype=np.intp)
    px_all = shapely.get_x(pts)
    py_all = shapely.get_y(pts)
    # Bounding-box candidates from a tree over the areas (a tree over a million points would be
    # slightly faster to query but costs far more memory).
    cand_point, cand_area = shapely.STRtree(polys).query(pts)
    edges, first, count = _edges(polys)
    x0, y0, x1, y1 = (np.ascontiguousarray(edges[:, i]) for i in range(4))
    bounds_all = shapely.total_bounds(polys)
    scale = float(np.nanmax(np.abs(bounds_all))) if np.isfinite(bounds_all).any() else 1.0
    tol = _TOLERANCE * max(scale, 1.0)
    # An edge can only be crossed by a point's horizontal ray, or lie within `tol` of the point,
    # if the point's y is in the edge's y-range widened by `tol`: that band is the first filter.
    band_lo = np.minimum(y0, y1) - tol
    band_hi = np.maximum(y0, y1) + tol
    per_pair = count[cand_area]
    bounds = np.cumsum(per_pair)
    near_parts: list[npt.NDArray[np.intp]] = []
    start = 0
    while start < len(cand_point):
        # Take as many candidate pairs as fit in one chunk of edges (at least one pair).
        stop = int(np.searchsorted(bounds, (bounds[start - 1] if start else 0) + _CHUNK_EDGES, side="right"))
        stop = max(stop, start + 1)
        cp, ca, n_edges = cand_point[start:stop], cand_area[start:stop], per_pair[start:stop]
        pair = np.repeat(np.arange(len(cp), dtype=np.int64), n_edges)
        edge = np.arange(pair.size, dtype=np.int64) + np.repeat(first[ca] - (np.cumsum(n_edges) - n_edges), n_edges)
        py = np.repeat(py_all[cp], n_edges)  # each pair's y, once per edge of its area
        # Only edges whose (widened) y-range holds the point's y can be crossed by its ray or lie
        # within `tol` of it: test those alone.
        banded = np.flatnonzero((band_lo[edge] <= py) & (band_hi[edge] >= py))
        e, p, yy = edge[banded], pair[banded], py[banded]
        ey0, ey1 = y0[e], y1[e]
        straddle = (ey0 > yy) != (ey1 > yy)
        near = np.zeros(len(cp), dtype=bool)
        if not straddle.all():
            # Edges that only touch the band (an end within `tol` of the point's y; rare): is the
            # point within `tol` of the segment itself? Then keep only the straddling edges.
            o = np.flatnonzero(~straddle)
            eo, yo, po = e[o], yy[o], p[o]
            xo = px_all[cp[po]]
            ox0, oy0 = x0[eo], ey0[o]
            odx, ody = x1[eo] - ox0, ey1[o] - oy0
            length2 = odx * odx + ody * ody
            with np.errstate(invalid="ignore", divide="ignore"):
                along = np.where(length2 > 0, np.clip(((xo - ox0) * odx + (yo - oy0) * ody) / length2, 0.0, 1.0), 0.0)
            gap_x, gap_y = ox0 + along * odx - xo, oy0 + along * ody - yo
            near[po[gap_x * gap_x + gap_y * gap_y <= tol * tol]] = True
            s = np.flatnonzero(straddle)
            e, p, yy, ey0, ey1 = e[s], p[s], yy[s], ey0[s], ey1[s]
        # The straddling edges: the point's rightward ray crosses those whose crossing lies to its
        # right (even-odd rule). The crossing is computed with an error of a few 1e-16 of the
        # coordinates (|y - y0| <= |dy| bounds the product), so the answer is certain unless the
        # crossing lies within `tol` of the point, which includes every point on such an edge.
        xx = px_all[cp[p]]
        ex0 = x0[e]
        gap = ex0 + (yy - ey0) * (x1[e] - ex0) / (ey1 - ey0) - xx  # crossing x minus point x
        crossed = p[gap > 0]
        near[p[np.abs(gap) <= tol]] = True
        inside = ((np.bincount(crossed, minlength=len(cp)) % 2) == 1) & ~near
        # A point inside two areas (overlapping polygons) keeps the lowest area index.
        np.minimum.at(result, cp[inside], ca[inside])
        near_parts.append(np.flatnonzero(near) + start)
        start = stop
    near_pairs = np.concatenate(near_parts) if near_parts else np.empty(0, dtype=np.intp)
    if near_pairs.size:
        # Points at (or within `tol` of) an edge: GEOS decides, for all such pairs in one call.
        cp, ca = cand_point[near_pairs], cand_area[near_pairs]
        covered = shapely.covers(polys[ca], pts[cp])
        np.minimum.at(result, cp[covered], ca[covered])
    result[result == none] = -1
    return result


def count_by_area(
    area_index: npt.NDArray[np.intp], period_index: npt.NDArray[np.intp], n_areas: int, n_periods: int
) -> npt.NDArray[np.int64]:
    """An (areas x periods) count matrix from per-incident indices; -1 entries are skipped."""
    ok = (area_index >= 0) & (period_index >= 0)
    flat = area_index[ok] * n_periods + period_index[ok]
    return np.bincount(flat, minlength=n_areas * n_periods).reshape(n_areas, n_periods).astype(np.int64)
