"""The effectiveness report's statistics against statsmodels and against formulas written out here.

Two checks per quantity: the module must give exactly what the statsmodels call gives (so it wraps the
library and nothing else), and statsmodels must give what the textbook formula gives (so a change in the
library, or a wrong argument order, cannot slip through). The textbook versions below use only the
standard library's ``NormalDist`` and ``math``.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from campaigns.outcome_stats import (
    LIKERT_LEVELS,
    MIN_N,
    Estimate,
    change,
    likert,
    powered,
    sample_size_per_wave,
    share,
    shares,
    too_few,
)

TOL = 1e-9
NS = (1, 2, 3, 5, 10, 30, 97, 412)
GRID = [(count, n) for n in NS for count in sorted({0, 1, n // 3, n // 2, n - 1, n}) if 0 <= count <= n]
PAIRS = [
    (c1, n1, c2, n2)
    for (c1, n1) in GRID[::3] + [(87, 415)]
    for (c2, n2) in GRID[1::4] + [(185, 412)]
]


def _z(alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def wilson_formula(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson (1927) score interval, closed form."""
    z = _z(alpha)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_formula(c1: int, n1: int, c2: int, n2: int, alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe (1998) method 10 for p1 - p2: the hybrid score interval from the two Wilson intervals."""
    p1, p2 = c1 / n1, c2 / n2
    l1, u1 = wilson_formula(c1, n1, alpha)
    l2, u2 = wilson_formula(c2, n2, alpha)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def pooled_z_formula(c1: int, n1: int, c2: int, n2: int) -> tuple[float, float]:
    """Two-proportion z test with the pooled variance; two-sided p from the normal tail."""
    pooled = (c1 + c2) / (n1 + n2)
    z = (c1 / n1 - c2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, math.erfc(abs(z) / math.sqrt(2))


# --- shares -------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.10, 0.01])
def test_share_matches_statsmodels_and_the_wilson_formula(alpha: float) -> None:
    for count, n in GRID:
        estimate = share(count, n, alpha=alpha)
        sm_lower, sm_upper = proportion_confint(count, n, alpha=alpha, method="wilson")
        f_lower, f_upper = wilson_formula(count, n, alpha)
        assert estimate.count == count and estimate.n == n
        assert estimate.share == pytest.approx(count / n, abs=TOL)
        assert estimate.lower == pytest.approx(sm_lower, abs=TOL) == pytest.approx(f_lower, abs=TOL)
        assert estimate.upper == pytest.approx(sm_upper, abs=TOL) == pytest.approx(f_upper, abs=TOL)


def test_shares_is_vectorised_and_agrees_with_share_row_by_row() -> None:
    counts = np.array([count for count, _ in GRID])
    ns = np.array([n for _, n in GRID])
    frame = shares(counts, ns)
    assert list(frame.columns) == ["n", "count", "share", "lower", "upper"]
    sm_lower, sm_upper = proportion_confint(counts, ns, method="wilson")
    np.testing.assert_allclose(frame["lower"], sm_lower, atol=TOL, rtol=0)
    np.testing.assert_allclose(frame["upper"], sm_upper, atol=TOL, rtol=0)
    for row, (count, n) in zip(frame.itertuples(index=False), GRID, strict=True):
        one = share(count, n)
        assert (row.count, row.n) == (count, n)
        assert (row.share, row.lower, row.upper) == pytest.approx((one.share, one.lower, one.upper), abs=TOL)


def test_shares_keeps_a_series_index_and_gives_nan_for_empty_cells_without_warnings() -> None:
    index = pd.MultiIndex.from_tuples([("aware", "baseline"), ("aware", "endline"), ("told", "endline")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = shares(pd.Series([3, 0, 7], index=index), [10, 0, 7])
    assert frame.index.equals(index)
    assert frame.loc[("aware", "endline"), "n"] == 0
    assert frame.loc[("aware", "endline"), ["share", "lower", "upper"]].isna().all()
    assert frame.loc[("told", "endline"), "upper"] == 1.0


def test_held_out_case_share_and_interval() -> None:
    after = share(185, 412)
    assert after.share == pytest.approx(185 / 412, abs=TOL)
    assert (after.lower, after.upper) == pytest.approx(wilson_formula(185, 412), abs=TOL)
    assert (after.lower, after.upper) == pytest.approx((0.40169, 0.49731), abs=5e-6)
    before = share(87, 415)
    assert (before.lower, before.upper) == pytest.approx(wilson_formula(87, 415), abs=TOL)


def test_no_answers_is_no_share_rather_than_zero_percent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert share(0, 0) == Estimate(count=0, n=0, share=None, lower=None, upper=None)


@pytest.mark.parametrize("n", [1, 2, 5, 7, 40, 387])
def test_all_or_nothing_counts_touch_the_bound_and_match_the_closed_form(n: int) -> None:
    z2 = _z(0.05) ** 2
    nobody = share(0, n)
    assert nobody.share == 0.0 and nobody.lower == 0.0
    assert nobody.upper == pytest.approx(z2 / (n + z2), abs=TOL)
    everybody = share(n, n)
    assert everybody.share == 1.0 and everybody.upper == 1.0
    assert everybody.lower == pytest.approx(n / (n + z2), abs=TOL)


@pytest.mark.parametrize(
    ("count", "n"), [(-1, 5), (6, 5), (1.5, 5), (1, 4.5), (float("nan"), 5), (True, 5), ("3", 5)]
)
def test_impossible_counts_are_refused(count: object, n: object) -> None:
    with pytest.raises(ValueError):
        share(count, n)  # type: ignore[arg-type]


def test_whole_floats_are_accepted_as_counts() -> None:
    assert share(3.0, 10.0) == share(3, 10)  # type: ignore[arg-type]


def test_too_few() -> None:
    assert too_few(0) and too_few(MIN_N - 1)
    assert not too_few(MIN_N)


@given(st.integers(min_value=1, max_value=100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_property_the_interval_holds_the_share_inside_zero_one(case: tuple[int, int]) -> None:
    count, n = case
    estimate = share(count, n)
    assert estimate.share is not None and estimate.lower is not None and estimate.upper is not None
    assert 0.0 <= estimate.lower <= estimate.share <= estimate.upper <= 1.0
    row = shares([count], [n]).iloc[0]
    assert 0.0 <= row["lower"] <= row["share"] <= row["upper"] <= 1.0


# --- change -------------------------------------------------------------------------------------


def test_change_matches_statsmodels_and_the_formulas_on_a_grid() -> None:
    checked = 0
    for c_after, n_after, c_before, n_before in PAIRS:
        result = change(c_before, n_before, c_after, n_after)
        assert result.difference == pytest.approx(c_after / n_after - c_before / n_before, abs=TOL)
        sm = confint_proportions_2indep(c_after, n_after, c_before, n_before, method="newcomb")
        assert (result.lower, result.upper) == pytest.approx(sm, abs=TOL)
        assert (result.lower, result.upper) == pytest.approx(
            newcombe_formula(c_after, n_after, c_before, n_before), abs=TOL
        )
        pooled = (c_after + c_before) / (n_after + n_before)
        if pooled in (0.0, 1.0):
            assert result.statistic is None and result.p_value is None
            continue
        sm_z, sm_p = proportions_ztest(np.array([c_after, c_before]), np.array([n_after, n_before]))
        f_z, f_p = pooled_z_formula(c_after, n_after, c_before, n_before)
        assert result.statistic == pytest.approx(sm_z, abs=TOL) == pytest.approx(f_z, abs=TOL)
        assert result.p_value == pytest.approx(sm_p, abs=TOL) == pytest.approx(f_p, abs=TOL)
        checked += 1
    assert checked > 50


def test_held_out_change_185_of_412_after_87_of_415_before() -> None:
    result = change(87, 415, 185, 412)
    assert result.before.share == pytest.approx(87 / 415, abs=TOL)
    assert result.after.share == pytest.approx(185 / 412, abs=TOL)
    assert result.difference == pytest.approx(185 / 412 - 87 / 415, abs=TOL)
    assert (result.lower, result.upper) == pytest.approx(newcombe_formula(185, 412, 87, 415), abs=TOL)
    z, p = pooled_z_formula(185, 412, 87, 415)
    assert result.statistic == pytest.approx(z, abs=TOL)
    assert result.p_value == pytest.approx(p, rel=1e-6, abs=1e-15)  # p ~ 2e-13: relative, not absolute
    assert (result.lower, result.upper, result.statistic) == pytest.approx((0.17628, 0.29986, 7.32658), abs=5e-5)
    assert result.significant()


def test_a_fall_is_a_negative_difference() -> None:
    result = change(185, 412, 87, 415)
    assert result.difference is not None and result.upper is not None and result.statistic is not None
    assert result.difference < 0 and result.upper < 0 and result.statistic < 0
    assert result.significant()


def test_the_interval_decides_when_the_z_test_says_significant() -> None:
    # 0 of 20 -> 4 of 20: the z test says p = 0.035, Newcombe's interval reaches just below 0.
    result = change(0, 20, 4, 20)
    assert result.p_value is not None and result.lower is not None
    assert result.p_value < 0.05
    assert -0.001 < result.lower < 0
    assert not result.significant()


def test_the_interval_decides_when_the_z_test_says_not_significant() -> None:
    # 35 of 50 -> 9 of 20: p = 0.0505, but Newcombe's interval ends just short of 0.
    result = change(35, 50, 9, 20)
    assert result.p_value is not None and result.upper is not None
    assert result.p_value > 0.05
    assert -0.001 < result.upper < 0
    assert result.significant()


def test_significant_at_another_alpha_recomputes_the_interval() -> None:
    result = change(0, 20, 4, 20)
    low, upp = newcombe_formula(4, 20, 0, 20, alpha=0.10)
    assert low > 0
    assert result.significant(0.10)
    assert not change(35, 50, 9, 20).significant(0.01)


def test_an_empty_wave_gives_no_change_and_is_never_significant() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in (change(0, 0, 5, 10), change(5, 10, 0, 0), change(0, 0, 0, 0)):
            assert result.difference is None and result.lower is None and result.upper is None
            assert result.statistic is None and result.p_value is None
            assert not result.significant()


@pytest.mark.parametrize(("count", "n"), [(0, 15), (15, 15)])
def test_same_all_or_nothing_answer_in_both_waves_has_no_z_but_an_interval(count: int, n: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = change(count, n, count, n)
    assert result.difference == 0.0
    assert result.statistic is None and result.p_value is None
    assert result.lower is not None and result.upper is not None
    assert result.lower < 0 < result.upper
    assert not result.significant()


def test_a_change_from_nobody_to_everybody_stays_within_one() -> None:
    result = change(0, 1, 1044, 1044)
    assert result.upper == 1.0
    result = change(1044, 1044, 0, 1)
    assert result.lower == -1.0


def test_tiny_waves() -> None:
    result = change(0, 1, 1, 1)
    assert result.difference == 1.0
    assert (result.lower, result.upper) == pytest.approx(newcombe_formula(1, 1, 0, 1), abs=TOL)
    assert not result.significant()


@given(
    st.integers(1, 5_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 5_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_property_the_change_interval_holds_the_difference(
    before: tuple[int, int], after: tuple[int, int]
) -> None:
    result = change(*before, *after)
    assert result.lower is not None and result.upper is not None and result.difference is not None
    assert -1.0 <= result.lower <= result.difference <= result.upper <= 1.0


# --- likert -------------------------------------------------------------------------------------


LIKERT_CASES = [
    [5, 10, 3, 20, 7],
    [0, 0, 0, 1, 1],
    [1, 0, 0, 0, 1],
    [100, 0, 0, 0, 0],
    [2, 3, 5, 7, 11],
    [0, 40, 0, 0, 3],
]


@pytest.mark.parametrize("counts", LIKERT_CASES)
def test_likert_mean_and_t_interval_against_the_expanded_answers(counts: list[int]) -> None:
    answers = np.repeat(np.array(LIKERT_LEVELS, dtype=float), counts)
    n = answers.size
    result = likert(counts)
    assert result.n == n
    assert result.mean == pytest.approx(answers.mean(), abs=TOL)
    half = scipy.stats.t.ppf(0.975, df=n - 1) * answers.std(ddof=1) / math.sqrt(n)
    assert (result.lower, result.upper) == pytest.approx((answers.mean() - half, answers.mean() + half), abs=TOL)
    for level, estimate in zip(LIKERT_LEVELS, result.distribution, strict=True):
        assert estimate == result.level(level)
        assert estimate.count == counts[level - 1] and estimate.n == n
        assert (estimate.lower, estimate.upper) == pytest.approx(wilson_formula(counts[level - 1], n), abs=TOL)


def test_likert_accepts_a_mapping_with_missing_levels() -> None:
    assert likert({4: 20, 1: 5, 2: 10, 3: 3, 5: 7}) == likert([5, 10, 3, 20, 7])
    assert likert({5: 3}) == likert(np.array([0, 0, 0, 0, 3]))


def test_likert_with_no_answers_or_one_answer() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = likert([0, 0, 0, 0, 0])
        single = likert({3: 1})
    assert empty.n == 0 and empty.mean is None and empty.lower is None and empty.upper is None
    assert all(estimate.share is None for estimate in empty.distribution)
    assert single.mean == 3.0 and single.lower is None and single.upper is None


def test_likert_everyone_agreeing_gives_a_zero_width_interval() -> None:
    result = likert({4: 12})
    assert (result.mean, result.lower, result.upper) == (4.0, 4.0, 4.0)


@pytest.mark.parametrize("bad", [{0: 3}, {6: 1}, [1, 2, 3, 4], [1, 2, 3, 4, 5, 6], [1, -2, 3, 4, 5], [1, 2.5, 3, 4, 5]])
def test_likert_refuses_bad_counts(bad: object) -> None:
    with pytest.raises(ValueError):
        likert(bad)  # type: ignore[arg-type]


# --- sample size --------------------------------------------------------------------------------


def sample_size_formula(p_before: float, p_after: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Per-group n for two independent samples with Cohen's h: 2 * ((z_{1-alpha/2} + z_power) / h) ** 2.

    The factor 2 is there because the change is between two independent waves, each with its own
    sampling error; ((z + z) / h) ** 2 without it is the one-sample formula (a wave against a known value).
    """
    h = 2 * math.asin(math.sqrt(p_after)) - 2 * math.asin(math.sqrt(p_before))
    return 2 * ((_z(alpha) + NormalDist().inv_cdf(power)) / h) ** 2


def test_sample_size_worked_case() -> None:
    # h = 2 asin(sqrt .3) - 2 asin(sqrt .2) = 0.23198; 2 * ((1.95996 + 0.84162) / 0.23198) ** 2 = 291.69
    assert sample_size_formula(0.2, 0.3) == pytest.approx(291.69, abs=0.01)
    assert sample_size_per_wave(0.2, 0.3) == 292


@pytest.mark.parametrize(
    ("p_before", "p_after", "alpha", "power"),
    [
        (0.2, 0.3, 0.05, 0.8),
        (0.3, 0.2, 0.05, 0.8),
        (0.1, 0.15, 0.05, 0.9),
        (0.5, 0.6, 0.01, 0.8),
        (0.05, 0.2, 0.10, 0.8),
        (0.4, 0.7, 0.05, 0.95),
        (0.0, 0.1, 0.05, 0.8),
    ],
)
def test_sample_size_against_the_normal_approximation(
    p_before: float, p_after: float, alpha: float, power: float
) -> None:
    needed = sample_size_per_wave(p_before, p_after, alpha=alpha, power=power)
    assert isinstance(needed, int)
    assert abs(needed - sample_size_formula(p_before, p_after, alpha, power)) <= 1


def test_powered_needs_both_waves_to_reach_the_plan() -> None:
    assert powered(292, 292, 0.2, 0.3)
    assert powered(1000, 292, 0.2, 0.3)
    assert not powered(291, 1000, 0.2, 0.3)
    assert not powered(0, 0, 0.2, 0.3)


@pytest.mark.parametrize(
    ("p_before", "p_after", "alpha", "power"),
    [(0.2, 0.2, 0.05, 0.8), (-0.1, 0.2, 0.05, 0.8), (0.2, 1.1, 0.05, 0.8), (0.2, 0.3, 0.0, 0.8), (0.2, 0.3, 0.05, 1.0)],
)
def test_sample_size_refuses_impossible_plans(p_before: float, p_after: float, alpha: float, power: float) -> None:
    with pytest.raises(ValueError):
        sample_size_per_wave(p_before, p_after, alpha=alpha, power=power)


def test_sample_size_where_the_statsmodels_solver_gives_up_is_an_error_not_nan() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="could not solve"):
            sample_size_per_wave(0.0, 1.0)
