"""The statistics of the effectiveness report, as pure functions: counts in, estimates and intervals out.

Issue 12 reports, per outcome x wave x group, how many answered (n), the share who gave the hoped-for
answer with a 95 % Wilson interval, Likert items as a distribution and a mean with a t interval, the
baseline -> endline change with a Newcombe interval and a two-proportion z test, and, at planning, the
sample size per wave needed to detect the change the team hopes for.

Why this module looks the way it does:

* No Flask, no database: the report view and the planner call these functions with plain counts, and the
  tests reach them without an app (the way ``targeting/`` is tested).
* The arithmetic is statsmodels', not ours. Each function validates its counts, calls the well-kept
  library function and packages the result; the tests check statsmodels against independent closed
  formulas so that a change in the library (it calls ``confint_proportions_2indep`` "experimental") shows up.
* A share of nobody is not 0 %. When n == 0 the scalar results carry ``None`` (the template prints "no
  answers") and the vectorised frame carries NaN, never a made-up 0 % with a made-up interval.
* Counts must be whole numbers with 0 <= count <= n; anything else is a bug upstream and raises ValueError
  rather than being silently clipped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)
from statsmodels.stats.weightstats import DescrStatsW

__all__ = [
    "LIKERT_LEVELS",
    "MIN_N",
    "Change",
    "Estimate",
    "Likert",
    "change",
    "likert",
    "powered",
    "sample_size_per_wave",
    "share",
    "shares",
    "too_few",
]

#: Below this many answers the report says "too few answers" instead of leaning on a share: the Wilson
#: interval is still valid, but it is so wide (about +/- 18 points at 30) that a headline would mislead.
MIN_N = 30

#: The levels of a Likert item, 1 = strongly disagree ... 5 = strongly agree.
LIKERT_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)

ArrayLike = npt.ArrayLike


def too_few(n: int) -> bool:
    """True when ``n`` answers are too few for the report to state a share (see ``MIN_N``)."""
    return n < MIN_N


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")


def _whole(values: ArrayLike, name: str) -> npt.NDArray[np.int64]:
    """The values as int64, refusing fractions, negatives and NaN instead of truncating them."""
    array = np.asarray(values)
    numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if array.dtype == np.bool_ or not numeric:
        raise ValueError(f"{name} must be whole numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise ValueError(f"{name} must be whole numbers")
    whole = array.astype(np.int64)
    if np.any(whole < 0):
        raise ValueError(f"{name} must not be negative")
    return whole


def _counts_and_ns(counts: ArrayLike, ns: ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    count_a, n_a = np.broadcast_arrays(_whole(counts, "counts"), _whole(ns, "ns"))
    if np.any(count_a > n_a):
        raise ValueError("a count exceeds its n")
    return count_a, n_a


def _wilson(
    counts: npt.NDArray[np.int64], ns: npt.NDArray[np.int64], alpha: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Share and Wilson bounds, NaN where n == 0 (statsmodels divides by zero there and warns)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lower, upper = proportion_confint(counts, ns, alpha=alpha, method="wilson")
        share_ = counts / ns
    # The Wilson bounds at count 0 and count n are exactly 0 and 1, but statsmodels computes them as
    # centre -/+ half-width and leaves rounding dust (8.7e-19 for 0 of 387, 0.9999999999999999 for 7 of 7),
    # which would make a lower bound sit above a share of 0 %. Pin them to their exact values.
    lower = np.where(counts == 0, 0.0, lower)
    upper = np.where(counts == ns, 1.0, upper)
    empty = ns == 0
    return (
        np.where(empty, np.nan, share_).astype(float),
        np.where(empty, np.nan, lower).astype(float),
        np.where(empty, np.nan, upper).astype(float),
    )


def _maybe(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Estimate:
    """A share with its Wilson interval.

    ``share``, ``lower`` and ``upper`` are ``None`` when ``n == 0``: nobody answered, so there is no share,
    and ``None`` (unlike NaN) cannot slip into arithmetic or be formatted as "nan %" by accident.
    Wilson rather than the textbook Wald interval because Wald collapses to [0, 0] at count 0 and
    leaves [0, 1] at small n, both common in a village-sized survey wave.
    """

    count: int
    n: int
    share: float | None
    lower: float | None
    upper: float | None


def shares(counts: ArrayLike, ns: ArrayLike, alpha: float = 0.05) -> pd.DataFrame:
    """Shares with Wilson intervals for many cells at once (one statsmodels call, no loop over rows).

    Returns a frame with columns ``n, count, share, lower, upper``; rows with ``n == 0`` carry NaN in the
    last three. A pandas Series of counts keeps its index, so a report can pass counts indexed by
    (outcome, wave, group) and get the estimates back on the same index.
    """
    _check_alpha(alpha)
    count_a, n_a = _counts_and_ns(counts, ns)
    share_, lower, upper = _wilson(count_a, n_a, alpha)
    index = counts.index if isinstance(counts, pd.Series) and len(counts) == count_a.size else None
    return pd.DataFrame(
        {
            "n": n_a.ravel(),
            "count": count_a.ravel(),
            "share": share_.ravel(),
            "lower": lower.ravel(),
            "upper": upper.ravel(),
        },
        index=index,
    )


def share(count: int, n: int, alpha: float = 0.05) -> Estimate:
    """One share with its Wilson interval (see ``Estimate`` for n == 0)."""
    _check_alpha(alpha)
    count_a, n_a = _counts_and_ns(count, n)
    share_, lower, upper = _wilson(count_a, n_a, alpha)
    return Estimate(int(count_a), int(n_a), _maybe(share_), _maybe(lower), _maybe(upper))


def _newcombe(
    count_before: int, n_before: int, count_after: int, n_after: int, alpha: float
) -> tuple[float, float]:
    low, upp = confint_proportions_2indep(
        count_after, n_after, count_before, n_before, method="newcomb", compare="diff", alpha=alpha
    )
    # statsmodels builds this on its own, unpinned Wilson bounds, so 0 of 1 -> 1044 of 1044 comes out with an
    # upper bound of 1.0000000000000002. A difference of shares cannot leave [-1, 1]; clip the dust.
    return max(-1.0, float(low)), min(1.0, float(upp))


@dataclass(frozen=True)
class Change:
    """The baseline -> endline change of a share: after - before, Newcombe interval and pooled z test.

    ``difference``, ``lower`` and ``upper`` are ``None`` when either wave has no answers. ``statistic`` and
    ``p_value`` are also ``None`` when both waves gave the same all-or-nothing answer (0 of n or n of n in
    both): the pooled standard error is then 0 and the z statistic 0/0, which statsmodels returns as NaN.

    **Which decides "significant": the Newcombe interval.** ``significant(alpha)`` is true when the
    (1 - alpha) Newcombe interval excludes 0; the p-value is reported beside it but does not decide. The two
    can disagree at the margin both ways: 0 of 20 -> 4 of 20 has p = 0.035 but an interval whose lower end
    is just below 0 (not significant here); 35 of 50 -> 9 of 20 has p = 0.0505 but an interval that ends
    just short of 0 (significant here). We follow the interval because the
    report prints the interval next to the verdict and a reader must never see "significant" beside an
    interval that contains 0, and because Newcombe's hybrid score interval keeps its coverage at small n
    and at 0 % / 100 %, exactly where the normal approximation of the z test is weakest.
    """

    before: Estimate
    after: Estimate
    difference: float | None
    lower: float | None
    upper: float | None
    statistic: float | None
    p_value: float | None
    alpha: float = 0.05

    def significant(self, alpha: float | None = None) -> bool:
        """Whether the (1 - alpha) Newcombe interval excludes 0 (alpha defaults to the one it was built at).

        Never true when a wave is empty: no answers are no evidence.
        """
        if self.before.n == 0 or self.after.n == 0:
            return False
        if alpha is None or alpha == self.alpha:
            lower, upper = self.lower, self.upper
        else:
            _check_alpha(alpha)
            lower, upper = _newcombe(self.before.count, self.before.n, self.after.count, self.after.n, alpha)
        assert lower is not None and upper is not None
        return lower > 0.0 or upper < 0.0


def change(count_before: int, n_before: int, count_after: int, n_after: int, alpha: float = 0.05) -> Change:
    """The change from the baseline wave to the endline wave of one outcome in one group.

    The interval is Newcombe's hybrid score interval (Newcombe 1998, method 10) for after - before, built on
    the two Wilson intervals the report already shows; the test is statsmodels' pooled two-proportion z
    test, two-sided. Scalar because ``proportions_ztest`` is: it takes exactly two samples and raises
    NotImplementedError for a batch of pairs.
    """
    _check_alpha(alpha)
    before = share(count_before, n_before, alpha)
    after = share(count_after, n_after, alpha)
    if before.n == 0 or after.n == 0:
        return Change(before, after, None, None, None, None, None, alpha)
    assert before.share is not None and after.share is not None
    lower, upper = _newcombe(before.count, before.n, after.count, after.n, alpha)
    pooled = (before.count + after.count) / (before.n + after.n)
    if pooled in (0.0, 1.0):
        statistic: float | None = None
        p_value: float | None = None
    else:
        z, p = proportions_ztest(np.array([after.count, before.count]), np.array([after.n, before.n]))
        statistic, p_value = float(z), float(p)
    return Change(before, after, after.share - before.share, lower, upper, statistic, p_value, alpha)


@dataclass(frozen=True)
class Likert:
    """A Likert item: each level's share (Wilson) and the mean level with a t interval.

    ``distribution[i]`` is the Estimate for ``levels[i]``. ``mean`` is ``None`` with no answers; ``lower``
    and ``upper`` are ``None`` with fewer than two (a t interval needs a spread estimate). When every
    answer is the same level the interval is that level on both sides: the sample shows no spread, which
    the report should read as "everyone agreed", not as certainty about the population.
    """

    n: int
    levels: tuple[int, ...]
    distribution: tuple[Estimate, ...]
    mean: float | None
    lower: float | None
    upper: float | None

    def level(self, value: int) -> Estimate:
        """The Estimate for one level (1..5)."""
        return self.distribution[self.levels.index(value)]


def likert(counts_by_level: Mapping[int, int] | Sequence[int] | ArrayLike, alpha: float = 0.05) -> Likert:
    """Summarise a Likert item from how many chose each level.

    Accepts a mapping ``{level: count}`` (missing levels count 0) or five counts for levels 1..5 in order.
    The mean and its t interval are statsmodels' ``DescrStatsW`` with the counts as frequency weights, which
    equals the textbook mean +/- t(n-1) * s / sqrt(n) on the expanded answers without expanding them.
    """
    _check_alpha(alpha)
    if isinstance(counts_by_level, Mapping):
        unknown = set(counts_by_level) - set(LIKERT_LEVELS)
        if unknown:
            raise ValueError(f"Likert levels must be in {LIKERT_LEVELS}, got {sorted(unknown)}")
        raw: ArrayLike = [counts_by_level.get(level, 0) for level in LIKERT_LEVELS]
    else:
        raw = counts_by_level
    counts = _whole(raw, "counts_by_level")
    if counts.shape != (len(LIKERT_LEVELS),):
        raise ValueError(f"expected {len(LIKERT_LEVELS)} counts (levels 1..5), got shape {counts.shape}")
    n = int(counts.sum())
    frame = shares(counts, np.full(counts.shape, n), alpha=alpha)
    distribution = tuple(
        Estimate(int(row.count), int(row.n), _maybe(row.share), _maybe(row.lower), _maybe(row.upper))
        for row in frame.itertuples(index=False)
    )
    mean: float | None = None
    lower: float | None = None
    upper: float | None = None
    if n >= 1:
        stats = DescrStatsW(np.asarray(LIKERT_LEVELS, dtype=float), weights=counts.astype(float))
        mean = float(stats.mean)
        if n >= 2:
            low, upp = stats.tconfint_mean(alpha=alpha)
            lower, upper = float(low), float(upp)
    return Likert(n, LIKERT_LEVELS, distribution, mean, lower, upper)


def _check_probability(p: float, name: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must lie between 0 and 1, got {p!r}")


def sample_size_per_wave(p_before: float, p_after: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Answers needed in each wave (equal waves) to detect a change from ``p_before`` to ``p_after``.

    statsmodels' ``NormalIndPower`` on Cohen's h (``proportion_effectsize``), two-sided, rounded up: the
    planner asks before fieldwork whether the hoped-for change is detectable with the answers a team can
    collect. Raises ValueError when there is no change to detect (``p_before == p_after`` needs infinitely
    many answers) and when statsmodels' root finder gives up, which happens only for changes so large
    (about 0.1 % -> 99.9 %) that fewer than two answers per wave would do.
    """
    _check_probability(p_before, "p_before")
    _check_probability(p_after, "p_after")
    _check_alpha(alpha)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power!r}")
    effect = float(proportion_effectsize(p_after, p_before))
    if effect == 0.0:
        raise ValueError("p_before equals p_after: no change to detect, no finite sample size")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning and sqrt-of-negative warnings; NaN is checked below
        nobs = float(
            NormalIndPower().solve_power(
                effect_size=effect, alpha=alpha, power=power, ratio=1.0, alternative="two-sided"
            )
        )
    if not math.isfinite(nobs):
        raise ValueError(f"statsmodels could not solve the sample size for {p_before!r} -> {p_after!r}")
    return math.ceil(nobs)


