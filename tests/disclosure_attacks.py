"""What an outsider would do with the planner's outputs to get hidden counts back.

Each attack takes numbers as they were published (a ranking read from a CSV, GeoJSON, GeoPackage
or the map's GeoJSON; the counts table; the segment tables) and returns, for every hidden cell it
can say something about, the count it recovers. `recovery` scores that against the true counts
next to what guessing would achieve. The tests run the attacks against every output of the app;
`bench/disclosure_attacks.py` runs them on any checkout to compare before and after a change.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, sparse, stats

from targeting.hotspots import hot_spots

PER = 100_000


@dataclass(frozen=True)
class PublishedRanking:
    """One ranking as an outsider reads it from an output: NaN where a number is withheld."""

    area_id: npt.NDArray[np.str_]
    count: npt.NDArray[np.float64]
    population: npt.NDArray[np.float64]
    eb_rate: npt.NDArray[np.float64]
    gi_z: npt.NDArray[np.float64]
    hidden: npt.NDArray[np.bool_]

    def aligned(self, order: npt.ArrayLike) -> PublishedRanking:
        """The same ranking with its rows in the order of the area ids `order`."""
        position = pd.Index(self.area_id).get_indexer(np.asarray(order, dtype=str))
        assert (position >= 0).all()
        return PublishedRanking(*(np.asarray(getattr(self, f))[position] for f in self.__dataclass_fields__))


def _number(values: pd.Series) -> npt.NDArray[np.float64]:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def ranking_from_frame(frame: pd.DataFrame) -> PublishedRanking:
    hidden = frame["suppressed"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    return PublishedRanking(
        frame["area_id"].astype(str).to_numpy(),
        _number(frame["count"]),
        _number(frame["population"]),
        _number(frame["eb_rate"]) if "eb_rate" in frame else np.full(len(frame), np.nan),
        _number(frame["gi_z"]) if "gi_z" in frame else np.full(len(frame), np.nan),
        hidden,
    )


def read_ranking(data: bytes, fmt: str) -> PublishedRanking:
    """A ranking from the bytes of an export: csv, geojson (also the map's) or gpkg."""
    if fmt == "csv":
        return ranking_from_frame(pd.read_csv(io.BytesIO(data), dtype={"area_id": str}))
    if fmt == "geojson":
        features = json.loads(data)["features"]
        return ranking_from_frame(pd.DataFrame([f["properties"] for f in features]))
    with tempfile.TemporaryDirectory() as tmp:  # a GeoPackage is an SQLite file
        path = Path(tmp) / "ranking.gpkg"
        path.write_bytes(data)
        with sqlite3.connect(path) as con:
            frame = pd.read_sql("SELECT * FROM ranking", con)
    return ranking_from_frame(frame)


# --- attack 1: invert the smoothed rate -----------------------------------------------------------


def _eb_model(
    params: npt.NDArray[np.float64], raw: npt.NDArray[np.float64], pop: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    m, phi = np.exp(params)
    weight = phi / (phi + m / pop)
    return weight * raw + (1 - weight) * m


def fit_eb(pub: PublishedRanking) -> tuple[float, float]:
    """Marshall's two global constants (mean m and between-area variance phi, per person), fitted
    to the rows whose count and smoothed rate are both shown."""
    ok = ~pub.hidden & np.isfinite(pub.count) & np.isfinite(pub.eb_rate) & (pub.population > 0)
    raw, pop, eb = pub.count[ok] / pub.population[ok], pub.population[ok], pub.eb_rate[ok] / PER
    m0 = max(raw.sum() / max(pop.sum(), 1), 1e-9) if raw.size else 1e-5
    start = np.log([m0, max(np.var(raw), m0 * 1e-3, 1e-12)])
    fit = optimize.least_squares(lambda p: (_eb_model(p, raw, pop) - eb) * PER, start, method="lm")
    m, phi = np.exp(fit.x)
    return float(m), float(phi)


def eb_inversion(pub: PublishedRanking) -> dict[str, float]:
    """count = (m + (eb - m) / w) * population for every hidden row with a smoothed rate."""
    m, phi = fit_eb(pub)
    target = pub.hidden & np.isfinite(pub.eb_rate) & (pub.population > 0)
    weight = phi / (phi + m / pub.population[target])
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = m + (pub.eb_rate[target] / PER - m) / weight
    return dict(zip(pub.area_id[target], raw * pub.population[target], strict=True))


# --- attack 2: solve the z-scores for the smoothed rates --------------------------------------------


def z_least_squares(pub: PublishedRanking, neighbours: sparse.spmatrix) -> dict[str, float]:
    """Gi* z-scores are functions of every area's smoothed rate: fix the shown rows' rates, solve
    the hidden ones from the published z column, then invert the smoothed rate as in attack 1.

    The smoothed rates of hidden rows are not used (so this works when they are withheld)."""
    m, phi = fit_eb(pub)
    unknown = pub.hidden & (pub.population > 0)
    known_x = np.where(unknown, np.nan, pub.eb_rate)
    ok_z = np.isfinite(pub.gi_z)
    start = np.full(unknown.sum(), np.nanmean(known_x))

    def residuals(x_hidden: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x = known_x.copy()
        x[unknown] = x_hidden
        return (hot_spots(x, neighbours).z - pub.gi_z)[ok_z]

    fit = optimize.least_squares(residuals, start, method="trf", x_scale="jac", max_nfev=200)
    weight = phi / (phi + m / pub.population[unknown])
    raw = m + (fit.x / PER - m) / weight
    return dict(zip(pub.area_id[unknown], raw * pub.population[unknown], strict=True))


# --- attack 3: subtract --------------------------------------------------------------------------


def subtract_from_totals(cells: pd.DataFrame, totals: pd.Series) -> dict[tuple[str, str], float]:
    """A line with one hidden cell and an exact total gives that cell: total - shown cells.

    `cells` is areas x periods with NaN where hidden; `totals` the published line totals (NaN or
    a range where the total is not one number)."""
    found: dict[tuple[str, str], float] = {}
    exact = pd.to_numeric(totals, errors="coerce")
    for area, row in cells.iterrows():
        missing = row.index[row.isna()]
        if len(missing) == 1 and np.isfinite(exact.get(area, np.nan)):
            found[(str(area), str(missing[0]))] = float(exact[area] - row.drop(missing).sum())
    return found


def read_across(hidden_in: pd.DataFrame, shown_in: Mapping[str, pd.Series]) -> dict[tuple[str, str], float]:
    """A cell hidden in one table and printed in another (the counts table and one year's ranking)."""
    found: dict[tuple[str, str], float] = {}
    for period, counts in shown_in.items():
        if period not in hidden_in.columns:
            continue
        hidden_here = hidden_in.index[hidden_in[period].isna()]
        for area in hidden_here.intersection(counts.index[counts.notna()]):
            found[(str(area), period)] = float(counts[area])
    return found


def scope_difference(segment_total: float | None, area_counts: pd.Series) -> dict[str, float]:
    """Segments (or exploitation types) split the incidents of the top areas: when every cell of
    that table is shown its sum is exact, and minus the shown counts of those areas it gives a
    lone hidden area's count."""
    hidden = area_counts.index[area_counts.isna()]
    if segment_total is None or len(hidden) != 1:
        return {}
    return {str(hidden[0]): float(segment_total - area_counts.dropna().sum())}


# --- scoring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    attempted: int
    exact: int
    guess_exact: int

    @property
    def rate(self) -> float:
        return self.exact / self.attempted if self.attempted else 0.0

    @property
    def guess_rate(self) -> float:
        return self.guess_exact / self.attempted if self.attempted else 0.0

    def __str__(self) -> str:
        return (
            f"{self.exact}/{self.attempted} hidden counts recovered exactly ({self.rate:.0%}); "
            f"guessing: {self.guess_exact} ({self.guess_rate:.0%})"
        )


def best_guess_hits(true: npt.NDArray[np.int64], expected: npt.NDArray[np.float64] | None, k: int = 11) -> int:
    """How many of these hidden counts the best guess an outsider has *without* the attacked
    numbers gets right: the likeliest value overall (one constant for all), or the value expected
    from the area's population (published) at the overall rate, whichever scores more."""
    constant = max(int((true == v).sum()) for v in range(1, k))
    if expected is None:
        return constant
    return max(constant, int((np.rint(expected) == true).sum()))


def recovery(
    recovered: Mapping[object, float], truth: Mapping[object, int], expected: Mapping[object, float] | None = None
) -> Recovery:
    keys = [key for key in recovered if key in truth]
    if not keys:
        return Recovery(0, 0, 0)
    got = np.rint(np.array([recovered[key] for key in keys], dtype=float))
    true = np.array([truth[key] for key in keys], dtype=np.int64)
    exp = None if expected is None else np.array([expected.get(key, np.nan) for key in keys], dtype=float)
    return Recovery(len(keys), int((got == true).sum()), best_guess_hits(true, exp))


def population_guess(pub: PublishedRanking, k: int = 11) -> dict[str, float]:
    """Each hidden count's expected value from its population and the shown counts alone."""
    shown = ~pub.hidden & np.isfinite(pub.count) & (pub.population > 0)
    rate = pub.count[shown].sum() / pub.population[shown].sum()
    # Written here, not imported from the planner: the outsider's guess must not rest on the code under attack.
    c = np.arange(1, k)
    weights = stats.poisson.pmf(c[None, :], (rate * np.nan_to_num(pub.population))[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (weights * c).sum(axis=1) / weights.sum(axis=1)
    return dict(zip(pub.area_id[pub.hidden], values[pub.hidden], strict=True))
