"""Raw and empirical-Bayes rates against esda on the NC SIDS and Georgia demo data."""

from __future__ import annotations

import warnings
from functools import cache

import geopandas
import numpy as np
import pytest
from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes
from libpysal import examples, weights
from scipy import sparse

from targeting.contiguity import queen_contiguity
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from targeting.rates import PER, eb_global, eb_spatial, raw_rate, usable

RTOL = 1e-6


@cache
def _sids() -> geopandas.GeoDataFrame:
    return geopandas.read_file(examples.get_path("sids2.shp"))


@cache
def _sids_w() -> weights.W:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = weights.Queen.from_dataframe(_sids(), use_index=False)
    w.id_order = list(w.id_order)  # esda's spatial smoother insists on an explicit order
    return w


@cache
def _georgia() -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """Counts (areas x years) and population of the Georgia demo, with its queen neighbours."""
    areas = load_demo_areas("georgia")
    counts = synthetic_counts(synthetic_incidents(areas))
    wide = counts.pivot(index="area_id", columns="period", values="count").loc[areas["area_id"]]
    neighbours = queen_contiguity(areas.geometry.values).matrix
    return wide.to_numpy(dtype=float), areas["population"].to_numpy(dtype=float), neighbours


def _esda_eb(e: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(Empirical_Bayes(e, b).r, dtype=float).ravel()


@pytest.mark.parametrize("year", ["74", "79"])
def test_global_eb_matches_esda_on_sids(year: str) -> None:
    e = _sids()[f"SID{year}"].to_numpy(dtype=float)
    b = _sids()[f"BIR{year}"].to_numpy(dtype=float)
    np.testing.assert_allclose(eb_global(e, b, per=1), _esda_eb(e, b), rtol=RTOL, atol=0)
    np.testing.assert_allclose(eb_global(e, b), _esda_eb(e, b) * PER, rtol=RTOL, atol=0)


def test_global_eb_matches_esda_on_georgia_demo() -> None:
    counts, population, _ = _georgia()
    for column in range(counts.shape[1]):
        np.testing.assert_allclose(
            eb_global(counts[:, column], population, per=1),
            _esda_eb(counts[:, column], population),
            rtol=RTOL,
            atol=0,
        )


def test_global_eb_shrinks_small_areas_more() -> None:
    e = _sids()["SID74"].to_numpy(dtype=float)
    b = _sids()["BIR74"].to_numpy(dtype=float)
    raw = raw_rate(e, b, per=1)
    smoothed = eb_global(e, b, per=1)
    overall = e.sum() / b.sum()
    # every smoothed rate lies between the area's own rate and the overall rate
    low, high = np.minimum(raw, overall), np.maximum(raw, overall)
    assert np.all((smoothed >= low - 1e-15) & (smoothed <= high + 1e-15))
    pull = np.abs(smoothed - raw) / np.where(raw != overall, np.abs(overall - raw), 1.0)
    smallest, largest = np.argmin(b), np.argmax(b)
    assert pull[smallest] > pull[largest]


def test_negative_between_area_variance_is_clamped_to_the_overall_rate() -> None:
    rng = np.random.default_rng(7)
    population = 1_000.0 + rng.uniform(-0.5, 0.5, 60)  # same rate up to tiny noise, two cases each
    counts = np.full(60, 2.0)
    overall = counts.sum() / population.sum()
    # esda leaves the variance negative: its weights fall outside [0, 1] and the rates scatter
    esda_rates = _esda_eb(counts, population)
    assert not np.allclose(esda_rates, overall, rtol=1e-9)
    np.testing.assert_allclose(eb_global(counts, population, per=1), overall, rtol=1e-12, atol=0)


def test_all_zero_counts_give_zero_rates() -> None:
    result = eb_global(np.zeros(5), np.array([10.0, 20.0, 30.0, 40.0, 50.0]))
    np.testing.assert_array_equal(result, np.zeros(5))


def test_zero_or_missing_population_gives_nan_and_is_left_out() -> None:
    e = _sids()["SID74"].to_numpy(dtype=float)
    b = _sids()["BIR74"].to_numpy(dtype=float).copy()
    b_bad = b.copy()
    b_bad[[3, 40]] = 0.0
    b_bad[[7]] = np.nan
    e_bad = e.copy()
    e_bad[[3, 7, 40]] = [5.0, 9.0, 1.0]  # counts without a population must not leak into the mean
    result = eb_global(e_bad, b_bad, per=1)
    bad = np.zeros(len(e), dtype=bool)
    bad[[3, 7, 40]] = True
    assert np.isnan(result[bad]).all()
    np.testing.assert_allclose(result[~bad], _esda_eb(e[~bad], b[~bad]), rtol=RTOL, atol=0)
    raw = raw_rate(e_bad, b_bad)
    assert np.isnan(raw[bad]).all()
    np.testing.assert_allclose(raw[~bad], e[~bad] / b[~bad] * PER)
    np.testing.assert_array_equal(usable(b_bad), ~bad)


def test_spatial_eb_matches_esda_on_sids() -> None:
    w = _sids_w()
    neighbours = queen_contiguity(_sids().geometry.values).matrix
    for year in ("74", "79"):
        e = _sids()[f"SID{year}"].to_numpy(dtype=float)
        b = _sids()[f"BIR{year}"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            reference = np.asarray(Spatial_Empirical_Bayes(e, b, w).r, dtype=float).ravel()
        ours = eb_spatial(e, b, neighbours, per=1)
        # esda gives NaN (0/0) where the local mean is 0; those are the only places to skip
        defined = np.isfinite(reference)
        assert defined.sum() >= len(e) - 5
        assert np.isfinite(ours).all()
        np.testing.assert_allclose(ours[defined], reference[defined], rtol=RTOL, atol=0)


def test_spatial_eb_matches_esda_on_georgia_demo() -> None:
    counts, population, neighbours = _georgia()
    w = weights.WSP(neighbours.astype(float)).to_W(silence_warnings=True)
    w.id_order = list(range(len(population)))
    for column in (0, counts.shape[1] - 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            reference = np.asarray(Spatial_Empirical_Bayes(counts[:, column], population, w).r).ravel()
        ours = eb_spatial(counts[:, column], population, neighbours, per=1)
        defined = np.isfinite(reference)
        np.testing.assert_allclose(ours[defined], reference[defined], rtol=RTOL, atol=0)


def test_two_dimensional_input_equals_column_by_column() -> None:
    counts, population, neighbours = _georgia()
    pop2 = np.repeat(population[:, None], counts.shape[1], axis=1)
    pop2[5, 2] = np.nan  # a period without a population figure for one area
    pop2[9, :] = 0.0
    both = {
        "raw": (raw_rate(counts, pop2), lambda c, p: raw_rate(c, p)),
        "global": (eb_global(counts, pop2), lambda c, p: eb_global(c, p)),
        "spatial": (eb_spatial(counts, pop2, neighbours), lambda c, p: eb_spatial(c, p, neighbours)),
    }
    for name, (together, one) in both.items():
        assert together.shape == counts.shape, name
        for column in range(counts.shape[1]):
            np.testing.assert_allclose(
                together[:, column], one(counts[:, column], pop2[:, column]), rtol=1e-12, atol=0, err_msg=name
            )
        assert np.isnan(together[5, 2]) and np.isnan(together[9]).all(), name
    # one population column broadcasts over every period
    repeated = np.repeat(population[:, None], counts.shape[1], axis=1)
    np.testing.assert_array_equal(eb_global(counts, population[:, None]), eb_global(counts, repeated))
