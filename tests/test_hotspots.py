"""Gi* hot spots against esda and statsmodels: z, p, FDR, bins, islands, missing values, permutations."""

from __future__ import annotations

import warnings
from functools import cache

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from libpysal import examples, weights
from scipy import sparse
from scipy.stats import spearmanr
from statsmodels.stats.multitest import multipletests

from targeting.contiguity import queen_contiguity
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from targeting.hotspots import MAX_PERMUTATION_AREAS, confidence_bins, fdr_bh, gi_star, hot_spots
from targeting.rates import eb_global

RTOL = 1e-6


def _w(matrix: sparse.spmatrix) -> weights.W:
    """A libpysal W from a binary sparse matrix, in row order."""
    return weights.WSP(sparse.csr_matrix(matrix, dtype=float)).to_W(silence_warnings=True)


def _esda(y: np.ndarray, matrix: sparse.spmatrix, permutations: int = 0, seed: int | None = None) -> G_Local:
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        return G_Local(y, _w(matrix), transform="B", star=True, permutations=permutations, seed=seed)


@cache
def _columbus() -> tuple[np.ndarray, sparse.csr_matrix]:
    frame = geopandas.read_file(examples.get_path("columbus.shp"))
    return frame["CRIME"].to_numpy(dtype=float), queen_contiguity(frame.geometry.values).matrix


@cache
def _sids_rates() -> tuple[np.ndarray, sparse.csr_matrix]:
    frame = geopandas.read_file(examples.get_path("sids2.shp"))
    rates = eb_global(frame["SID74"].to_numpy(dtype=float), frame["BIR74"].to_numpy(dtype=float))
    return rates, queen_contiguity(frame.geometry.values).matrix


@cache
def _georgia_rates() -> tuple[np.ndarray, sparse.csr_matrix]:
    """EB rates of the Georgia demo, areas x years."""
    areas = load_demo_areas("georgia")
    counts = synthetic_counts(synthetic_incidents(areas))
    wide = counts.pivot(index="area_id", columns="period", values="count").loc[areas["area_id"]]
    rates = eb_global(wide.to_numpy(dtype=float), areas["population"].to_numpy(dtype=float)[:, None])
    return rates, queen_contiguity(areas.geometry.values).matrix


def _cases() -> dict[str, tuple[np.ndarray, sparse.csr_matrix]]:
    georgia, w_georgia = _georgia_rates()
    return {
        "sids2": _sids_rates(),
        "columbus": _columbus(),
        "georgia-first-year": (georgia[:, 0], w_georgia),
        "georgia-last-year": (georgia[:, -1], w_georgia),
    }


@pytest.mark.parametrize("case", ["sids2", "columbus", "georgia-first-year", "georgia-last-year"])
def test_z_p_fdr_match_esda_and_statsmodels(case: str) -> None:
    y, matrix = _cases()[case]
    reference = _esda(y, matrix)
    result = hot_spots(y, matrix)
    np.testing.assert_allclose(result.z, reference.Zs, rtol=RTOL, atol=0)
    np.testing.assert_allclose(gi_star(y, matrix), reference.Zs, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.p, 2 * reference.p_norm, rtol=RTOL, atol=0)
    reject, adjusted, _, _ = multipletests(result.p, alpha=0.05, method="fdr_bh")
    np.testing.assert_allclose(result.p_adjusted, adjusted, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(result.significant, reject)
    assert result.tested.all() and not result.isolated.any()
    np.testing.assert_array_equal(result.bins, confidence_bins(result.z, result.p_adjusted))


def test_two_dimensional_values_equal_column_by_column() -> None:
    rates, matrix = _georgia_rates()
    together = hot_spots(rates, matrix)
    assert together.z.shape == rates.shape
    for column in range(rates.shape[1]):
        one = hot_spots(rates[:, column], matrix)
        np.testing.assert_allclose(together.z[:, column], one.z, rtol=1e-12)
        np.testing.assert_allclose(together.p_adjusted[:, column], one.p_adjusted, rtol=1e-12)
        np.testing.assert_array_equal(together.bins[:, column], one.bins)
    # FDR is applied per period, not over the whole table
    np.testing.assert_allclose(together.p_adjusted, fdr_bh(together.p), rtol=1e-12)


def test_fdr_bh_ignores_nan() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5, np.nan, 0.001])
    ok = np.isfinite(p)
    expected = multipletests(p[ok], method="fdr_bh")[1]
    result = fdr_bh(p)
    assert np.isnan(result[~ok]).all()
    np.testing.assert_allclose(result[ok], expected, rtol=1e-12)


def test_bins_follow_adjusted_p_thresholds() -> None:
    z = np.array([3.5, -3.5, 2.2, -2.2, 1.7, -1.7, 1.0, -1.0, 0.0, np.nan, 2.0, -2.0])
    p = np.array([0.001, 0.01, 0.02, 0.05, 0.07, 0.10, 0.1000001, 0.3, 0.001, 0.001, 0.0100001, 0.0500001])
    expected = [3, -3, 2, -2, 1, -1, 0, 0, 0, 0, 2, -1]
    np.testing.assert_array_equal(confidence_bins(z, p), expected)
    assert confidence_bins(z, p).dtype == np.int8


def test_bins_on_real_data_use_adjusted_not_raw_p() -> None:
    y, matrix = _sids_rates()
    result = hot_spots(y, matrix)
    level = np.select([result.p_adjusted <= 0.01, result.p_adjusted <= 0.05, result.p_adjusted <= 0.10], [3, 2, 1], 0)
    np.testing.assert_array_equal(result.bins, np.sign(result.z).astype(int) * level)
    assert (result.bins != 0).any()
    assert (result.p_adjusted >= result.p).all()


