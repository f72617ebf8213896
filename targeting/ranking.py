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
from typing import Any, Final, Literal

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd

from .assign import count_by_area, points_to_areas
from .contiguity import queen_contiguity
from .hotspots import hot_spots
from .inputs.parsing import GRANULARITIES, PERIOD_NAMES, parse_periods
from .privacy import DEFAULT_K, protect_counts
from .rates import PER, eb_global, eb_spatial, raw_rate, usable
from .trends import emerging_patterns, mann_kendall, rising_since, trend_labels

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "RESULT_COLUMNS",
    "NothingToRankError",
    "Progress",
    "RankingInputError",
    "check_rankable",
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
    """The inputs cannot be ranked; the message (one line) says which column or value to fix.

    ``code`` names the problem and ``params`` the values in the message, so a caller that speaks
    another language (the web app) can phrase it itself; the English message is the fallback."""

    def __init__(self, message: str, *, code: str = "invalid_input", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class NothingToRankError(RankingInputError):
    """No incident reaches any area (or the ranked period): every count is zero.

    Ranked anyway, every area would get the same score (50) and the ranks would follow the area
    ids, which looks like a result but says nothing; so it is refused, with the likely cause.
    Codes: ``no_incidents`` (no rows), ``all_counts_zero``, ``all_points_outside``,
    ``all_ids_unknown``, ``period_empty``."""


@dataclass(frozen=True)
class _Counts:
    matrix: npt.NDArray[np.int64]
    periods: list[str]
    outside: int
    unmatched: int
    unmatched_ids: list[str]


def _at(table: pd.DataFrame, mask: npt.NDArray[np.bool_], limit: int = 5) -> str:
    """'index 3, 7 and 12 more': where in the caller's table the first offending rows are."""
    found = table.index[mask]
    shown = ", ".join(str(v) for v in found[:limit])
    return f"index {shown}" + (f" and {len(found) - limit} more" if len(found) > limit else "")


def _periods_of(
    table: pd.DataFrame, period_col: str, extra_periods: Sequence[object]
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Per-row period position and the periods in time order (canonical labels).

    Parsed once per distinct value. '2012' and '2012.0' are one year; a value that is no year,
    quarter or month, or a mix of kinds, is refused: periods are ordered in time (not as text,
    where 'Jan 2012' would come after '2014') and the trend needs one kind of step."""
    codes, uniques = pd.factorize(table[period_col], use_na_sentinel=True)
    parsed = parse_periods(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    extra = parse_periods(pd.Series(list(extra_periods) or [""], dtype=object))  # [""]: one blank, skipped
    if parsed.invalid.any():
        row_invalid = (codes >= 0) & parsed.invalid[np.maximum(codes, 0)]
        values = ", ".join(f"'{v}'" for v in pd.unique(table[period_col][row_invalid].astype(str))[:5])
        raise RankingInputError(
            f"column '{period_col}' has values that are not a year, a quarter or a month ({values}, at "
            f"{_at(table, row_invalid)}); write periods as 2021, 2021-Q3 or 2021-07",
            code="period_unparseable",
            column=period_col,
            values=values,
        )
    if extra.invalid.any() or (extra_periods and extra.blank.any()):
        shown = ", ".join(f"'{v}'" for v in np.asarray(list(extra_periods), dtype=object)[~extra.valid][:5])
        raise RankingInputError(
            f"population periods {shown} are not a year, a quarter or a month; name them like 2021, 2021-Q3 or 2021-07",
            code="period_unparseable",
            column="population",
            values=shown,
        )
    kinds = np.concatenate([parsed.kind[parsed.valid], extra.kind[extra.valid]])
    if np.unique(kinds).size > 1:
        tally = np.bincount(kinds, minlength=len(GRANULARITIES))
        main = int(np.argmax(tally))
        row_kind = np.where(codes >= 0, parsed.kind[np.maximum(codes, 0)], -1)
        other = (row_kind >= 0) & (row_kind != main)
        where = f" (at {_at(table, other)})" if other.any() else " (in the population periods)"
        found = " and ".join(PERIOD_NAMES[GRANULARITIES[k]][1] for k in np.unique(kinds) if k != main)
        examples = ", ".join(f"'{v}'" for v in pd.unique(table[period_col][other].astype(str))[:3]) or ", ".join(
            f"'{v}'" for v in np.asarray(list(extra_periods), dtype=object)[extra.kind != main][:3]
        )
        raise RankingInputError(
            f"column '{period_col}' mixes kinds of period: {found} such as {examples}{where} among "
            f"{PERIOD_NAMES[GRANULARITIES[main]][1]}; periods cannot be put in one order, so give every period as "
            f"{PERIOD_NAMES[GRANULARITIES[main]][0]} (or all as years, quarters or months)",
            code="period_mixed",
            column=period_col,
            found=found,
            expected=PERIOD_NAMES[GRANULARITIES[main]][1],
        )
    starts = np.concatenate([parsed.start[parsed.valid], extra.start[extra.valid]])
    labels = np.concatenate([parsed.label[parsed.valid], extra.label[extra.valid]])
    order = np.argsort(starts, kind="stable")
    periods = list(dict.fromkeys(str(v) for v in labels[order]))
    position = pd.Index(periods).get_indexer(parsed.label.astype(str))  # -1 for blank values
    per_row = np.where(codes >= 0, position[np.maximum(codes, 0)] if len(position) else -1, -1)
    return per_row.astype(np.intp), periods


def _canonical_period(value: object) -> str:
    """The canonical label of one period given by a caller ('2022', 2022 and '2022.0' are one)."""
    parsed = parse_periods(pd.Series([value], dtype=object))
    return str(parsed.label[0]) if parsed.valid[0] else str(value)


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
    if len(table) == 0:
        raise NothingToRankError(
            "the incident data has no rows, so there is nothing to rank; give incident records, points or "
            "counts with at least one incident",
            code="no_incidents",
        )
    period_index, periods = _periods_of(table, period_col, extra_periods)
    if not periods:
        raise RankingInputError(
            "the incident data has no periods: every value in the period column is empty", code="no_periods"
        )
    outside = 0
    weights: npt.NDArray[np.int64] | None = None
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
        matrix = matrix.reshape(len(ids), len(periods)).astype(np.int64)
    else:
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
    unknown = area_index < 0 if outside == 0 else np.zeros(len(area_index), dtype=bool)
    unmatched_ids = [str(v) for v in pd.unique(table[id_col][unknown].astype(str))[:5]] if unknown.any() else []
    if matrix.sum() == 0:
        _nothing_counted(table, unknown, unmatched_ids, outside, weights, id_col=id_col, count_col=count_col)
    return _Counts(matrix, periods, outside, unmatched, unmatched_ids)


def _nothing_counted(
    table: pd.DataFrame,
    unknown: npt.NDArray[np.bool_],
    unmatched_ids: Sequence[str],
    outside: int,
    weights: npt.NDArray[np.int64] | None,
    *,
    id_col: str,
    count_col: str,
) -> None:
    """Raise NothingToRankError with the most likely reason no incident was counted in any area."""
    n = len(table)
    if outside == n:
        raise NothingToRankError(
            f"none of the {n:,} incident points falls inside any area, so every count would be 0; check that "
            "the points and the areas cover the same region and that their coordinate systems are stated "
            "correctly (latitude and longitude not swapped)",
            code="all_points_outside",
            n=n,
        )
    counted = np.ones(n, dtype=np.int64) if weights is None else weights
    if unknown.any() and (counted[unknown] > 0).any() and (counted[~unknown] == 0).all():
        shown = ", ".join(f"'{v}'" for v in unmatched_ids)
        raise NothingToRankError(
            f"every incident names an area id that is not among the areas (such as {shown}, at "
            f"{_at(table, unknown)}), so every count would be 0; check that column '{id_col}' uses the same ids "
            "as the areas (leading zeros count)",
            code="all_ids_unknown",
            ids=shown,
        )
    if weights is None or (weights > 0).any():
        raise NothingToRankError(
            "no incident could be counted in an area and a period, so there is nothing to rank; check the "
            "area ids or points and the periods",
            code="no_incidents",
        )
    raise NothingToRankError(
        f"every count in column '{count_col}' is 0 ({n:,} rows), so there is nothing to rank: every area would "
        "score 50 and the ranks would only follow the area ids; check that the right file and count column were "
        "given, and give counts with at least one incident",
        code="all_counts_zero",
        n=n,
        column=count_col,
    )


def _ranked_period(tallies: _Counts, period: str | int | None) -> tuple[str, int]:
    """The period to rank (default: the latest) as its canonical label and column; refused when
    it is not in the data or no area has an incident in it (every area would score the same)."""
    periods = tallies.periods
    label = periods[-1] if period is None else str(period) if str(period) in periods else _canonical_period(period)
    if label not in periods:
        raise RankingInputError(
            f"period '{label}' is not in the data; periods are {', '.join(periods)}", code="period_unknown"
        )
    t = periods.index(label)
    if not tallies.matrix[:, t].any():
        with_incidents = [p for p, n in zip(periods, tallies.matrix.sum(axis=0), strict=True) if n > 0]
        raise NothingToRankError(
            f"period {label} has no incident in any area, so it cannot be ranked (every area would score the "
            f"same); choose a period with incidents: {', '.join(with_incidents)}",
            code="period_empty",
            period=label,
            periods=", ".join(with_incidents),
        )
    return label, t


def check_rankable(
    areas: geopandas.GeoDataFrame,
    incidents: pd.DataFrame | None = None,
    *,
    counts: pd.DataFrame | None = None,
    id_col: str = "area_id",
    population_col: str | Mapping[str, str] = "population",
    period: str | int | None = None,
    period_col: str = "period",
    count_col: str = "count",
) -> None:
    """Raise what :func:`rank_areas` would raise about these incidents and period, without ranking.

    For callers that rank later or elsewhere (the web app ranks large sets on a background
    thread): the coordinator learns at once, where the ranking was asked for, that it cannot be
    made (no incidents, periods of mixed kinds, an empty period), instead of from a failed run.
    Counting is cheap next to a ranking; neighbours and statistics are not computed."""
    if id_col not in areas.columns:
        raise RankingInputError(f"the areas have no id column '{id_col}'")
    extra = list(population_col) if isinstance(population_col, Mapping) else []
    tallies = _count_matrix(
        areas,
        pd.Index(areas[id_col].astype(str)),
        incidents,
        counts,
        id_col=id_col,
        period_col=period_col,
        count_col=count_col,
        extra_periods=extra,
    )
    _ranked_period(tallies, period)


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
    by_period = {_canonical_period(p): name for p, name in population_col.items()}  # 2021, '2021.0' -> '2021'
    missing = [p for p in periods if p not in by_period]
    if missing:
        raise RankingInputError(f"no population column is given for period(s) {', '.join(missing)}")
    return np.column_stack([column(by_period[p]) for p in periods])


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


def _hidden_note(k: int) -> str:
    return (
        f"fewer than {k} incidents, so the count is hidden and every figure uses the number expected from "
        "the population instead"
    )


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
        elif key == "hidden_count":
            parts.append(_hidden_note(int(value)))
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
    period: str | int | None = None,
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
    `period_col`), or pass `counts` (long: id, period, count) instead. Periods are years, quarters
    or months, one kind throughout ('2021', '2021-Q3', '2021-07'; '2021.0' is the year 2021) and
    are ordered in time; labels in the result are canonical. `period` picks the period whose hot
    spots are ranked (default: the latest); trends use every period up to it.
    With `suppress` (the default) the counts from 1 to k-1 are hidden (`count` and `rate` blank,
    `suppressed` true) and every number in the result, the ranks included, is computed as if
    each hidden count were k/2 (:mod:`targeting.privacy`), so the result may be published whole:
    no column can be inverted back to a hidden count. `suppress=False` ranks on the true counts,
    for analysis that never leaves the organisation; no writer accepts it. Metadata (periods,
    points outside every area, records whose id is not an area and the first few such ids, the
    weights used) is in ``result.attrs``.

    Raises :class:`RankingInputError` (one line naming what to fix) for inputs that cannot be
    ranked, and its subclass :class:`NothingToRankError` when no incident is counted in any area
    or in the ranked period: all counts zero, every point outside every area, every id unknown.
    Ranked anyway, every area would score 50 and ranks would follow the ids."""
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
    period, t = _ranked_period(tallies, period)
    population = _population_matrix(areas, population_col, periods)
    # Disclosure control (targeting.privacy): with `suppress`, every number below is computed from
    # the published cells, small counts replaced by the fill, so none of them (smoothed rates,
    # z-scores, trends, scores, ranks) can be worked back to a hidden count.
    protected = protect_counts(tallies.matrix, k, exposure=population)
    counts_m = protected.published if suppress else tallies.matrix.astype(float)

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
    frame["suppressed"] = protected.hidden[:, t]
    for f, values in factors.items():
        frame[f"factor_{f}"] = values
    frame["explanation"], frame["reasons"] = _reasons(frame, factors, used_weights, period)
    if suppress and frame["suppressed"].any():
        hidden_rows = frame["suppressed"].to_numpy(dtype=bool) & np.isfinite(score)
        note = _hidden_note(k)
        frame.loc[hidden_rows, "explanation"] = (
            frame.loc[hidden_rows, "explanation"].str.slice(0, -1) + "; " + note + "."
        )
        frame.loc[hidden_rows, "reasons"] = frame.loc[hidden_rows, "reasons"] + f";hidden_count:{k}"

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
            "unmatched_ids": tallies.unmatched_ids,
            "smoothing": smoothing,
            "suppression_k": k,
            "boundary_key": contiguity.key,
            "no_population": int((~ok_pop).sum()),
            "isolated": int(contiguity.islands.sum()),
        }
    )
    report(1.0, "done")
    return frame
