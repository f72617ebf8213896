"""Rank areas for outreach and say, in one sentence per area, why each ranks where it does.

The score is a weighted mean of percentile ranks (0 = lowest area, 1 = highest) of a few factors:
the smoothed rate, the Gi* hot-spot z-score, the trend, the incident volume and any risk
indicators the coordinator adds. Percentiles put factors measured in different units on one
scale, so a weight means what it says: with the defaults the smoothed rate decides 40 % of the
score. The weights are visible and can be changed; the default rationale is in `DEFAULT_WEIGHTS`.

Everything is computed for all areas at once (sparse products and array operations); the only
loops run over periods or factors. Results do not depend on the order of the rows: ties are
broken by area id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd

from .assign import count_by_area, points_to_areas
from .contiguity import queen_contiguity
from .hotspots import hot_spots
from .privacy import DEFAULT_K, suppress_series
from .rates import PER, eb_global, eb_spatial, raw_rate, usable
from .trends import emerging_patterns, mann_kendall, rising_since, trend_labels

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "RESULT_COLUMNS",
    "Progress",
    "RankingInputError",
    "explain",
    "rank_areas",
]

Progress = Callable[[float, str], None]

# Why these defaults: the smoothed rate is the most direct evidence of where exploitation is
# reported relative to the people living there; a hot spot says neighbouring areas agree (one
# campaign can cover the cluster); a rising trend says the problem is growing there; volume says
# how many people a campaign could reach. Indicators start at 0 until a coordinator adds them.
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {"rate": 0.4, "hotspot": 0.3, "trend": 0.2, "volume": 0.1}
FACTORS: Final = ("rate", "hotspot", "trend", "volume")

RESULT_COLUMNS: Final = (
    "area_id", "name", "rank", "score", "count", "population", "rate", "eb_rate", "rate_ratio",
    "gi_z", "gi_p", "gi_p_adjusted", "gi_bin", "fdr_significant", "neighbours", "trend", "trend_p",
    "rising_since", "pattern", "suppressed", "explanation", "reasons",
)  # fmt: skip

_CONFIDENCE: Final = {3: "99", 2: "95", 1: "90"}


class RankingInputError(ValueError):
    """The inputs cannot be ranked; the message says which column or value to fix."""


@dataclass(frozen=True)
class _Counts:
    matrix: npt.NDArray[np.int64]
    periods: list[str]
    outside: int
    unmatched: int


def _periods_of(values: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes and labels of the periods; the text clean-up runs on the few distinct values only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = pd.Series(uniques).astype("string").str.strip().to_numpy(dtype=object)
    return codes, [str(v) if v is not pd.NA else "" for v in labels]


def _count_matrix(
    areas: geopandas.GeoDataFrame,
    ids: pd.Index,
    incidents: pd.DataFrame | None,
    counts: pd.DataFrame | None,
    *,
    id_col: str,
    period_col: str,
    count_col: str,
    extra_periods: Sequence[str],
) -> _Counts:
    if (incidents is None) == (counts is None):
        raise RankingInputError("give either incident records/points or counts per area and period, not both")
    table = incidents if incidents is not None else counts
    assert table is not None
    if period_col not in table.columns:
        raise RankingInputError(
            f"the incident data has no '{period_col}' column; columns are: {', '.join(table.columns)}"
        )
    codes, labels = _periods_of(table[period_col])
    periods = sorted((set(labels) - {""}) | set(extra_periods))
    if not periods:
        raise RankingInputError("the incident data has no periods: every value in the period column is empty")
    label_index = pd.Index(periods).get_indexer(labels) if labels else np.empty(0, dtype=np.intp)
    period_index = np.where(codes >= 0, label_index[np.maximum(codes, 0)] if labels else -1, -1)
    outside = 0
    if counts is not None:
        for col in (id_col, count_col):
            if col not in counts.columns:
                raise RankingInputError(f"the counts have no '{col}' column; columns are: {', '.join(counts.columns)}")
        area_index = ids.get_indexer(counts[id_col].astype(str))
        weights = pd.to_numeric(counts[count_col], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        unmatched = int(weights[area_index < 0].sum())
        ok = (area_index >= 0) & (period_index >= 0)
        flat = area_index[ok] * len(periods) + period_index[ok]
        matrix = np.bincount(flat, weights=weights[ok], minlength=len(ids) * len(periods))
        return _Counts(matrix.reshape(len(ids), len(periods)).astype(np.int64), periods, 0, unmatched)
    assert incidents is not None
    if id_col in incidents.columns:
        area_index = ids.get_indexer(incidents[id_col].astype(str))
        unmatched = int((area_index < 0).sum())
    elif isinstance(incidents, geopandas.GeoDataFrame):
        points = incidents.geometry
        if incidents.crs is not None and areas.crs is not None and incidents.crs != areas.crs:
            points = points.to_crs(areas.crs)
        area_index = points_to_areas(points.values, areas.geometry.values)
        outside = int((area_index < 0).sum())
        unmatched = 0
    else:
        raise RankingInputError(f"incidents need an '{id_col}' column or point geometry to be placed in areas")
    matrix = count_by_area(area_index, period_index, len(ids), len(periods))
    return _Counts(matrix, periods, outside, unmatched)


def _population_matrix(
    areas: geopandas.GeoDataFrame, population_col: str | Mapping[str, str], periods: Sequence[str]
) -> npt.NDArray[np.float64]:
    def column(name: str) -> npt.NDArray[np.float64]:
        if name not in areas.columns:
            raise RankingInputError(
                f"the areas have no population column '{name}'; columns are: "
                + ", ".join(c for c in areas.columns if c != "geometry")
            )
        return pd.to_numeric(areas[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    if isinstance(population_col, str):
        return np.repeat(column(population_col)[:, None], len(periods), axis=1)
    missing = [p for p in periods if p not in population_col]
    if missing:
        raise RankingInputError(f"no population column is given for period(s) {', '.join(missing)}")
    return np.column_stack([column(population_col[p]) for p in periods])


def _percentile(
    values: npt.NDArray[np.float64], among: npt.NDArray[np.bool_], neutral: float = 0.5
) -> npt.NDArray[np.float64]:
    """Percentile rank in [0, 1] among the given areas; ties share the mean rank; NaN gets `neutral`."""
    out = np.full(values.shape, np.nan)
    s = pd.Series(np.where(among, values, np.nan))
    ranked = s.rank(method="average").to_numpy()
    n = np.isfinite(ranked).sum()
    if n > 1:
        out = (ranked - 1) / (n - 1)
    elif n == 1:
        out = np.where(np.isfinite(ranked), 0.5, np.nan)
    return np.where(among & ~np.isfinite(out), neutral, out)


def _fmt(values: npt.NDArray[np.float64], decimals: int) -> npt.NDArray[np.str_]:
    return np.char.mod(f"%.{decimals}f", np.nan_to_num(values))


_HOT_PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating")


def _reasons(
    frame: pd.DataFrame, factors: Mapping[str, npt.NDArray[np.float64]], weights: Mapping[str, float], period: str
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Reason codes and the English sentence for every area, built column-wise.

    Each factor's salience is its weight times its distance from the middle percentile; the two or
    three most salient factors pointing the same way as the area's overall score are named. Text
    is only built for the (area, factor) pairs chosen, one vectorised pass per factor."""
    n = len(frame)
    names = list(factors)
    percentiles = np.column_stack([factors[f] for f in names])
    w = np.array([weights.get(f, 0.0) for f in names])
    high = frame["score"].to_numpy(dtype=float) >= 50
    salience = np.where(high[:, None], 1, -1) * w[None, :] * (percentiles - 0.5)
    ratio = frame["rate_ratio"].to_numpy(dtype=float)
    gi_bin = np.nan_to_num(frame["gi_bin"].to_numpy(dtype=float)).astype(int)
    trend = frame["trend"].to_numpy(dtype=object)
    pattern = frame["pattern"].fillna("").to_numpy(dtype=object).astype(str)
    since = frame["rising_since"].fillna("").to_numpy(dtype=object).astype(str)
    suppressed = frame["suppressed"].to_numpy(dtype=bool)
    counts = np.nan_to_num(frame["count_raw"].to_numpy(dtype=float)).astype(np.int64)
    rising = trend == "rising"
    hot_pattern = np.isin(np.char.partition(pattern, " ")[:, 0], _HOT_PATTERNS)

    allowed = {
        "rate": np.isfinite(ratio) & np.where(high, ratio >= 1.1, ratio <= 0.9),
        "hotspot": np.where(high, gi_bin > 0, gi_bin < 0) | (high & hot_pattern & (gi_bin > 0)),
        "trend": np.where(high, rising, trend == "falling"),
        "volume": ~suppressed | ~high,
    }
    eligible = np.column_stack([allowed.get(f, np.ones(n, dtype=bool)) for f in names]) & (salience > 0.01)
    order = np.argsort(-np.where(eligible, salience, -np.inf), axis=1, kind="stable")[:, :3]
    picked = np.take_along_axis(eligible, order, axis=1)
    conf = np.array([_CONFIDENCE.get(abs(b), "") for b in range(-3, 4)], dtype=object)  # index = bin + 3

    def words(f: str, rows: npt.NDArray[np.intp]) -> tuple[npt.ArrayLike, npt.ArrayLike]:
        """Phrase and code of factor `f` for the given rows."""
        up = high[rows]
        if f == "rate":
            num = np.char.mod("%.1f", ratio[rows]).astype(object)
            return "smoothed rate " + num + " times the overall average", "rate_ratio:" + num
        if f == "hotspot":
            level = conf[gi_bin[rows] + 3]
            kind = np.where(gi_bin[rows] > 0, "hot spot", "cold spot").astype(object)
            pat = pattern[rows].astype(object)
            has = pat != ""
            text = "part of a " + level + " % " + kind + np.where(has, " (pattern: " + pat + ")", "")
            code = np.where(gi_bin[rows] > 0, "hot_spot:", "cold_spot:").astype(object) + level
            return text, code + np.where(has, "," + pat, "")
        if f == "trend":
            word = np.where(rising[rows], "rising", "falling").astype(object)
            when = since[rows].astype(object)
            return word + np.where(when != "", " since " + when, ""), word + ":" + when
        if f == "volume":
            num = np.char.mod("%d", counts[rows]).astype(object)
            text = np.where(up, num + f" incidents in {period}", "few incidents")
            return text, np.where(up, "count:" + num, "few_incidents")
        return (
            np.where(up, f"high {f}", f"low {f}").astype(object),
            np.where(up, f"indicator_high:{f}", f"indicator_low:{f}").astype(object),
        )

    sentence = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    for j in range(order.shape[1]):
        for fi, f in enumerate(names):
            rows = np.flatnonzero(picked[:, j] & (order[:, j] == fi))
            if rows.size:
                text, code = (np.asarray(part, dtype=object) for part in words(f, rows))
                sep = np.where(sentence[rows] != "", "; ", "")
                sentence[rows] = sentence[rows] + sep + text
                reason[rows] = reason[rows] + np.where(sep != "", ";", "") + code
    nothing = sentence == ""
    score_txt = np.char.mod("%.0f", np.nan_to_num(frame["score"].to_numpy(dtype=float)[nothing])).astype(object)
    sentence[nothing] = "no single factor stands out; combined score " + score_txt + " of 100"
    reason[nothing] = "no_factor:" + score_txt
    isolated = frame["neighbours"].to_numpy() == 0
    sentence[isolated] = sentence[isolated] + "; no neighbouring areas, so not tested for hot spots"
    reason[isolated] = reason[isolated] + ";isolated"
    no_pop = ~np.isfinite(frame["score"].to_numpy(dtype=float))
    sentence[no_pop] = "no population figure, so no rate and no rank; shown on the map only"
    reason[no_pop] = "no_population"
    text = pd.Series(sentence, dtype=object)
    return (text.str.slice(0, 1).str.upper() + text.str.slice(1) + ".").to_numpy(dtype=object), reason