def test_islands_are_flagged_untested_and_unbinned() -> None:
    areas = load_demo_areas("georgia")
    far = geopandas.GeoDataFrame(
        {"area_id": ["99998", "99999"]},
        geometry=[shapely.box(-40.0, 10.0, -39.9, 10.1), shapely.box(-30.0, 10.0, -29.9, 10.1)],
        crs=areas.crs,
    )
    matrix = queen_contiguity(pd.concat([areas, far], ignore_index=True).geometry.values).matrix
    rates, _ = _georgia_rates()
    y = np.r_[rates[:, -1], 500.0, 0.0]  # extreme values: a z well past any threshold, if it counted
    result = hot_spots(y, matrix)
    islands = np.r_[np.zeros(len(areas), dtype=bool), True, True]
    np.testing.assert_array_equal(result.isolated, islands)
    np.testing.assert_array_equal(result.tested, ~islands)
    assert np.isfinite(result.z[islands]).all()  # reported ...
    assert result.z[-2] > 3
    assert (result.bins[islands] == 0).all() and not result.significant[islands].any()  # ... but never binned
    assert np.isnan(result.p_adjusted[islands]).all()
    # the FDR family is the tested areas only
    reject, adjusted, _, _ = multipletests(result.p[~islands], method="fdr_bh")
    np.testing.assert_allclose(result.p_adjusted[~islands], adjusted, rtol=1e-12)
    np.testing.assert_array_equal(result.significant[~islands], reject)
    # esda's z for the rest of the map is unchanged by the islands' presence in the weights
    np.testing.assert_allclose(result.z, _esda(y, matrix).Zs, rtol=RTOL, atol=0)


def test_missing_values_are_left_out_and_neighbours_use_the_subset() -> None:
    rates, matrix = _georgia_rates()
    y = rates[:, -1].copy()
    missing = np.zeros(len(y), dtype=bool)
    missing[[4, 50, 51, 120]] = True
    y[missing] = np.nan
    result = hot_spots(y, matrix)
    assert np.isnan(result.z[missing]).all() and np.isnan(result.p[missing]).all()
    assert not result.tested[missing].any() and (result.bins[missing] == 0).all()
    keep = np.flatnonzero(~missing)
    sub = matrix[keep][:, keep]
    assert (np.diff(sub.tocsr().indptr) > 0).all()  # no new islands, so esda runs cleanly
    reference = _esda(y[keep], sub)
    np.testing.assert_allclose(result.z[keep], reference.Zs, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.p[keep], 2 * reference.p_norm, rtol=RTOL, atol=0)
    np.testing.assert_allclose(result.p_adjusted[keep], multipletests(result.p[keep], method="fdr_bh")[1], rtol=1e-12)
    # the missing areas' neighbours really did change
    touched = np.flatnonzero(np.asarray(matrix[missing].sum(axis=0)).ravel() > 0)
    touched = touched[~missing[touched]]
    full = hot_spots(rates[:, -1], matrix)
    assert touched.size and not np.allclose(result.z[touched], full.z[touched])


def test_missing_values_per_period_are_handled_per_column() -> None:
    rates, matrix = _georgia_rates()
    values = rates[:, :3].copy()
    values[7, 1] = np.nan
    together = hot_spots(values, matrix)
    for column in range(3):
        one = hot_spots(values[:, column], matrix)
        np.testing.assert_allclose(together.z[:, column], one.z, rtol=1e-12, equal_nan=True)
    assert np.isnan(together.z[7, 1]) and np.isfinite(together.z[7, 0])


def test_permutation_p_values() -> None:
    y, matrix = _columbus()
    permutations = 999
    result = hot_spots(y, matrix, permutations=permutations, seed=42)
    assert (result.p >= 1 / (permutations + 1)).all() and (result.p <= 1).all()
    np.testing.assert_allclose(result.z, hot_spots(y, matrix).z)  # z stays analytic
    again = hot_spots(y, matrix, permutations=permutations, seed=42)
    np.testing.assert_array_equal(again.p, result.p)
    other = hot_spots(y, matrix, permutations=permutations, seed=43)
    assert not np.array_equal(other.p, result.p)
    reference = _esda(y, matrix, permutations=permutations, seed=12345)
    two_sided = np.minimum(1.0, 2.0 * reference.p_sim)
    rho = spearmanr(result.p, two_sided).statistic
    assert rho > 0.9, rho
    # the FDR step and bins run on the permutation p-values
    np.testing.assert_allclose(result.p_adjusted, multipletests(result.p, method="fdr_bh")[1], rtol=1e-12)


def test_permutations_refuse_too_many_areas() -> None:
    n = MAX_PERMUTATION_AREAS + 1
    chain = sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], shape=(n, n), format="csr")
    y = np.random.default_rng(0).random(n)
    with pytest.raises(ValueError, match="permutation"):
        hot_spots(y, chain, permutations=99)
    assert np.isfinite(hot_spots(y, chain).z).all()  # the analytic route still works at this size


def test_negative_permutations_are_refused() -> None:
    y, matrix = _columbus()
    with pytest.raises(ValueError, match="permutations must be 0 or more"):
        hot_spots(y, matrix, permutations=-5)


def test_constant_values_give_no_hot_spots() -> None:
    _, matrix = _columbus()
    for value in (0.0, 7.3, 95.04636963259352):
        result = hot_spots(np.full(matrix.shape[0], value), matrix)
        assert not result.significant.any() and (result.bins == 0).all(), value
