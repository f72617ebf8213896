"""Points to areas against geopandas.sjoin, including holes, multi-part areas and points outside."""

from __future__ import annotations

from functools import cache

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely

from targeting import assign
from targeting.assign import count_by_area, points_to_areas
from targeting.demo import load_demo_areas


@cache
def _georgia_projected() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia").to_crs(26916)  # UTM 16N metres


def _sjoin_index(points: geopandas.GeoSeries, areas: geopandas.GeoDataFrame) -> np.ndarray:
    """The reference: GEOS point-in-polygon via sjoin, -1 outside, lowest area index on overlaps."""
    left = geopandas.GeoDataFrame(geometry=points.reset_index(drop=True), crs=points.crs)
    right = geopandas.GeoDataFrame(geometry=areas.geometry.reset_index(drop=True), crs=areas.crs)
    joined = geopandas.sjoin(left, right, predicate="within", how="left")
    return joined["index_right"].fillna(-1).astype(int).groupby(level=0).min().reindex(left.index).to_numpy()


def _random_points(bounds: np.ndarray, n: int, seed: int, margin: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    return shapely.points(rng.uniform(x0 - margin, x1 + margin, n), rng.uniform(y0 - margin, y1 + margin, n))


@pytest.mark.parametrize("n_points", [50, 20_000])  # fewer and many more points than areas
def test_georgia_random_points_match_sjoin(n_points: int) -> None:
    areas = _georgia_projected()
    points = _random_points(areas.total_bounds, n_points, seed=n_points, margin=40_000)
    result = points_to_areas(points, areas.geometry.values)
    expected = _sjoin_index(geopandas.GeoSeries(points, crs=areas.crs), areas)
    np.testing.assert_array_equal(result, expected)
    assert (result == -1).any() and (result >= 0).any()
    assert result.dtype == np.intp


def test_small_chunks_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    areas = _georgia_projected()
    points = _random_points(areas.total_bounds, 3_000, seed=3)
    whole = points_to_areas(points, areas.geometry.values)
    monkeypatch.setattr(assign, "_CHUNK_EDGES", 500)  # many chunks, some holding a single pair
    np.testing.assert_array_equal(points_to_areas(points, areas.geometry.values), whole)


def test_centroid_of_each_county_falls_in_that_county() -> None:
    areas = _georgia_projected()
    inside = areas.geometry.representative_point().values
    np.testing.assert_array_equal(points_to_areas(inside, areas.geometry.values), np.arange(len(areas)))


def test_hole_and_multipolygon() -> None:
    donut = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(3, 3), (7, 3), (7, 7), (3, 7)]])
    two_parts = shapely.MultiPolygon([shapely.box(20, 0, 25, 5), shapely.box(30, 0, 35, 5)])
    plain = shapely.box(10, 0, 15, 5)  # shares the donut's right edge
    areas = geopandas.GeoDataFrame(geometry=[donut, two_parts, plain], crs=26916)
    named = shapely.points([(5, 5), (1, 1), (22, 2), (33, 4), (27, 2), (12, 3), (-5, -5), (5, 20), (4, 6)])
    expected_named = [-1, 0, 1, 1, -1, 2, -1, -1, -1]
    np.testing.assert_array_equal(points_to_areas(named, areas.geometry.values), expected_named)
    rng = np.random.default_rng(11)
    points = shapely.points(rng.uniform(-2, 37, 5_000), rng.uniform(-2, 12, 5_000))
    result = points_to_areas(points, areas.geometry.values)
    np.testing.assert_array_equal(result, _sjoin_index(geopandas.GeoSeries(points, crs=26916), areas))
    assert {-1, 0, 1, 2} <= set(result.tolist())
    in_hole = (shapely.get_x(points) > 3) & (shapely.get_x(points) < 7)
    in_hole &= (shapely.get_y(points) > 3) & (shapely.get_y(points) < 7)
    assert in_hole.any() and (result[in_hole] == -1).all()


def test_point_on_a_shared_border_goes_to_exactly_one_area() -> None:
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    result = points_to_areas(shapely.points([(1.0, 0.5), (1.0, 0.25)]), [left, right])
    assert set(result.tolist()) <= {0, 1}
    assert result[0] == result[1]  # the same half-open rule every time


def test_empty_inputs() -> None:
    assert points_to_areas([], [shapely.box(0, 0, 1, 1)]).shape == (0,)
    np.testing.assert_array_equal(points_to_areas(shapely.points([(0.5, 0.5), (3, 3)]), []), [-1, -1])