def powered(
    n_before: int, n_after: int, p_before: float, p_after: float, alpha: float = 0.05, power: float = 0.8
) -> bool:
    """Whether both waves reached the planned ``sample_size_per_wave``.

    Both waves must reach it, because that is the promise the plan made. This is conservative: a large
    wave can make up for a small one in achieved power, but the report asks "did we collect what we
    planned", not "could a different design have sufficed".
    """
    needed = sample_size_per_wave(p_before, p_after, alpha=alpha, power=power)
    return min(int(n_before), int(n_after)) >= needed


@dataclass(frozen=True)
class DiD:
    """A difference in differences: (campaign after - before) - (comparison after - before).

    For shares it is in percentage points (a linear probability model); ``clusters`` is the number
    of areas the standard error is clustered on, and the interval and p-value use a t distribution
    with ``clusters - 1`` degrees of freedom, as statsmodels does for clustered errors with
    ``use_t=True``: with a dozen areas the normal distribution would claim too much."""

    estimate: float
    lower: float
    upper: float
    se: float
    p_value: float
    n: int
    clusters: int

    def significant(self) -> bool:
        return self.lower > 0.0 or self.upper < 0.0


def did_shares(cells: pd.DataFrame, alpha: float = 0.05) -> DiD | None:
    """Difference in differences of a share, from per-area cells, with area-clustered errors.

    ``cells`` has one row per area x wave: ``area``, ``treated`` (campaign area), ``after``
    (endline), ``n`` (answers) and ``count`` (hoped-for answers). It is the linear probability
    model y = a + b·treated + c·after + d·treated·after fitted to the individual answers, computed
    from the cells without expanding them: least squares on cell means weighted by n has the same
    coefficients, and each cell's score (the sum of x·residual over its people) is
    x·(count - n·fitted), so the cluster-robust sandwich is exact too. The small-sample factor
    G/(G-1)·(N-1)/(N-K) uses N people, as statsmodels' OLS on the expanded answers does (the tests
    compare with it). Counts may be fractional: the report passes disclosure-protected cells.

    None when a group or a wave is missing or there are fewer than two areas per group."""
    _check_alpha(alpha)
    frame = cells.loc[cells["n"] > 0]
    if frame.empty:
        return None
    treated = frame["treated"].to_numpy(dtype=float)
    after = frame["after"].to_numpy(dtype=float)
    present = {(t, a) for t, a in zip(treated, after, strict=True)}
    if len(present) < 4:
        return None
    areas = frame["area"].astype(str).to_numpy()
    if min(len(set(areas[treated == 1])), len(set(areas[treated == 0]))) < 2:
        return None
    n = frame["n"].to_numpy(dtype=float)
    count = frame["count"].to_numpy(dtype=float)
    x = np.column_stack([np.ones_like(n), treated, after, treated * after])
    xtwx = x.T @ (x * n[:, None])
    bread = np.linalg.inv(xtwx)
    beta = bread @ (x.T @ count)
    scores = x * (count - n * (x @ beta))[:, None]
    codes, groups = np.unique(areas, return_inverse=True)
    per_cluster = np.zeros((len(codes), x.shape[1]))
    np.add.at(per_cluster, groups, scores)
    meat = per_cluster.T @ per_cluster
    people, g, k = float(n.sum()), len(codes), x.shape[1]
    factor = g / (g - 1) * (people - 1) / (people - k)
    cov = factor * bread @ meat @ bread
    se = float(math.sqrt(cov[3, 3]))
    estimate = float(beta[3])
    tq = float(stats.t.ppf(1 - alpha / 2, g - 1))
    p_value = float(2 * stats.t.sf(abs(estimate / se), g - 1)) if se > 0 else 1.0
    return DiD(estimate, estimate - tq * se, estimate + tq * se, se, p_value, int(round(people)), g)