def explain(reasons: str, *, period: str = "") -> str:
    """The English sentence for a `reasons` string (codes joined by ';'); the app localises the same codes."""
    parts: list[str] = []
    for item in filter(None, reasons.split(";")):
        key, _, value = item.partition(":")
        if key == "rate_ratio":
            parts.append(f"smoothed rate {value} times the overall average")
        elif key in ("hot_spot", "cold_spot"):
            level, _, pattern = value.partition(",")
            parts.append(f"part of a {level} % {key.replace('_', ' ')}" + (f" (pattern: {pattern})" if pattern else ""))
        elif key in ("rising", "falling"):
            parts.append(key + (f" since {value}" if value else ""))
        elif key == "count":
            parts.append(f"{value} incidents" + (f" in {period}" if period else ""))
        elif key == "few_incidents":
            parts.append("few incidents")
        elif key in ("indicator_high", "indicator_low"):
            parts.append(f"{'high' if key.endswith('high') else 'low'} {value}")
        elif key == "no_factor":
            parts.append(f"no single factor stands out; combined score {value} of 100")
        elif key == "isolated":
            parts.append("no neighbouring areas, so not tested for hot spots")
        elif key == "no_population":
            parts.append("no population figure, so no rate and no rank; shown on the map only")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def rank_areas(
    areas: geopandas.GeoDataFrame,
    incidents: pd.DataFrame | None = None,
    *,
    counts: pd.DataFrame | None = None,
    id_col: str = "area_id",
    name_col: str | None = "name",
    population_col: str | Mapping[str, str] = "population",
    period: str | None = None,
    period_col: str = "period",
    count_col: str = "count",
    weights: Mapping[str, float] | None = None,
    indicators: Sequence[str] = (),
    smoothing: Literal["global", "spatial"] = "global",
    alpha: float = 0.05,
    permutations: int = 0,
    seed: int = 0,
    k: int = DEFAULT_K,
    suppress: bool = True,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """One row per area, best outreach target first, with the numbers and a sentence behind each rank.

    `incidents` are records with an `id_col` and `period_col`, or points (a GeoDataFrame with a
    `period_col`), or pass `counts` (long: id, period, count) instead. `period` picks the period
    whose hot spots are ranked (default: the latest); trends use every period up to it.
    With `suppress` (the default) `count` and `rate` are blank (<NA>) for areas whose count would
    reveal a small number, following the planner's suppression rule with threshold `k`; the
    ranking still uses the real numbers. Metadata (periods, points outside every area, ids not
    found, the weights used) is in ``result.attrs``."""
    report = progress or (lambda _f, _m: None)
    if id_col not in areas.columns:
        raise RankingInputError(
            f"the areas have no id column '{id_col}'; columns are: "
            + ", ".join(c for c in areas.columns if c != "geometry")
        )
    ids = pd.Index(areas[id_col].astype(str))
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()[:5]
        raise RankingInputError(f"area ids must be unique; repeated: {', '.join(dup)}")
    used_weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    for name in indicators:
        if name not in areas.columns:
            raise RankingInputError(f"indicator '{name}' is not a column of the areas")
        used_weights.setdefault(name, 0.0)
    unknown = set(used_weights) - set(FACTORS) - set(indicators)
    if unknown:
        raise RankingInputError(
            f"unknown weight(s) {', '.join(sorted(unknown))}; use {', '.join(FACTORS)} or an indicator"
        )
    if any(w < 0 for w in used_weights.values()) or sum(used_weights.values()) <= 0:
        raise RankingInputError("weights must be zero or positive and at least one must be positive")

    report(0.05, "counting incidents per area and finding neighbouring areas")
    extra = list(population_col) if isinstance(population_col, Mapping) else []
    # Neighbours and counts are independent and both spend their time in GEOS/numpy code that
    # releases the GIL, so the neighbours are built on a second thread meanwhile.
    with ThreadPoolExecutor(max_workers=1) as pool:
        neighbours = pool.submit(queen_contiguity, areas.geometry.values, ids=list(ids), cache_dir=cache_dir)
        tallies = _count_matrix(
            areas,
            ids,
            incidents,
            counts,
            id_col=id_col,
            period_col=period_col,
            count_col=count_col,
            extra_periods=extra,
        )
        contiguity = neighbours.result()
    periods = tallies.periods
    if period is None:
        period = periods[-1]
    if period not in periods:
        raise RankingInputError(f"period '{period}' is not in the data; periods are {', '.join(periods)}")
    t = periods.index(period)
    population = _population_matrix(areas, population_col, periods)
    counts_m = tallies.matrix.astype(float)

    w = contiguity.matrix

    report(0.45, "smoothing rates")
    rates = raw_rate(counts_m, population)
    smoothed = eb_spatial(counts_m, population, w) if smoothing == "spatial" else eb_global(counts_m, population)
    ok_pop = usable(population[:, t])
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = counts_m[ok_pop, t].sum() / population[ok_pop, t].sum() * PER

    report(0.6, "testing for hot spots")
    window = slice(0, t + 1)
    spots_all = hot_spots(smoothed[:, window], w, alpha=alpha)
    if permutations:
        spots = hot_spots(smoothed[:, t], w, alpha=alpha, permutations=permutations, seed=seed)
        gi_z, gi_p, gi_adj = spots.z, spots.p, spots.p_adjusted
        gi_bin, significant, isolated = spots.bins, spots.significant, spots.isolated
    else:
        gi_z, gi_p, gi_adj = spots_all.z[:, t], spots_all.p[:, t], spots_all.p_adjusted[:, t]
        gi_bin, significant, isolated = spots_all.bins[:, t], spots_all.significant[:, t], spots_all.isolated[:, t]

    report(0.75, "looking for trends")
    n = len(ids)
    trend = np.full(n, None, dtype=object)
    trend_p = np.full(n, np.nan)
    trend_z = np.full(n, np.nan)
    since = np.full(n, None, dtype=object)
    pattern = np.full(n, None, dtype=object)
    series = rates[:, window]
    if t + 1 >= 2:
        mk = mann_kendall(series)
        trend = trend_labels(mk, alpha).astype(object)
        trend_p, trend_z = mk.p, mk.z
        since = rising_since(series, periods[: t + 1])
        falling_since = rising_since(-series, periods[: t + 1])
        since = np.where(trend == "falling", falling_since, since).astype(object)
        since[~np.isin(trend, ["rising", "falling"])] = None
    if t + 1 >= 4:
        pattern = emerging_patterns(spots_all.z, spots_all.p_adjusted).astype(object)
        pattern[pattern == "no pattern detected"] = None

    report(0.85, "scoring and explaining")
    count_now = counts_m[:, t]
    factors: dict[str, npt.NDArray[np.float64]] = {
        "rate": _percentile(smoothed[:, t], ok_pop),
        "hotspot": _percentile(np.where(isolated, np.nan, gi_z), ok_pop),
        "trend": _percentile(trend_z, ok_pop),
        "volume": _percentile(count_now, ok_pop),
    }
    for name in indicators:
        factors[name] = _percentile(pd.to_numeric(areas[name], errors="coerce").to_numpy(dtype=float), ok_pop)
    total_w = sum(used_weights.values())
    score = sum(used_weights.get(f, 0.0) * np.nan_to_num(factors[f], nan=0.5) for f in factors) / total_w * 100
    score = np.where(ok_pop, np.round(score, 9), np.nan)

    frame = pd.DataFrame(
        {
            "area_id": ids.to_numpy(),
            "name": areas[name_col].astype(str).to_numpy()
            if name_col and name_col in areas.columns
            else ids.to_numpy(),
            "score": score,
            "count_raw": count_now,
            "population": population[:, t],
            "rate": rates[:, t],
            "eb_rate": smoothed[:, t],
            "rate_ratio": smoothed[:, t] / overall if overall > 0 else np.full(n, np.nan),
            "gi_z": gi_z,
            "gi_p": gi_p,
            "gi_p_adjusted": gi_adj,
            "gi_bin": pd.array(np.where(np.isfinite(gi_z), gi_bin, 0), dtype="Int8"),
            "fdr_significant": significant,
            "neighbours": contiguity.cardinality,
            "trend": trend,
            "trend_p": trend_p,
            "rising_since": since,
            "pattern": pattern,
        }
    )
    frame.loc[~np.isfinite(gi_z), "gi_bin"] = pd.NA
    # Suppress in area-id order: complementary suppression breaks ties by position, and which
    # area is hidden must not depend on the order of the rows.
    by_id = np.argsort(ids.to_numpy(dtype=str), kind="stable")
    shown = suppress_series(pd.Series(count_now[by_id].astype(np.int64)), k, with_total=True)
    hidden = np.empty(n, dtype=bool)
    hidden[by_id] = shown.isna().to_numpy()
    frame["suppressed"] = hidden
    for f, values in factors.items():
        frame[f"factor_{f}"] = values
    frame["explanation"], frame["reasons"] = _reasons(frame, factors, used_weights, period)

    order = np.lexsort((frame["area_id"].to_numpy(dtype=str), -np.nan_to_num(score, nan=-np.inf)))
    frame = frame.iloc[order].reset_index(drop=True)
    ranked = np.isfinite(frame["score"].to_numpy(dtype=float))
    frame.insert(2, "rank", pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64"))
    frame.loc[~ranked, "rank"] = pd.NA
    frame.insert(4, "count", pd.array(frame.pop("count_raw").to_numpy().astype(np.int64), dtype="Int64"))
    if suppress:
        frame.loc[frame["suppressed"], ["count"]] = pd.NA
        frame.loc[frame["suppressed"], ["rate"]] = np.nan
    frame.attrs.update(
        {
            "period": period,
            "periods": periods,
            "weights": used_weights,
            "overall_rate": overall,
            "points_outside": tallies.outside,
            "unmatched_records": tallies.unmatched,
            "smoothing": smoothing,
            "suppression_k": k,
            "boundary_key": contiguity.key,
            "no_population": int((~ok_pop).sum()),
            "isolated": int(contiguity.islands.sum()),
        }
    )
    report(1.0, "done")
    return frame
