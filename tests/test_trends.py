"""Mann-Kendall trends and Esri emerging hot-spot categories (pure library, no app)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

import numpy as np
import pandas as pd
import pymannkendall
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from libpysal import examples
from scipy.stats import norm

from targeting.trends import (
    COLD_PATTERNS,
    HOT_PATTERNS,
    NO_PATTERN,
    PATTERNS,
    MannKendall,
    _pattern_masks,
    emerging_patterns,
    mann_kendall,
    rising_since,
    trend_labels,
)

TOL = 1e-9


# --- Mann-Kendall against pymannkendall ----------------------------------------------------------


def _reference_rows(values: np.ndarray) -> dict[str, np.ndarray]:
    """pymannkendall, one row at a time: the loop the vectorised version replaces."""
    rows = [pymannkendall.original_test(row) for row in values]
    return {
        "s": np.array([r.s for r in rows], dtype=float),
        "var_s": np.array([r.var_s for r in rows], dtype=float),
        "tau": np.array([r.Tau for r in rows], dtype=float),
        "z": np.array([r.z for r in rows], dtype=float),
        "p": np.array([r.p for r in rows], dtype=float),
        "slope": np.array([pymannkendall.sens_slope(row).slope for row in values], dtype=float),
    }


def _assert_matches_reference(values: np.ndarray, mk: MannKendall) -> None:
    ref = _reference_rows(values)
    for field in ("s", "var_s", "tau", "z", "p", "slope"):
        np.testing.assert_allclose(getattr(mk, field), ref[field], rtol=0, atol=TOL, err_msg=field)


@pytest.mark.parametrize("n_periods", range(3, 13))
def test_matches_pymannkendall_on_random_series_with_ties(n_periods: int) -> None:
    rng = np.random.default_rng(n_periods)
    ties = rng.integers(0, 4, size=(150, n_periods)).astype(float)  # many tied values
    continuous = rng.normal(size=(50, n_periods)).cumsum(axis=1)  # some clear trends
    trending = np.arange(n_periods) * rng.uniform(-1, 1, size=(50, 1)) + rng.integers(0, 3, size=(50, n_periods))
    values = np.vstack([ties, continuous, trending])
    _assert_matches_reference(values, mann_kendall(values))


def test_matches_pymannkendall_with_missing_periods() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 5, size=(400, 10)).astype(float)
    holes = rng.random(values.shape) < 0.25
    holes[:, :2] = False  # at least two finite values, which pymannkendall needs
    values[holes] = np.nan
    mk = mann_kendall(values)
    _assert_matches_reference(values, mk)
    np.testing.assert_array_equal(mk.n, np.isfinite(values).sum(axis=1))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(3, 12).flatmap(
        lambda t: arrays(np.float64, (4, t), elements=st.sampled_from([0.0, 1.0, 2.0, 2.5, -1.0, 1e6]))
    )
)
def test_matches_pymannkendall_property(values: np.ndarray) -> None:
    _assert_matches_reference(values, mann_kendall(values))


def _income_windows(width: int) -> np.ndarray:
    """Every run of `width` consecutive years of per-capita income for the 48 contiguous states."""
    income = pd.read_csv(examples.get_path("usjoin.csv"))
    years = income.loc[:, "1929":"2009"].to_numpy(dtype=float)
    return np.vstack([years[:, start : start + width] for start in range(years.shape[1] - width + 1)])


def test_real_series_us_income_all_rows_in_one_call() -> None:
    """Real data bundled with libpysal: 3,744 four-year windows of state income (1929-2009)."""
    values = _income_windows(4)
    assert values.shape == (3744, 4)
    mk = mann_kendall(values)
    for field in ("s", "tau", "z", "p", "slope"):
        assert getattr(mk, field).shape == (3744,)
        assert np.isfinite(getattr(mk, field)).all()
    rows = np.random.default_rng(0).choice(len(values), size=300, replace=False)
    _assert_matches_reference(values[rows], MannKendall(**{k: v[rows] for k, v in vars(mk).items()}))
    # The same rows in a call of their own give the same answer (no cross-row leakage).
    _assert_matches_reference(values[rows], mann_kendall(values[rows]))


def test_real_series_longer_windows_and_st_louis_homicides() -> None:
    values = _income_windows(12)[::7]
    _assert_matches_reference(values, mann_kendall(values))
    homicides = pd.read_csv(examples.get_path("stl_hom.csv"))[["HR7984", "HR8488", "HR8893"]].to_numpy(dtype=float)
    _assert_matches_reference(homicides, mann_kendall(homicides))


def test_real_series_us_county_homicides_when_installed() -> None:
    """NAT (3,085 US counties, homicide rates 1960-90) ships with older libpysal; newer ones download it."""
    path = examples.get_path("NAT.shp")
    if not path:
        pytest.skip("libpysal's NAT example is not installed (no download in tests)")
    gpd = pytest.importorskip("geopandas")
    values = gpd.read_file(path)[["HR60", "HR70", "HR80", "HR90"]].to_numpy(dtype=float)
    assert values.shape == (3085, 4)
    mk = mann_kendall(values)
    assert np.isfinite(mk.p).all()
    rows = np.random.default_rng(1).choice(len(values), size=300, replace=False)
    _assert_matches_reference(values[rows], mann_kendall(values[rows]))


def test_degenerate_rows() -> None:
    values = np.array(
        [
            [np.nan, np.nan, np.nan, np.nan],  # nothing
            [np.nan, 3.0, np.nan, np.inf],  # one finite value (inf is missing)
            [2.0, 2.0, np.nan, 2.0],  # all tied: zero variance
        ]
    )
    mk = mann_kendall(values)
    np.testing.assert_array_equal(mk.s, [0, 0, 0])
    np.testing.assert_array_equal(mk.z, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(mk.p, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(mk.n, [0, 1, 3])
    assert np.isnan(mk.tau[:2]).all() and mk.tau[2] == 0.0
    assert np.isnan(mk.slope[:2]).all() and mk.slope[2] == 0.0
    assert list(trend_labels(mk)) == ["insufficient data", "insufficient data", "stable"]


def test_input_is_not_modified_and_must_be_2d() -> None:
    values = np.array([[1.0, np.inf, 3.0]])
    mann_kendall(values)
    assert np.isinf(values[0, 1])
    with pytest.raises(ValueError, match="2-D"):
        mann_kendall(np.arange(5.0))


# --- labels --------------------------------------------------------------------------------------


def test_trend_labels() -> None:
    values = np.array(
        [
            np.arange(10.0),  # steadily rising
            np.arange(10.0)[::-1],  # steadily falling
            np.full(10, 4.0),  # flat
            [np.nan] * 9 + [5.0],  # a single value
            [1.0, 3.0, 2.0, 4.0, 1.0, 3.0, 2.0, 4.0, 1.0, 3.0],  # no trend
        ]
    )
    labels = trend_labels(mann_kendall(values))
    assert list(labels) == ["rising", "falling", "stable", "insufficient data", "stable"]
    with pytest.raises(ValueError, match="alpha"):
        trend_labels(mann_kendall(values), alpha=1.5)


def test_trend_label_respects_alpha() -> None:
    mk = mann_kendall(np.array([[1.0, 2.0, 3.0, 4.0]]))  # p = 0.089, the best four periods can do
    assert trend_labels(mk)[0] == "stable"
    assert trend_labels(mk, alpha=0.10)[0] == "rising"


def test_rising_since() -> None:
    periods = list(range(2015, 2025))
    values = np.array(
        [
            [5, 4, 1, 2, 3, 6, 7, 8, 9, 10],  # low in 2017
            [3, 1, 2, 1, 4, 5, 6, 7, 8, 9],  # tied low: the later one, 2018
            [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],  # rising from the start
            [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],  # falling: None
            [4, 4, 4, 4, 4, 4, 4, 4, 4, 4],  # flat: None
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 0],  # MK still rising, but back below its low: None
            [9, 1, 2, 3, 4, 5, 6, 7, 8, np.nan],  # final year missing: low before 2023 is 2016
        ],
        dtype=float,
    )
    assert list(trend_labels(mann_kendall(values))) == ["rising"] * 3 + ["falling", "stable", "rising", "rising"]
    since = rising_since(values, periods)
    assert since.dtype == object
    assert list(since) == [2017, 2018, 2015, None, None, None, 2016]
    with pytest.raises(ValueError, match="one label per column"):
        rising_since(values, periods[:-1])


# --- emerging hot spots --------------------------------------------------------------------------

SIG, NOT = 0.01, 0.5


def _row(
    hot: AbstractSet[int] = frozenset(), cold: AbstractSet[int] = frozenset(), n: int = 10
) -> tuple[list[float], list[float]]:
    """A 10-period Gi* row: z = +3 / -3 and p = 0.01 in the given periods, z = 0.5 and p = 0.5 elsewhere."""
    z = [3.0 if i in hot else -3.0 if i in cold else 0.5 for i in range(n)]
    p = [SIG if i in hot | cold else NOT for i in range(n)]
    return z, p


def _hot_rows() -> dict[str, tuple[list[float], list[float]]]:
    every = [SIG] * 10
    return {
        "new hot spot": _row(hot={9}),
        "consecutive hot spot": _row(hot={7, 8, 9}),
        "intensifying hot spot": ([float(v) for v in range(2, 12)], every),
        "persistent hot spot": ([3.0, 4.0] * 5, every),
        "diminishing hot spot": ([float(v) for v in range(11, 1, -1)], every),
        "sporadic hot spot": _row(hot={1, 4, 9}),
        "oscillating hot spot": _row(hot={5, 9}, cold={2}),
        "historical hot spot": _row(hot=set(range(9))),
    }


def _mirror(label: str) -> str:
    if label.endswith("hot spot"):
        return label.replace("hot spot", "cold spot")
    return label.replace("cold spot", "hot spot")


def _case_table() -> tuple[list[str], np.ndarray, np.ndarray]:
    hot = _hot_rows()
    cases = {label: row for label, row in hot.items()}
    cases.update({_mirror(label): ([-v for v in z], p) for label, (z, p) in hot.items()})
    labels = [*cases, NO_PATTERN, NO_PATTERN]
    z = [row[0] for row in cases.values()] + [_row()[0], _row(hot={3, 5})[0]]
    p = [row[1] for row in cases.values()] + [_row()[1], _row(hot={3, 5})[1]]
    return labels, np.array(z), np.array(p)


def test_every_category_is_recognised() -> None:
    labels, z, p = _case_table()
    assert set(labels) == set(PATTERNS) and len(PATTERNS) == 17
    assert list(emerging_patterns(z, p)) == labels


@pytest.mark.parametrize(
    ("hot", "cold", "expected"),
    [
        ({9}, {1}, "oscillating hot spot"),  # cold before, new hot now: the flip wins over "new"
        ({8, 9}, {1}, "oscillating hot spot"),  # ... and over "consecutive"
        (set(range(9)), {9}, "oscillating cold spot"),  # the final period's side wins over "historical"
        (set(range(1, 10)), set(), "persistent hot spot"),  # 9 of 10 hot: not consecutive
        ({9}, set(), "new hot spot"),
        ({9, 5}, set(), "sporadic hot spot"),  # not new: hot before
        ({3, 8, 9}, set(), "sporadic hot spot"),  # not consecutive: hot before the run
        (set(range(8)) | {9}, set(), "persistent hot spot"),  # 9 of 10 with a gap: still 90 %
        (set(range(1, 8)) | {9}, set(), "sporadic hot spot"),  # 8 of 10 hot, gap before final
        (set(range(2, 10)), set(), "consecutive hot spot"),  # run of 8 (< 90 %), nothing before it
        (set(range(8)), set(), NO_PATTERN),  # 80 % hot, not hot now
    ],
)
def test_priority_between_overlapping_definitions(hot: set[int], cold: set[int], expected: str) -> None:
    z, p = _row(hot=hot, cold=cold)
    assert emerging_patterns(np.array([z]), np.array([p]))[0] == expected


def test_confidence_and_missing_values() -> None:
    z, p = _row(hot={9})
    p[9] = 0.03
    assert emerging_patterns(np.array([z]), np.array([p]), confidence=0.95)[0] == "new hot spot"
    assert emerging_patterns(np.array([z]), np.array([p]), confidence=0.99)[0] == NO_PATTERN
    z[9] = np.nan
    assert emerging_patterns(np.array([z]), np.array([p]))[0] == NO_PATTERN  # NaN z: not significant
    z, p = _row(hot={7, 8, 9})
    p[8] = np.nan
    assert emerging_patterns(np.array([z]), np.array([p]))[0] == "sporadic hot spot"  # NaN p breaks the run


def test_needs_four_periods() -> None:
    z = np.ones((2, 3))
    with pytest.raises(ValueError, match="at least 4 periods"):
        emerging_patterns(z, np.full((2, 3), 0.01))
    with pytest.raises(ValueError, match="same shape"):
        emerging_patterns(np.ones((2, 4)), np.ones((2, 5)))
    with pytest.raises(ValueError, match="confidence"):
        emerging_patterns(np.ones((2, 4)), np.ones((2, 4)), confidence=90)
    assert emerging_patterns(np.full((1, 4), 3.0), np.full((1, 4), 0.01))[0] == "persistent hot spot"


def _reference_pattern(z: np.ndarray, p: np.ndarray, confidence: float, trend_alpha: float) -> str:
    """One area, written as a plain if-chain straight from the definitions (independent of the masks)."""
    n = len(z)
    hot = [bool(pi < 1 - confidence and zi > 0) for pi, zi in zip(p, z, strict=True)]
    cold = [bool(pi < 1 - confidence and zi < 0) for pi, zi in zip(p, z, strict=True)]
    sig = [h or c for h, c in zip(hot, cold, strict=True)]  # z = 0 is neither, whatever its p
    mk = mann_kendall(z[None, :])
    up = bool(mk.p[0] < trend_alpha and mk.s[0] > 0)
    down = bool(mk.p[0] < trend_alpha and mk.s[0] < 0)

    def side(this: list[bool], other: list[bool], stronger: bool, weaker: bool, word: str) -> str:
        if sum(this) / n >= 0.9 - 1e-12:
            return f"intensifying {word}" if stronger else f"diminishing {word}" if weaker else f"persistent {word}"
        if any(other):
            return f"oscillating {word}"
        if sum(sig) == 1:
            return f"new {word}"
        run = 0
        while run < n and this[n - 1 - run]:
            run += 1
        if run >= 2 and sum(sig) == run:
            return f"consecutive {word}"
        return f"sporadic {word}"

    if hot[-1]:
        return side(hot, cold, up, down, "hot spot")
    if cold[-1]:
        return side(cold, hot, down, up, "cold spot")
    if sum(hot) / n >= 0.9 - 1e-12:
        return "historical hot spot"
    if sum(cold) / n >= 0.9 - 1e-12:
        return "historical cold spot"
    return NO_PATTERN


@st.composite
def gi_results(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Gi* rows biased towards long hot or cold runs, so the 90 % categories actually occur."""
    n_areas = draw(st.integers(1, 6))
    n_periods = draw(st.integers(4, 12))
    pools = ["HHHHHHHHHN", "CCCCCCCCCH", "HCNNZX", "NNNNNNH"]
    z = np.empty((n_areas, n_periods))
    p = np.empty((n_areas, n_periods))
    for r in range(n_areas):
        pool = draw(st.sampled_from(pools))
        for t in range(n_periods):
            state = draw(st.sampled_from(pool))
            size = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 4.5]))
            if state in "HC":
                z[r, t] = size if state == "H" else -size
                p[r, t] = draw(st.sampled_from([0.001, 0.04, 0.0999]))
            else:
                z[r, t] = {"N": draw(st.sampled_from([-size, size])), "Z": 0.0, "X": np.nan}[state]
                p[r, t] = draw(st.sampled_from([0.1, 0.5, np.nan])) if state == "N" else 0.01
    return z, p


