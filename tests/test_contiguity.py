"""Queen contiguity against libpysal on real boundaries, islands, and the boundary-hash cache."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from functools import cache
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal import examples, weights
from scipy import sparse

from targeting import contiguity
from targeting.contiguity import Contiguity, boundary_hash, queen_contiguity
from targeting.demo import load_demo_areas

LIBPYSAL_SHAPES = {"columbus": "columbus.shp", "sids2": "sids2.shp", "stl": "stl_hom.shp"}


@cache
def _areas(key: str) -> geopandas.GeoDataFrame:
    if key in ("georgia", "virginia"):
        return load_demo_areas(key)
    return geopandas.read_file(examples.get_path(LIBPYSAL_SHAPES[key]))


def _libpysal_queen(frame: geopandas.GeoDataFrame) -> weights.W:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands and the use_index future warning
        return weights.Queen.from_dataframe(frame, use_index=False)


@pytest.fixture(autouse=True)
def empty_memory_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with its own empty in-memory cache."""
    monkeypatch.setattr(contiguity, "_MEMORY_CACHE", OrderedDict())


@pytest.mark.parametrize("key", ["georgia", "virginia", "columbus", "sids2", "stl"])
def test_matches_libpysal_queen_exactly(key: str) -> None:
    frame = _areas(key)
    reference = _libpysal_queen(frame).sparse.tocsr()
    result = queen_contiguity(frame.geometry.values)
    assert result.matrix.shape == (len(frame), len(frame))
    assert (result.matrix != reference).nnz == 0
    assert set(np.unique(result.matrix.data)) == {1}
    assert result.matrix.diagonal().sum() == 0  # no self-links
    assert (result.matrix != result.matrix.T).nnz == 0
    np.testing.assert_array_equal(result.cardinality, np.diff(reference.indptr))
    assert not result.islands.any()


def test_far_away_polygon_is_an_island() -> None:
    frame = _areas("georgia")
    far = geopandas.GeoDataFrame(
        {"area_id": ["99999"], "name": ["Far"], "population": [1000]},
        geometry=[shapely.box(-40.0, 10.0, -39.9, 10.1)],
        crs=frame.crs,
    )
    with_island = pd.concat([frame, far], ignore_index=True)
    result = queen_contiguity(with_island.geometry.values)
    reference = _libpysal_queen(with_island)
    assert reference.islands == [len(frame)]
    assert (result.matrix != reference.sparse.tocsr()).nnz == 0
    np.testing.assert_array_equal(np.flatnonzero(result.islands), [len(frame)])
    assert result.cardinality[-1] == 0
    # the rest of the map is unchanged by the island
    assert (result.matrix[: len(frame), : len(frame)] != queen_contiguity(frame.geometry.values).matrix).nnz == 0


def test_multipolygon_parts_and_touching_corners() -> None:
    # 0 and 1 share an edge; 2 touches 1 only at a corner (queen, not rook); 3 is a two-part area
    # whose second part touches 0 at its corner (0, 0); 4 stands alone.
    shapes = [
        shapely.box(0, 0, 1, 1),
        shapely.box(1, 0, 2, 1),
        shapely.box(2, 1, 3, 2),
        shapely.MultiPolygon([shapely.box(10, 10, 11, 11), shapely.box(0, -1, 0.5, 0)]),
        shapely.box(20, 20, 21, 21),
    ]
    frame = geopandas.GeoDataFrame(geometry=shapes)
    result = queen_contiguity(shapes)
    assert (result.matrix != _libpysal_queen(frame).sparse.tocsr()).nnz == 0
    dense = result.matrix.toarray()
    expected = np.zeros((5, 5), dtype=int)
    for i, j in [(0, 1), (1, 2), (0, 3)]:
        expected[i, j] = expected[j, i] = 1
    np.testing.assert_array_equal(dense, expected)
    np.testing.assert_array_equal(result.islands, [False, False, False, False, True])


def test_subset_keeps_links_among_kept_areas() -> None:
    result = queen_contiguity(_areas("columbus").geometry.values)
    keep = np.ones(result.matrix.shape[0], dtype=bool)
    keep[[0, 5, 17]] = False
    sub = result.subset(keep)
    idx = np.flatnonzero(keep)
    np.testing.assert_array_equal(sub.toarray(), result.matrix.toarray()[np.ix_(idx, idx)])


def test_memory_cache_returns_the_same_matrix() -> None:
    geoms = _areas("sids2").geometry.values
    first = queen_contiguity(geoms)
    second = queen_contiguity(geoms)
    assert second.key == first.key
    assert second.matrix is first.matrix
    assert first.key in contiguity._MEMORY_CACHE


def test_disk_cache_writes_npz_and_is_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    geoms = _areas("stl").geometry.values
    cache_dir = tmp_path / "cache"
    first = queen_contiguity(geoms, ids=[str(i) for i in range(len(geoms))], cache_dir=cache_dir)
    stored = cache_dir / f"queen-{first.key}.npz"
    assert stored.is_file()
    assert [p.name for p in cache_dir.iterdir()] == [stored.name]  # no temporary file left behind

    # A new process has an empty memory cache: the matrix must come from disk, not be rebuilt.
    monkeypatch.setattr(contiguity, "_MEMORY_CACHE", OrderedDict())

    def no_rebuild(_geoms: object) -> sparse.csr_matrix:
        raise AssertionError("the neighbours were rebuilt instead of read from the cache file")

    monkeypatch.setattr(contiguity, "_queen_matrix", no_rebuild)
    again = queen_contiguity(geoms, ids=[str(i) for i in range(len(geoms))], cache_dir=cache_dir)
    assert again.key == first.key
    assert (again.matrix != first.matrix).nnz == 0
    assert isinstance(again, Contiguity)


def test_key_depends_on_ids_and_shapes() -> None:
    geoms = _areas("columbus").geometry.values
    ids = [f"c{i}" for i in range(len(geoms))]
    key = queen_contiguity(geoms, ids=ids).key
    assert key == boundary_hash(geoms, ids)
    assert queen_contiguity(geoms, ids=ids).key == key
    assert queen_contiguity(geoms, ids=[f"d{i}" for i in range(len(geoms))]).key != key
    assert queen_contiguity(geoms).key != key
    moved = np.asarray(geoms, dtype=object).copy()
    moved[0] = shapely.affinity.translate(moved[0], 1.0, 0.0)
    assert queen_contiguity(moved, ids=ids).key != key
    # Reordering the areas is a different boundary set, with its own matrix in the new order.
    order = np.arange(len(geoms))[::-1]
    reordered = queen_contiguity(np.asarray(geoms, dtype=object)[order], ids=[ids[i] for i in order])
    assert reordered.key != key
    original = queen_contiguity(geoms, ids=ids).matrix.toarray()
    np.testing.assert_array_equal(reordered.matrix.toarray(), original[np.ix_(order, order)])


def test_no_areas_and_empty_geometries() -> None:
    assert queen_contiguity([]).matrix.shape == (0, 0)
    result = queen_contiguity([shapely.box(0, 0, 1, 1), shapely.Polygon(), shapely.box(1, 0, 2, 1)])
    np.testing.assert_array_equal(result.cardinality, [1, 0, 1])