def test_count_by_area_matches_groupby() -> None:
    rng = np.random.default_rng(5)
    n_areas, n_periods, n = 37, 5, 4_000
    area = rng.integers(-1, n_areas, n)  # -1: outside every area
    period = rng.integers(-1, n_periods, n)  # -1: no usable period
    result = count_by_area(area, period, n_areas, n_periods)
    assert result.shape == (n_areas, n_periods) and result.dtype == np.int64
    frame = pd.DataFrame({"area": area, "period": period})
    frame = frame[(frame["area"] >= 0) & (frame["period"] >= 0)]
    expected = (
        frame.groupby(["area", "period"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=range(n_areas), columns=range(n_periods), fill_value=0)
    )
    np.testing.assert_array_equal(result, expected.to_numpy())
    assert result.sum() == len(frame)


# --- points on boundaries: the rule is "lowest index among the areas that cover it" -------------


def _covered_by_index(points: np.ndarray, areas: geopandas.GeoDataFrame) -> np.ndarray:
    """The documented rule via GEOS: sjoin(predicate="covered_by"), lowest area index, -1 if none."""
    left = geopandas.GeoDataFrame(geometry=points, crs=areas.crs)
    right = geopandas.GeoDataFrame(geometry=areas.geometry.reset_index(drop=True), crs=areas.crs)
    joined = geopandas.sjoin(left, right, predicate="covered_by", how="left")
    return joined["index_right"].fillna(-1).astype(int).groupby(level=0).min().reindex(left.index).to_numpy()


def _edge_ends(areas: geopandas.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    coords, ring = shapely.get_coordinates(
        shapely.get_rings(shapely.get_parts(areas.geometry.values)), return_index=True
    )
    same = ring[1:] == ring[:-1]
    return coords[:-1][same], coords[1:][same]


@pytest.mark.parametrize("crs", [4326, 26916])  # degrees as uploaded, metres as projected
def test_points_on_vertices_and_edge_midpoints_follow_covered_by(crs: int) -> None:
    areas = load_demo_areas("georgia").to_crs(crs)
    start, end = _edge_ends(areas)
    vertices = shapely.points(np.unique(start, axis=0))  # every county corner, shared ones included
    midpoints = shapely.points((start + end) / 2)  # on the edge, or a rounding away from it
    for points in (vertices, midpoints):
        result = points_to_areas(points, areas.geometry.values)
        np.testing.assert_array_equal(result, _covered_by_index(points, areas))
    shared = shapely.STRtree(areas.geometry.values).query(vertices, predicate="covered_by")
    assert np.bincount(shared[0]).max() >= 3  # corners where three or more counties meet are in the test


@pytest.mark.parametrize("crs", [26916, 3857])
def test_points_a_hair_from_a_shared_edge_go_to_the_county_geos_finds(crs: int) -> None:
    areas = load_demo_areas("georgia").to_crs(crs)  # metres
    start, end = _edge_ends(areas)
    normal = np.column_stack([start[:, 1] - end[:, 1], end[:, 0] - start[:, 0]])
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    along = np.vstack([start + (end - start) * f for f in (0.3, 0.7)])  # not at the exact middle
    normal = np.vstack([normal, normal])
    points = shapely.points(np.vstack([along + 1e-10 * normal, along - 1e-10 * normal]))  # 1e-10 m either side
    tree = shapely.STRtree(areas.geometry.values)
    within = tree.query(points, predicate="within")
    n_within = np.bincount(within[0], minlength=len(points))
    # Only points next to an interior edge (shared by two counties) that GEOS finds strictly
    # inside exactly one county.
    edges = shapely.linestrings(np.stack([start, end], axis=1))
    sharing = np.bincount(tree.query(edges, predicate="covered_by")[0], minlength=len(edges))
    chosen = np.flatnonzero((n_within == 1) & np.tile(sharing >= 2, 4))
    assert chosen.size > 10_000
    expected = np.full(len(points), -1)
    expected[within[0]] = within[1]
    result = points_to_areas(points[chosen], areas.geometry.values)
    assert (result >= 0).all(), "counted outside every county although GEOS finds it inside one"
    wrong = np.flatnonzero(result != expected[chosen])
    assert wrong.size == 0, f"{wrong.size} points went to a neighbour that does not contain them"


def test_a_point_on_a_shared_edge_or_corner_goes_to_the_lowest_covering_index() -> None:
    boxes = [shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1), shapely.box(0, 1, 1, 2), shapely.box(1, 1, 2, 2)]
    points = shapely.points([(1.0, 0.5), (1.0, 1.0), (0.5, 1.0), (2.0, 2.0), (0.0, 0.5), (2.5, 0.5)])
    #  edge of 0|1 -> 0; corner of all four -> 0; edge of 1|2 -> 1; outer corner of 3 -> 3; outer edge of 1 -> 1
    np.testing.assert_array_equal(points_to_areas(points, boxes), [0, 0, 1, 3, 1, -1])
