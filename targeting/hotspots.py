"""Getis-Ord Gi* hot spots with false-discovery-rate control.

Gi* asks whether an area *and its neighbours together* have high values: one high county is not a
hot spot, a cluster is. The statistic uses binary queen contiguity that includes the area itself,
the numbers ``esda.getisord.G_Local(y, w, transform="B", star=True).Zs`` gives (esda's defaults,
row-standardised and without the self link, are plain Gi, not Gi*). It is one sparse product for
every area and every period at once.

Testing tens of thousands of areas at 95 % would flag thousands by chance, so the p-values are
adjusted with Benjamini-Hochberg, and the confidence bins follow ArcGIS's Gi_Bin with its FDR
option: +/-3, 2, 1 when the adjusted p-value is within 1 %, 5 %, 10 %.

An area with no neighbours ("island") has a Gi* that is only its own z-score, which says nothing
about clustering: its z is reported, but it is flagged, kept out of the FDR family and never
binned as a hot or cold spot.

Permutation inference is an option for small sets. It cannot give a p-value below 1/(P+1), which
is too coarse for FDR over many areas, so analytic (normal) p-values are the default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse, stats

__all__ = ["HotSpots", "MAX_PERMUTATION_AREAS", "confidence_bins", "fdr_bh", "gi_star", "hot_spots"]

FloatArray = npt.NDArray[np.float64]
MAX_PERMUTATION_AREAS = 20_000


@dataclass(frozen=True)
class HotSpots:
    """Per-area Gi* results; arrays are (n,) or (n, periods) like the values given."""

    z: FloatArray
    p: FloatArray
    p_adjusted: FloatArray
    bins: npt.NDArray[np.int8]
    significant: npt.NDArray[np.bool_]
    isolated: npt.NDArray[np.bool_]
    tested: npt.NDArray[np.bool_]


def gi_star(values: npt.ArrayLike, neighbours: sparse.spmatrix) -> FloatArray:
    """Gi* z-scores with binary weights and the self link, for each column of `values`."""
    y = np.asarray(values, dtype=float)
    n = y.shape[0]
    a = (sparse.csr_matrix(neighbours, dtype=float) + sparse.identity(n, format="csr")).tocsr()
    a.data[:] = 1.0
    cardinality = np.asarray(a.sum(axis=1)).ravel()
    if y.ndim == 2:
        cardinality = cardinality[:, None]
    total = y.sum(axis=0)
    mean = total / n
    variance = (y * y).mean(axis=0) - mean**2
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = (a @ y) / total
        expected = cardinality / n
        var_g = cardinality * (n - cardinality) / (n - 1) / n**2 * variance / mean**2
        return np.asarray((statistic - expected) / np.sqrt(var_g), dtype=float)


def fdr_bh(p: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values along axis 0, ignoring NaN (untested areas)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    columns = p.reshape(p.shape[0], -1)
    flat = out.reshape(p.shape[0], -1)
    for j in range(columns.shape[1]):  # one pass per period, never per area
        ok = np.isfinite(columns[:, j])
        if ok.any():
            flat[ok, j] = stats.false_discovery_control(columns[ok, j], method="bh")
    return out


def confidence_bins(z: npt.ArrayLike, p: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """ArcGIS Gi_Bin: sign of z times 3, 2, 1 for p within 0.01, 0.05, 0.10, else 0."""
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.select([p <= 0.01, p <= 0.05, p <= 0.10], [3, 2, 1], default=0)
    return (np.sign(np.nan_to_num(z)) * level).astype(np.int8)


def _permutation_p(y: FloatArray, a: sparse.csr_matrix, permutations: int, seed: int) -> FloatArray:
    """Two-sided conditional-permutation p-values for Gi* (column by column).

    As esda's conditional randomisation: area i keeps its value and its neighbours are drawn at
    random from the other n-1 areas. One table of random draws is shared by all areas (shifted past
    i), as esda does, so the work is a few array operations per block of areas."""
    n = y.shape[0]
    if n > MAX_PERMUTATION_AREAS:
        raise ValueError(
            f"permutation p-values are offered for up to {MAX_PERMUTATION_AREAS:,} areas; this set has {n:,}. "
            "Use the analytic p-values (permutations=0), which FDR control needs at this size anyway."
        )
    rng = np.random.default_rng(seed)
    cardinality = np.diff(a.indptr) - 1  # neighbours without the area itself
    max_card = int(cardinality.max(initial=0))
    draws = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :max_card] if max_card else None
    observed = a @ y
    larger = np.zeros(n)
    block = max(1, 2_000_000 // max(1, permutations * max(max_card, 1)))
    for start in range(0, n, block):  # blocks of areas bound the memory, not a loop per area
        idx = np.arange(start, min(n, start + block))
        if draws is None:
            continue
        picks = draws[None, :, :] + (draws[None, :, :] >= idx[:, None, None])  # skip area i itself
        sims = y[picks]
        mask = np.arange(max_card)[None, None, :] < cardinality[idx][:, None, None]
        lag = (sims * mask).sum(axis=2) + y[idx][:, None]
        larger[idx] = (lag >= observed[idx][:, None]).sum(axis=1)
    larger = np.minimum(larger, permutations - larger)
    return np.minimum(1.0, 2.0 * (larger + 1.0) / (permutations + 1.0))


def hot_spots(
    values: npt.ArrayLike,
    neighbours: sparse.spmatrix,
    *,
    alpha: float = 0.05,
    permutations: int = 0,
    seed: int = 0,
) -> HotSpots:
    """Gi* z, two-sided p, BH-adjusted p, bins and significance for areas with a value.

    Areas whose value is NaN (no population) are left out of the statistic entirely, their links
    removed, and get NaN results: they are neither hot nor cold, just untested."""
    if permutations < 0:
        raise ValueError(f"permutations must be 0 or more, got {permutations}")
    y = np.asarray(values, dtype=float)
    single = y.ndim == 1
    y2 = y[:, None] if single else y
    n, periods = y2.shape
    w = sparse.csr_matrix(neighbours)
    z = np.full(y2.shape, np.nan)
    p = np.full(y2.shape, np.nan)
    isolated = np.zeros(y2.shape, dtype=bool)
    # Periods with the same set of usable areas share one sub-matrix (normally all of them).
    valid = np.isfinite(y2)
    groups: list[tuple[npt.NDArray[np.bool_], list[int]]] = []
    for col in range(periods):  # group periods by their set of usable areas (normally one group)
        for keep_mask, members in groups:
            if np.array_equal(keep_mask, valid[:, col]):
                members.append(col)
                break
        else:
            groups.append((valid[:, col], [col]))
    for keep, members in groups:
        cols = np.asarray(members, dtype=np.intp)
        idx = np.flatnonzero(keep)
        if idx.size < 3:
            continue
        sub = w[idx][:, idx].tocsr()
        zs = gi_star(y2[np.ix_(idx, cols)], sub)
        card = np.diff(sub.indptr)
        isolated[np.ix_(idx, cols)] = (card == 0)[:, None]
        z[np.ix_(idx, cols)] = zs
        if permutations:
            a = (sub.astype(float) + sparse.identity(idx.size, format="csr")).tocsr()
            a.data[:] = 1.0
            for c_pos, col in enumerate(cols):
                p[idx, col] = _permutation_p(y2[idx, col], a, permutations, seed + c_pos)
        else:
            p[np.ix_(idx, cols)] = 2.0 * stats.norm.sf(np.abs(zs))
    tested = np.isfinite(z) & np.isfinite(p) & ~isolated
    p_for_fdr = np.where(tested, p, np.nan)
    p_adj = fdr_bh(p_for_fdr)
    bins = np.where(tested, confidence_bins(z, p_adj), 0).astype(np.int8)
    significant = tested & (p_adj <= alpha)
    result = HotSpots(z, p, p_adj, bins, significant, isolated, tested)
    if single:
        return HotSpots(*(getattr(result, f)[:, 0] for f in HotSpots.__dataclass_fields__))
    return result
