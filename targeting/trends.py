"""Which areas are getting worse: per-area trends and Esri-style emerging hot spots.

A ranking built on the latest year alone cannot tell an area that has been bad for a decade from
one that only just turned bad, and prevention work should reach the second kind before it looks
like the first. This module answers "is this area's series going up?" for tens of thousands of
areas at once, and sorts areas into the emerging hot-spot categories that planners already know
from ArcGIS.

Why Mann-Kendall rather than a Poisson (or negative binomial) regression on time
    Mann-Kendall only asks whether later values tend to be larger than earlier ones, so it needs no
    distributional assumption (it works the same on counts, smoothed rates and Gi* z-scores) and
    one freak year moves S by at most n - 1 of its n(n - 1)/2 pairs instead of dragging a fitted
    slope. Regression would also need overdispersion and exposure handled per area, which small
    areas cannot support with 6-20 points. Sen's slope (median of the pairwise slopes) gives the
    matching robust size of the change. The numbers are those of ``pymannkendall.original_test``
    (tie-corrected variance, continuity correction), except that the p-value is computed as
    ``2 * norm.sf(|z|)``, the same quantity without the cancellation of ``1 - norm.cdf`` far in
    the tail (differences are below 1e-15, but strong trends keep a usable ordering).

Missing values
    Non-finite values (NaN, inf) are missing: they are dropped from that row's pairs, as
    pymannkendall's ``original_test`` does for NaN. Sen's slope keeps the true period spacing of
    the remaining values. A row with fewer than two finite values, or with all values tied, has
    S = 0, z = 0 and p = 1 (not NaN), so it can never look significant and sorts last; tau and
    slope are NaN when there are fewer than two finite values. ``trend_labels`` reports such rows
    as "insufficient data" (fewer than two values) or "stable" (all tied).

Why per-period Gi* rather than a space-time cube neighbourhood (a documented difference from Esri)
    ArcGIS's Emerging Hot Spot Analysis computes Gi* over a space-time neighbourhood: an area's
    statistic in one period also draws on its neighbours' values in earlier time steps. Here the
    Gi* z-scores and p-values are computed for each period separately with ordinary spatial
    weights (elsewhere in ``targeting``) and passed in. That keeps the neighbourhood the same one
    used everywhere else in the planner, lets each period be recomputed on its own when new data
    arrive, and keeps a single-year spike from being smeared into the next year; the price is
    that the z-series is noisier and the categories will not match ArcGIS output exactly for the
    same data. The category rules themselves follow Esri's definitions (see ``emerging_patterns``).

Everything is vectorised over areas: Python loops run only over periods or pairs of periods, so
85,000 areas with 20 periods take about a second. Sen's slope holds all pairwise slopes at once,
n_areas x n_periods(n_periods - 1)/2 floats (about 130 MB at that size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

__all__ = [
    "COLD_PATTERNS",
    "HOT_PATTERNS",
    "MIN_PATTERN_PERIODS",
    "NO_PATTERN",
    "PATTERNS",
    "TREND_LABELS",
    "MannKendall",
    "emerging_patterns",
    "mann_kendall",
    "rising_since",
    "trend_labels",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

RISING, FALLING, STABLE, INSUFFICIENT = "rising", "falling", "stable", "insufficient data"
TREND_LABELS: tuple[str, ...] = (RISING, FALLING, STABLE, INSUFFICIENT)

_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
HOT_PATTERNS: tuple[str, ...] = tuple(f"{kind} hot spot" for kind in _KINDS)
COLD_PATTERNS: tuple[str, ...] = tuple(f"{kind} cold spot" for kind in _KINDS)
NO_PATTERN = "no pattern detected"
PATTERNS: tuple[str, ...] = (*HOT_PATTERNS, *COLD_PATTERNS, NO_PATTERN)
MIN_PATTERN_PERIODS = 4


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Per-area Mann-Kendall results; every field has shape (n_areas,).

    ``n`` (finite periods) and ``var_s`` are kept beside the statistics because labels need ``n``
    to tell "too little data" from "no trend", and ``var_s`` lets callers recompute z at will.
    """

    s: IntArray
    var_s: FloatArray
    n: IntArray
    tau: FloatArray
    z: FloatArray
    p: FloatArray
    slope: FloatArray