@dataclass(frozen=True)
class RateRatio:
    """How much more (or less) often something was reported in campaign areas after the campaign,
    relative to comparison areas and to before: exp of the Poisson interaction term."""

    ratio: float
    lower: float
    upper: float
    p_value: float
    before_campaign: float
    after_campaign: float
    before_comparison: float
    after_comparison: float

    def significant(self) -> bool:
        return self.lower > 1.0 or self.upper < 1.0


def did_rates(cells: pd.DataFrame, alpha: float = 0.05) -> RateRatio | None:
    """Poisson difference in differences of report rates (statsmodels GLM, log link).

    ``cells``: one row per area x period with ``treated``, ``after``, ``count`` and ``exposure``
    (population x years). The interaction's exp is the ratio of the campaign areas' rate ratio
    (after / before) to the comparison areas'. The four group totals are returned as rates per
    100,000 person-years so the report can show what the ratio is made of. None when a group or
    a period has no exposure or no reports (the model has no estimate then)."""
    _check_alpha(alpha)
    frame = cells.loc[cells["exposure"] > 0]
    totals = frame.groupby(["treated", "after"])[["count", "exposure"]].sum()
    if len(totals) < 4 or (totals["count"] <= 0).any():
        return None
    treated = frame["treated"].to_numpy(dtype=float)
    after = frame["after"].to_numpy(dtype=float)
    x = np.column_stack([np.ones_like(treated), treated, after, treated * after])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-integer counts (protected cells) are fine for the quasi-likelihood
        fit = sm.GLM(frame["count"].to_numpy(dtype=float), x, family=sm.families.Poisson(),
                     offset=np.log(frame["exposure"].to_numpy(dtype=float))).fit()  # fmt: skip
    low, upp = np.asarray(fit.conf_int(alpha=alpha))[3]
    rates = totals["count"] / totals["exposure"] * 100_000
    rate = {(bool(t), bool(a)): float(v) for (t, a), v in rates.items()}
    return RateRatio(
        float(np.exp(np.asarray(fit.params)[3])), float(np.exp(low)), float(np.exp(upp)),
        float(np.asarray(fit.pvalues)[3]), rate[(True, False)], rate[(True, True)], rate[(False, False)],
        rate[(False, True)],
    )  # fmt: skip


def weighted_mean(
    values: ArrayLike, weights: ArrayLike, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None]:
    """Mean with its t interval from values and how often each occurred (frequency weights, which
    may be fractional: a Likert level hidden by disclosure control weighs its published fill).
    (None, None, None) without answers; no interval with fewer than two."""
    _check_alpha(alpha)
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        return None, None, None
    descr = DescrStatsW(np.asarray(values, dtype=float), weights=w)
    if w.sum() < 2:
        return float(descr.mean), None, None
    low, upp = descr.tconfint_mean(alpha=alpha)
    return float(descr.mean), float(low), float(upp)