@settings(max_examples=250, deadline=None)
@given(gi_results(), st.sampled_from([0.90, 0.95, 0.99]), st.sampled_from([0.05, 0.10]))
def test_patterns_property(data: tuple[np.ndarray, np.ndarray], confidence: float, trend_alpha: float) -> None:
    z, p = data
    labels = emerging_patterns(z, p, confidence=confidence, trend_alpha=trend_alpha)
    assert labels.shape == (z.shape[0],)
    assert set(labels) <= set(PATTERNS)
    # Exactly one category per area, not merely the first np.select happened to pick.
    masks = _pattern_masks(z, p, confidence=confidence, trend_alpha=trend_alpha)
    assert list(masks) == list(PATTERNS)
    np.testing.assert_array_equal(np.sum(list(masks.values()), axis=0), 1)
    # Negating z mirrors every hot label to its cold twin and back.
    mirrored = emerging_patterns(-z, p, confidence=confidence, trend_alpha=trend_alpha)
    assert list(mirrored) == [_mirror(label) for label in labels]
    # And the vectorised rules agree with a per-area if-chain.
    expected = [_reference_pattern(z[i], p[i], confidence, trend_alpha) for i in range(len(z))]
    assert list(labels) == expected


def test_pattern_names() -> None:
    assert len(HOT_PATTERNS) == len(COLD_PATTERNS) == 8
    assert [_mirror(h) for h in HOT_PATTERNS] == list(COLD_PATTERNS)
    assert PATTERNS[-1] == NO_PATTERN


def test_large_input_runs_vectorised() -> None:
    """A national-size table in one call (kept modest so the suite stays fast)."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(20_000, 8)) + np.linspace(-1, 1, 8)
    p = 2 * norm.sf(np.abs(z))
    labels = emerging_patterns(z, p)
    assert labels.shape == (20_000,)
    assert set(labels) <= set(PATTERNS)