def _as_series(values: npt.ArrayLike, name: str) -> FloatArray:
    """A float copy, (n_areas, n_periods), with every non-finite value turned into NaN (missing)."""
    x = np.array(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_areas, n_periods), oldest period first; got shape {x.shape}")
    x[~np.isfinite(x)] = np.nan
    return x


def _check_level(value: float, name: str) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


def mann_kendall(values: npt.ArrayLike) -> MannKendall:
    """Mann-Kendall trend test and Sen's slope for every row of ``values`` (n_areas, n_periods).

    Same statistics as ``pymannkendall.original_test`` / ``sens_slope`` per row, computed for all
    rows at once so that a national map of 85,000 areas needs no per-area Python loop. Missing
    (non-finite) periods drop out of that row's pairs; see the module docstring for rows with
    fewer than two values (p = 1, tau and slope NaN).
    """
    x = _as_series(values, "values")
    n_areas, n_periods = x.shape
    finite = np.isfinite(x)
    n = finite.sum(axis=1).astype(np.int64)

    s = np.zeros(n_areas, dtype=np.int64)
    n_pairs = n_periods * (n_periods - 1) // 2
    pair_slopes = np.empty((n_areas, n_pairs))
    start = 0
    for i in range(n_periods - 1):
        # All pairs (i, j > i) at once; NaN differences compare False and so count for neither sign.
        diff = x[:, i + 1 :] - x[:, i : i + 1]
        s += (diff > 0).sum(axis=1) - (diff < 0).sum(axis=1)
        width = n_periods - 1 - i
        pair_slopes[:, start : start + width] = diff / np.arange(1, width + 1)
        start += width

    # Tie correction: a tie group of size t contributes t(t-1)(2t+5); spread over its t members,
    # each contributes (t-1)(2t+5), where t is how many values in the row equal that member.
    ties = np.zeros(n_areas)
    for i in range(n_periods):
        same = (x == x[:, i : i + 1]).sum(axis=1)
        ties += np.where(finite[:, i], (same - 1) * (2 * same + 5), 0)
    nf = n.astype(float)
    var_s = (nf * (nf - 1) * (2 * nf + 5) - ties) / 18.0

    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var_s)
        # Continuity correction; S = 0 (which includes every zero-variance row) gives z = 0, p = 1.
        z = np.where(s > 0, (s - 1) / sd, np.where(s < 0, (s + 1) / sd, 0.0))
        tau = np.where(n >= 2, s / (0.5 * nf * (nf - 1)), np.nan)
    p = 2.0 * norm.sf(np.abs(z))

    return MannKendall(
        s=s,
        var_s=var_s,
        n=n,
        tau=tau.astype(float),
        z=z.astype(float),
        p=np.asarray(p, dtype=float),
        slope=_row_medians(pair_slopes),
    )


