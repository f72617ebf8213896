"""Queen contiguity between areas, built from shared vertices without a loop over areas.

Two areas are queen neighbours when their boundaries share at least one vertex, the rule
``libpysal.weights.Queen.from_dataframe`` applies (exact coordinate equality), so results agree
with the reference. Building it by hashing every vertex once and pairing the areas that meet at
the same vertex is a sort plus a few array passes; libpysal's loop over polygons takes seconds at
85,000 areas. The matrix only depends on the boundaries, so it is cached under a hash of their
geometry and ids: a coordinator re-ranking with new weights or a new period reuses it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse

__all__ = ["Contiguity", "boundary_hash", "queen_contiguity"]

_MEMORY_CACHE: OrderedDict[str, sparse.csr_matrix] = OrderedDict()
_MEMORY_CACHE_SIZE = 8
_CACHE_LOCK = Lock()


@dataclass(frozen=True)
class Contiguity:
    """Binary queen neighbours (no self-links) in the row order of the areas given."""

    matrix: sparse.csr_matrix
    key: str

    @property
    def cardinality(self) -> npt.NDArray[np.int64]:
        return np.diff(self.matrix.indptr).astype(np.int64)

    @property
    def islands(self) -> npt.NDArray[np.bool_]:
        return self.cardinality == 0

    def subset(self, keep: npt.NDArray[np.bool_]) -> sparse.csr_matrix:
        """Neighbours among the kept areas only (areas without a rate drop out of Gi*)."""
        idx = np.flatnonzero(keep)
        return self.matrix[idx][:, idx].tocsr()


def boundary_hash(geometries: Sequence[object] | npt.NDArray[np.object_], ids: Sequence[str] | None = None) -> str:
    """A stable key for a boundary set: same shapes and ids in the same order, same key."""
    digest = hashlib.sha256()
    wkb = shapely.to_wkb(np.asarray(geometries, dtype=object), hex=False, output_dimension=2)
    digest.update(np.asarray([len(b) if b is not None else 0 for b in wkb], dtype=np.int64).tobytes())
    digest.update(b"".join(b for b in wkb if b is not None))
    if ids is not None:
        digest.update("\x1f".join(map(str, ids)).encode())
    return digest.hexdigest()


def _queen_matrix(geometries: npt.NDArray[np.object_]) -> sparse.csr_matrix:
    n = len(geometries)
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    owner = part_owner[ring_part[coord_ring]]
    if owner.size == 0:
        return sparse.csr_matrix((n, n), dtype=np.int8)
    order = np.lexsort((owner, coords[:, 1], coords[:, 0]))
    x, y, o = coords[order, 0], coords[order, 1], owner[order]
    new_vertex = np.empty(len(o), dtype=bool)
    new_vertex[0] = True
    new_vertex[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    vertex = np.cumsum(new_vertex)
    # One entry per (vertex, area): rings repeat their first vertex, and parts of one area meet.
    first = np.empty(len(o), dtype=bool)
    first[0] = True
    first[1:] = new_vertex[1:] | (o[1:] != o[:-1])
    vertex, o = vertex[first], o[first]
    rows: list[npt.NDArray[np.intp]] = []
    cols: list[npt.NDArray[np.intp]] = []
    # Pair each entry with the ones d places further on in the same vertex group. The loop runs
    # over group sizes (how many areas meet at one point, a handful), not over areas.
    d = 1
    while d < len(o):
        same = vertex[d:] == vertex[:-d]
        if not same.any():
            break
        rows.append(o[:-d][same])
        cols.append(o[d:][same])
        d += 1
    if not rows:
        return sparse.csr_matrix((n, n), dtype=np.int8)
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    data = np.ones(2 * len(r), dtype=np.int8)
    matrix = sparse.coo_matrix((data, (np.r_[r, c], np.r_[c, r])), shape=(n, n)).tocsr()
    matrix.data[:] = 1  # duplicates from several shared vertices collapse to one link
    matrix.sort_indices()
    return matrix


def queen_contiguity(
    geometries: Sequence[object] | npt.NDArray[np.object_],
    *,
    ids: Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
) -> Contiguity:
    """Queen neighbours of each area, from memory or disk cache when the boundaries are known."""
    geoms = np.asarray(geometries, dtype=object)
    key = boundary_hash(geoms, ids)
    with _CACHE_LOCK:
        cached = _MEMORY_CACHE.get(key)
        if cached is not None:
            _MEMORY_CACHE.move_to_end(key)
            return Contiguity(cached, key)
    path = Path(cache_dir) / f"queen-{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        matrix = sparse.load_npz(path).tocsr()
    else:
        matrix = _queen_matrix(geoms)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            sparse.save_npz(tmp, matrix)
            tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    with _CACHE_LOCK:
        _MEMORY_CACHE[key] = matrix
        while len(_MEMORY_CACHE) > _MEMORY_CACHE_SIZE:
            _MEMORY_CACHE.popitem(last=False)
    return Contiguity(matrix, key)
