"""Where on the map a group of areas lies, as a compass word a summary sentence can use.

A coordinator reads "most of the top areas are in the north-east" faster than a map legend, and
a screen reader user gets the map's main message without the map. The rule is deliberately
coarse: the chosen areas' centroid against the mean centroid of all areas, scaled by their
bounding box, in eight directions
or "centre", and nothing when the chosen areas are spread so widely that a direction would
mislead.
"""

from __future__ import annotations

from typing import Final

import geopandas
import numpy as np
import numpy.typing as npt

__all__ = ["DIRECTIONS", "compass_direction"]

DIRECTIONS: Final = ("east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east")
"""Eight sectors counter-clockwise from east, each 45 degrees wide; plus "centre" near the middle."""

CENTRE: Final = 1 / 6
"""Offsets (as a share of the extent) below this on both axes read as "centre"."""

SPREAD: Final = 0.3
"""Chosen areas whose mean distance from their own centroid exceeds this share of the extent
are "spread across" the region: no single direction describes them."""


def compass_direction(areas: geopandas.GeoDataFrame, chosen: npt.ArrayLike) -> str | None:
    """The compass word for the ``chosen`` rows of ``areas`` (a boolean mask), or None.

    None means no direction can honestly be given: nothing chosen, no usable geometry, or
    chosen areas spread over the region. Distances are measured in a local projected CRS when
    the areas have a geographic one, so east-west and north-south offsets are comparable."""
    mask = np.asarray(chosen, dtype=bool)
    if len(mask) != len(areas):
        raise ValueError(f"chosen has {len(mask)} values for {len(areas)} areas")
    geometry = areas.geometry
    if not mask.any() or geometry.isna().all():
        return None
    if geometry.crs is not None and geometry.crs.is_geographic:
        geometry = geometry.to_crs(areas.estimate_utm_crs())
    usable = ~(geometry.isna() | geometry.is_empty).to_numpy()
    if not (mask & usable).any():
        return None
    points = geometry[usable].centroid
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    minx, miny, maxx, maxy = geometry[usable].total_bounds
    extent = np.array([max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)])
    centre = xy.mean(axis=0)  # the areas' own middle: a state's bounding box can lie half in its neighbours
    picked = xy[mask[usable]]
    offset = (picked.mean(axis=0) - centre) / extent
    spread = float(np.mean(np.linalg.norm((picked - picked.mean(axis=0)) / extent, axis=1)))
    if spread > SPREAD:
        return None
    if abs(offset[0]) < CENTRE and abs(offset[1]) < CENTRE:
        return "centre"
    angle = float(np.degrees(np.arctan2(offset[1], offset[0]))) % 360
    return DIRECTIONS[int(((angle + 22.5) % 360) // 45)]