def _row_medians(a: FloatArray) -> FloatArray:
    """Median of the finite entries of each row, NaN for a row without any (like np.nanmedian).

    Sorting once and indexing is fully vectorised, where ``np.nanmedian`` falls back to masked
    arrays, and it raises no warning for empty rows.
    """
    n_rows, width = a.shape
    out = np.full(n_rows, np.nan)
    if width == 0:
        return out
    a.sort(axis=1)  # NaN sort last
    m = np.isfinite(a).sum(axis=1)
    lo = np.maximum((m - 1) // 2, 0)[:, None]
    hi = (m // 2)[:, None]
    mid = (np.take_along_axis(a, lo, axis=1)[:, 0] + np.take_along_axis(a, hi, axis=1)[:, 0]) / 2
    out[m > 0] = mid[m > 0]
    return out


def trend_labels(mk: MannKendall, alpha: float = 0.05) -> npt.NDArray[np.str_]:
    """Label each area "rising", "falling" or "stable", or "insufficient data" below two finite periods.

    A label, not a p-value, is what an outreach coordinator reads; "stable" means no trend could be
    shown at ``alpha``, not that the series is flat. Rows with all values tied have p = 1 and so
    are "stable".
    """
    _check_level(alpha, "alpha")
    significant = mk.p < alpha
    return np.select(
        [mk.n < 2, significant & (mk.s > 0), significant & (mk.s < 0)],
        [INSUFFICIENT, RISING, FALLING],
        default=STABLE,
    )


def rising_since(
    values: npt.ArrayLike, periods: Sequence[Any], *, alpha: float = 0.05, mk: MannKendall | None = None
) -> npt.NDArray[np.object_]:
    """For each rising area, the period its rise started from; None for every other area.

    The start is the period of the series' lowest value before its final (last finite) period, the
    latest one if the low is tied, so an explanation can say "rising since 2021". The overall low
    is used rather than the last local dip so that one small wobble on the way up does not reset
    the date. Areas whose final value is not above that low get None even when Mann-Kendall calls
    them rising: they are not currently above where the rise began. ``mk`` may be passed to reuse
    a result of ``mann_kendall(values)``; ``alpha`` is the level for "rising" as in
    ``trend_labels``.
    """
    x = _as_series(values, "values")
    n_areas, n_periods = x.shape
    labels = np.asarray(periods, dtype=object)
    if labels.shape != (n_periods,):
        raise ValueError(f"periods must have one label per column ({n_periods}), got shape {labels.shape}")
    out = np.full(n_areas, None, dtype=object)
    if n_periods < 2 or n_areas == 0:
        return out
    if mk is None:
        mk = mann_kendall(x)
    rising = trend_labels(mk, alpha) == RISING

    finite = np.isfinite(x)
    last = n_periods - 1 - np.argmax(finite[:, ::-1], axis=1)
    before = finite & (np.arange(n_periods)[None, :] < last[:, None])
    masked = np.where(before, x, np.inf)
    # argmin takes the first minimum; on the reversed row that is the latest one.
    low = n_periods - 1 - np.argmin(masked[:, ::-1], axis=1)
    low_value = np.take_along_axis(masked, low[:, None], axis=1)[:, 0]
    final_value = np.take_along_axis(x, last[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        ok = rising & before.any(axis=1) & (final_value > low_value)
    out[ok] = labels[low[ok]]
    return out


def emerging_patterns(
    gi_z: npt.ArrayLike, gi_p: npt.ArrayLike, *, confidence: float = 0.90, trend_alpha: float = 0.05
) -> npt.NDArray[np.str_]:
    """Esri's emerging hot/cold spot category for each area from its per-period Gi* results.

    ``gi_z`` and ``gi_p`` are (n_areas, n_periods), oldest period first, with at least
    ``MIN_PATTERN_PERIODS`` (4) periods: with fewer, "90 % of periods" and a Mann-Kendall trend
    mean nothing. A period is a significant hot spot when p < 1 - confidence and z > 0, a cold
    spot when p < 1 - confidence and z < 0; NaN z or p, or z exactly 0, is "not significant". The trend in
    clustering intensity is ``mann_kendall(gi_z)`` at ``trend_alpha``. "90 % of periods" means at
    least 90 % (9 of 10; all of them below 10 periods).

    The categories as Esri's "How Emerging Hot Spot Analysis works" defines them, in our words
    (cold spots mirror each one with "cold" and "hot" swapped, an intensifying cold spot being one
    whose z is falling significantly, i.e. getting colder):

    - new hot spot: a significant hot spot in the final period and never significant before.
    - consecutive hot spot: one unbroken run of at least two significant hot periods that ends
      with the final period, nothing significant before that run, and under 90 % of all periods
      hot.
    - intensifying hot spot: hot in at least 90 % of periods, the final one included, and the
      clustering is getting stronger: the z-scores rise with a significant Mann-Kendall trend.
    - persistent hot spot: hot in at least 90 % of periods, the final one included, with no
      significant trend in the z-scores.
    - diminishing hot spot: hot in at least 90 % of periods, the final one included, and the
      clustering is weakening: the z-scores fall with a significant trend.
    - sporadic hot spot: hot in the final period, on and off before (under 90 % of periods hot),
      never a significant cold spot, and neither new nor consecutive.
    - oscillating hot spot: hot in the final period, under 90 % of periods hot, and a significant
      cold spot in at least one earlier period.
    - historical hot spot: not hot in the final period, yet hot in at least 90 % of periods.
    - no pattern detected: none of the above, hot or cold.

    Where Esri's wording lets two categories overlap, this is how each area gets exactly one:

    - "never significant before" (new, consecutive) excludes earlier cold spots too, so an area
      that was cold and is now hot is oscillating, never new or consecutive (the same reading as
      the R package sfdep); the flip is the more useful fact to report.
    - an area that is a significant spot in the final period takes that period's side: with 9 of
      10 periods hot and a cold final period it is an oscillating cold spot, not a historical hot
      spot, because the planner cares most about what the area is now.

    Negating ``gi_z`` turns every hot category into its cold mirror and vice versa.
    """
    z = np.array(gi_z, dtype=float)
    p = np.array(gi_p, dtype=float)
    if z.ndim != 2 or z.shape != p.shape:
        raise ValueError(f"gi_z and gi_p must be 2-D arrays of the same shape; got {z.shape} and {p.shape}")
    if z.shape[1] < MIN_PATTERN_PERIODS:
        raise ValueError(
            f"emerging hot spot categories need at least {MIN_PATTERN_PERIODS} periods, got {z.shape[1]}; "
            "with fewer, '90 % of periods' and a trend test are not meaningful"
        )
    _check_level(confidence, "confidence")
    _check_level(trend_alpha, "trend_alpha")
    masks = _pattern_masks(z, p, confidence=confidence, trend_alpha=trend_alpha)
    return np.select(list(masks.values()), list(masks.keys()), default=NO_PATTERN)


def _pattern_masks(z: FloatArray, p: FloatArray, *, confidence: float, trend_alpha: float) -> dict[str, BoolArray]:
    """One boolean mask per entry of ``PATTERNS``; the masks are mutually exclusive and exhaustive."""
    z = np.where(np.isfinite(z), z, np.nan)
    significant = p < 1.0 - confidence  # NaN p compares False: not significant
    hot = significant & (z > 0)
    cold = significant & (z < 0)
    mk = mann_kendall(z)
    trending = mk.p < trend_alpha
    up, down = trending & (mk.s > 0), trending & (mk.s < 0)

    masks: dict[str, BoolArray] = {}
    for names, this, other, stronger, weaker in (
        (HOT_PATTERNS, hot, cold, up, down),
        (COLD_PATTERNS, cold, hot, down, up),
    ):
        masks.update(zip(names, _side_masks(this, other, stronger, weaker), strict=True))
    masks[NO_PATTERN] = ~np.logical_or.reduce(list(masks.values()))
    return masks


def _side_masks(this: BoolArray, other: BoolArray, stronger: BoolArray, weaker: BoolArray) -> tuple[BoolArray, ...]:
    """The eight categories of one side (hot or cold), in the order of ``_KINDS``.

    ``this`` marks the periods significant on this side, ``other`` those on the opposite side;
    ``stronger`` / ``weaker`` mark areas whose clustering on this side significantly grows / fades.
    """
    n_periods = this.shape[1]
    final = this[:, -1]
    mostly = 10 * this.sum(axis=1) >= 9 * n_periods  # at least 90 % of periods, in integers
    n_significant = (this | other).sum(axis=1)
    ever_other = other.any(axis=1)
    # Length of the run ending in the final period: the first False from the end.
    backwards = this[:, ::-1]
    run = np.where(backwards.all(axis=1), n_periods, np.argmin(backwards, axis=1))

    recent = final & ~mostly
    new = final & (n_significant == 1)
    consecutive = recent & (run >= 2) & (n_significant == run)
    oscillating = recent & ever_other
    sporadic = recent & ~ever_other & ~new & ~consecutive
    established = final & mostly
    intensifying = established & stronger
    persistent = established & ~stronger & ~weaker
    diminishing = established & weaker
    historical = ~final & mostly & ~other[:, -1]
    return new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, historical
