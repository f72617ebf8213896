"""Incident rates that stay honest for small populations.

A county of 2,000 people with one incident has a raw rate of 50 per 100,000 and would top any
list built on raw rates. Empirical-Bayes smoothing (Marshall 1991) pulls each area's rate towards
the overall rate in proportion to how little its population can tell: large areas keep their
own rate, small ones borrow strength from the rest. The numbers are those of
``esda.smoothing.Empirical_Bayes`` except that a negative estimate of the between-area variance
is clamped to zero (esda leaves it negative, which can push weights outside [0, 1]); then every
area gets the overall rate, the honest answer when areas do not differ more than chance.

All functions broadcast over a trailing period axis: ``counts`` and ``population`` may be
(n_areas,) or (n_areas, n_periods), one column per period.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["PER", "eb_global", "eb_spatial", "raw_rate", "usable"]

PER = 100_000
FloatArray = npt.NDArray[np.float64]


def usable(population: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Areas with a positive population: the only ones a rate can be computed for."""
    pop = np.asarray(population, dtype=float)
    return np.isfinite(pop) & (pop > 0)


def raw_rate(counts: npt.ArrayLike, population: npt.ArrayLike, per: float = PER) -> FloatArray:
    """Incidents per `per` residents; NaN where the population is zero or missing."""
    e = np.asarray(counts, dtype=float)
    b = np.asarray(population, dtype=float)
    ok = usable(b)
    out = np.full(np.broadcast(e, b).shape, np.nan)
    np.divide(e, b, out=out, where=ok)
    return out * per


def _masked(e: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    ok = usable(b) & np.isfinite(e)
    return np.where(ok, e, 0.0), np.where(ok, b, 0.0), ok


def eb_global(counts: npt.ArrayLike, population: npt.ArrayLike, per: float = PER) -> FloatArray:
    """Marshall's global empirical-Bayes rate per `per`; NaN where there is no population."""
    e, b, ok = _masked(np.asarray(counts, dtype=float), np.asarray(population, dtype=float))
    n = ok.sum(axis=0)
    b_sum = b.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = e.sum(axis=0) / b_sum
        r = np.where(ok, e / np.where(ok, b, 1.0), 0.0)
        s2 = (b * (r - m) ** 2).sum(axis=0) / b_sum
        phi = np.maximum(s2 - m / (b_sum / n), 0.0)
        weight = np.where(ok, phi / (phi + m / np.where(ok, b, 1.0)), 0.0)
        # All-zero counts: m = 0 and phi = 0 make 0/0; every rate is then 0.
        weight = np.nan_to_num(weight, nan=0.0)
        smoothed = weight * r + (1.0 - weight) * m
    return np.where(ok, smoothed, np.nan) * per


def eb_spatial(
    counts: npt.ArrayLike, population: npt.ArrayLike, neighbours: sparse.spmatrix, per: float = PER
) -> FloatArray:
    """Spatial EB: shrink towards the rate of the area and its neighbours rather than the whole map.

    Same estimator as ``esda.smoothing.Spatial_Empirical_Bayes`` with binary neighbours, as one
    sparse product over all areas (esda loops over areas in Python)."""
    e, b, ok = _masked(np.asarray(counts, dtype=float), np.asarray(population, dtype=float))
    a = (sparse.csr_matrix(neighbours, dtype=float) + sparse.identity(neighbours.shape[0], format="csr")).tocsr()
    # Areas without a population take no part in their neighbours' local means.
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(ok, e / np.where(ok, b, 1.0), 0.0)
        b_local = a @ b
        m = (a @ e) / b_local
        size = a @ ok.astype(float)
        spread = (a @ (b * r * r)) - 2 * m * (a @ (b * r)) + m * m * b_local
        phi = np.maximum(spread / b_local - m / (b_local / size), 0.0)
        weight = np.nan_to_num(phi / (phi + m / np.where(ok, b, 1.0)), nan=0.0)
        smoothed = m + (r - m) * weight
    return np.where(ok, smoothed, np.nan) * per
