"""rank_areas on the Georgia demo: inputs, numbers, explanations, weights, properties, and export."""

from __future__ import annotations

import io
import json
import re
from collections import OrderedDict
from functools import cache
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from targeting import contiguity
from targeting.contiguity import queen_contiguity
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from targeting.export import format_for_path, ranking_bytes, write_ranking
from targeting.hotspots import hot_spots
from targeting.ranking import (
    DEFAULT_WEIGHTS,
    RESULT_COLUMNS,
    NothingToRankError,
    RankingInputError,
    explain,
    rank_areas,
)
from targeting.rates import eb_global, eb_spatial

REQUIRED = [
    "area_id", "name", "rank", "score", "count", "population", "rate", "eb_rate", "gi_z", "gi_p", "gi_bin",
    "fdr_significant", "trend", "trend_p", "pattern", "explanation",
]  # fmt: skip
ISLAND_ID = "99999"


@cache
def _areas() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia")


@cache
def _incidents() -> pd.DataFrame:
    return synthetic_incidents(_areas())


@cache
def _counts() -> pd.DataFrame:
    return synthetic_counts(_incidents())


@cache
def _ranking_cached(suppress: bool) -> pd.DataFrame:
    return rank_areas(_areas(), _incidents(), suppress=suppress)


def _ranking(suppress: bool = True) -> pd.DataFrame:
    ranked = _ranking_cached(suppress)
    copy = ranked.copy()
    copy.attrs = dict(ranked.attrs)
    return copy


def _points(incidents: pd.DataFrame, areas: geopandas.GeoDataFrame, seed: int = 1) -> geopandas.GeoDataFrame:
    """One random point inside its area for every incident record, keeping the period."""
    ordered = incidents.sort_values("area_id", kind="stable")
    sizes = ordered.groupby("area_id").size().reindex(areas["area_id"], fill_value=0)
    samples = areas.set_index("area_id").geometry.sample_points(sizes.to_numpy(), rng=seed)
    parts, owner = shapely.get_parts(samples.values, return_index=True)
    assert (samples.index.to_numpy()[owner] == ordered["area_id"].to_numpy()).all()
    return geopandas.GeoDataFrame({"period": ordered["period"].to_numpy()}, geometry=parts, crs=areas.crs)


def _by_id(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.set_index("area_id")[column].sort_index()


def _with_island(areas: geopandas.GeoDataFrame) -> geopandas.GeoDataFrame:
    island = geopandas.GeoDataFrame(
        {"area_id": [ISLAND_ID], "name": ["Far Island"], "population": [20_000]},
        geometry=[shapely.box(-70.0, 30.0, -69.9, 30.1)],
        crs=areas.crs,
    )
    combined = pd.concat([areas, island], ignore_index=True)
    return geopandas.GeoDataFrame(combined, geometry="geometry", crs=areas.crs)


# --- the result ----------------------------------------------------------------------------------


def test_columns_ranks_and_attrs() -> None:
    ranked = _ranking()
    assert set(REQUIRED) <= set(ranked.columns)
    assert set(RESULT_COLUMNS) <= set(ranked.columns)
    assert [c for c in ranked.columns if c in RESULT_COLUMNS] == list(RESULT_COLUMNS)  # documented order
    assert len(ranked) == len(_areas())
    assert sorted(ranked["rank"].tolist()) == list(range(1, len(ranked) + 1))
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))  # best first
    assert ranked["score"].is_monotonic_decreasing
    assert set(ranked["area_id"]) == set(_areas()["area_id"])
    assert ranked.attrs["periods"] == [str(y) for y in range(2019, 2025)]
    assert ranked.attrs["period"] == "2024"
    assert ranked.attrs["weights"] == dict(DEFAULT_WEIGHTS)
    assert ranked.attrs["points_outside"] == 0 and ranked.attrs["unmatched_records"] == 0
    assert ranked["gi_bin"].dropna().isin([-3, -2, -1, 0, 1, 2, 3]).all()
    assert ranked["explanation"].str.endswith(".").all()


def test_numbers_agree_with_the_library_parts() -> None:
    ranked = _ranking(suppress=False)
    areas = _areas()
    counts = _counts()
    latest = counts[counts["period"] == 2024].set_index("area_id")["count"].sort_index()
    pd.testing.assert_series_equal(_by_id(ranked, "count").astype("int64"), latest, check_names=False)
    population = _by_id(ranked, "population")
    np.testing.assert_allclose(_by_id(ranked, "rate"), latest / population * 100_000, rtol=1e-12)
    wide = counts.pivot(index="area_id", columns="period", values="count").loc[areas["area_id"]]
    smoothed = eb_global(wide.to_numpy(dtype=float), areas["population"].to_numpy(dtype=float)[:, None])
    expected_eb = pd.Series(smoothed[:, -1], index=areas["area_id"]).sort_index()
    np.testing.assert_allclose(_by_id(ranked, "eb_rate"), expected_eb, rtol=1e-12)
    spots = hot_spots(smoothed[:, -1], queen_contiguity(areas.geometry.values).matrix)
    np.testing.assert_allclose(_by_id(ranked, "gi_z"), pd.Series(spots.z, index=areas["area_id"]).sort_index())
    np.testing.assert_array_equal(
        _by_id(ranked, "fdr_significant"), pd.Series(spots.significant, index=areas["area_id"]).sort_index()
    )


def test_counts_input_gives_the_same_ranking_as_records() -> None:
    from_records = _ranking()
    from_counts = rank_areas(_areas(), counts=_counts())
    pd.testing.assert_series_equal(_by_id(from_counts, "rank"), _by_id(from_records, "rank"))
    pd.testing.assert_series_equal(_by_id(from_counts, "score"), _by_id(from_records, "score"))
    pd.testing.assert_series_equal(_by_id(from_counts, "explanation"), _by_id(from_records, "explanation"))


def test_points_input_gives_the_same_counts_as_records() -> None:
    points = _points(_incidents(), _areas())
    for period in ("2021", "2024"):
        from_points = rank_areas(_areas(), points, period=period, suppress=False)
        from_records = rank_areas(_areas(), _incidents(), period=period, suppress=False)
        pd.testing.assert_series_equal(_by_id(from_points, "count"), _by_id(from_records, "count"))
        pd.testing.assert_series_equal(_by_id(from_points, "rank"), _by_id(from_records, "rank"))
        assert from_points.attrs["points_outside"] == 0


def test_points_in_another_crs_and_outside_every_area() -> None:
    points = _points(_incidents(), _areas()).to_crs(26916)
    outside = geopandas.GeoDataFrame(
        {"period": [2024, 2024, 2023]},
        geometry=shapely.points([(-60.0, 20.0), (-100.0, 45.0), (0.0, 0.0)]),
        crs=4326,
    ).to_crs(26916)
    both = geopandas.GeoDataFrame(pd.concat([points, outside], ignore_index=True), crs=points.crs)
    ranked = rank_areas(_areas(), both, suppress=False)
    assert ranked.attrs["points_outside"] == 3
    pd.testing.assert_series_equal(_by_id(ranked, "count"), _by_id(_ranking(suppress=False), "count"))


def test_unmatched_record_ids_are_counted() -> None:
    extra = pd.DataFrame({"area_id": ["00000", "00000"], "period": [2024, 2023]})
    ranked = rank_areas(_areas(), pd.concat([_incidents(), extra], ignore_index=True))
    assert ranked.attrs["unmatched_records"] == 2
    pd.testing.assert_series_equal(_by_id(ranked, "rank"), _by_id(_ranking(), "rank"))


def test_suppressed_rows_hide_count_and_rate_but_keep_a_rank() -> None:
    shown = _ranking()
    real = _ranking(suppress=False)
    hidden = _by_id(shown, "suppressed").to_numpy(dtype=bool)
    assert hidden.any() and not hidden.all()
    by_id = shown.set_index("area_id").sort_index()
    assert by_id.loc[hidden, "count"].isna().all() and by_id.loc[hidden, "rate"].isna().all()
    assert by_id.loc[hidden, "rank"].notna().all() and by_id.loc[hidden, "eb_rate"].notna().all()
    assert by_id.loc[~hidden, "count"].notna().all()
    small = _by_id(real, "count").between(1, 10).to_numpy(dtype=bool)
    assert np.array_equal(small, hidden)  # exactly the counts 1..k-1, nothing more
    pd.testing.assert_series_equal(by_id.loc[~hidden, "count"], _by_id(real, "count")[~hidden])
    assert by_id.loc[hidden, "explanation"].str.contains("fewer than 11 incidents, so the count is hidden").all()
    for text, count in zip(by_id.loc[hidden, "explanation"], _by_id(real, "count")[hidden], strict=True):
        assert not re.search(rf"\b{count} incidents", text)


def test_nothing_published_depends_on_a_hidden_count() -> None:
    """Every hidden count replaced by another from 1 to 10: the published ranking is the same to the
    last digit, so no column (smoothed rate, z, trend, score, rank) can be solved for a hidden count."""
    counts = _counts()
    small = counts["count"].between(1, 10)
    assert small.sum() > 100
    rng = np.random.default_rng(7)
    other = counts.assign(count=np.where(small, rng.integers(1, 11, len(counts)), counts["count"]))
    assert (other["count"] != counts["count"]).sum() > 50
    first = rank_areas(_areas(), counts=counts)
    second = rank_areas(_areas(), counts=other)
    pd.testing.assert_frame_equal(first, second)
    truly = rank_areas(_areas(), counts=other, suppress=False)  # without protection they differ
    assert not np.allclose(
        _by_id(truly, "eb_rate"), _by_id(rank_areas(_areas(), counts=counts, suppress=False), "eb_rate")
    )


def test_which_counts_are_hidden_does_not_depend_on_row_order() -> None:
    # One small count (hidden) and two equal larger ones: only the small one is hidden (no published
    # total to subtract from), and nothing depends on the order of the rows.
    areas = _areas()
    ids = areas["area_id"].to_numpy()
    counts = np.zeros((len(areas), 2), dtype=np.int64)
    counts[[5, 60, 100], 1] = [1, 30, 30]
    counts[:, 0] = 2
    table = _count_table(counts, ids)
    forward = rank_areas(areas, counts=table)
    backward = rank_areas(areas.iloc[::-1].reset_index(drop=True), counts=table.iloc[::-1])
    hidden = set(forward.loc[forward["suppressed"], "area_id"])
    assert hidden == set(backward.loc[backward["suppressed"], "area_id"])
    assert hidden == {ids[5]}
    pd.testing.assert_series_equal(_by_id(forward, "count"), _by_id(backward, "count"))
    pd.testing.assert_series_equal(_by_id(forward, "explanation"), _by_id(backward, "explanation"))


def test_explain_reproduces_the_explanation_column() -> None:
    areas = _with_island(_areas())
    areas["population"] = areas["population"].astype("Float64")
    areas.loc[areas["area_id"] == "13121", "population"] = pd.NA
    for ranked in (_ranking(), rank_areas(areas, _incidents(), period="2022")):
        period = ranked.attrs["period"]
        rebuilt = [explain(reasons, period=period) for reasons in ranked["reasons"]]
        assert rebuilt == ranked["explanation"].tolist()


def test_top_areas_are_explained_by_the_hot_spot() -> None:
    ranked = _ranking()
    top = ranked.head(3)
    assert (top["gi_bin"] > 0).all()
    assert top["explanation"].str.contains("hot spot").all()
    assert top["reasons"].str.contains("hot_spot:").all()
    bottom = ranked.tail(5)
    assert not bottom["explanation"].str.contains("hot spot").any()


# --- inputs that cannot be ranked ------------------------------------------------------------------


def test_unknown_period_names_the_periods() -> None:
    with pytest.raises(RankingInputError, match="period '1999' is not in the data") as info:
        rank_areas(_areas(), _incidents(), period="1999")
    for year in range(2019, 2025):
        assert str(year) in str(info.value)


def test_earlier_period_uses_only_the_years_up_to_it() -> None:
    ranked = rank_areas(_areas(), _incidents(), period="2020", suppress=False)
    assert ranked.attrs["period"] == "2020"
    latest = _counts()[_counts()["period"] == 2020].set_index("area_id")["count"].sort_index()
    np.testing.assert_array_equal(_by_id(ranked, "count").astype("int64"), latest)
    assert ranked["pattern"].isna().all()  # emerging patterns need four periods


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"rate": 1.0, "popularity": 0.5}, "unknown weight"),
        ({"rate": -0.5, "hotspot": 1.0}, "zero or positive"),
        ({"rate": 0.0, "hotspot": 0.0}, "at least one must be positive"),
        ({}, "at least one must be positive"),
    ],
)
def test_bad_weights_are_refused(weights: dict[str, float], message: str) -> None:
    with pytest.raises(RankingInputError, match=message):
        rank_areas(_areas(), _incidents(), weights=weights)


def test_other_bad_inputs_are_refused() -> None:
    with pytest.raises(RankingInputError, match="no id column 'GEOID'"):
        rank_areas(_areas(), _incidents(), id_col="GEOID")
    duplicated = _areas().copy()
    duplicated.loc[1, "area_id"] = duplicated.loc[0, "area_id"]
    with pytest.raises(RankingInputError, match="unique"):
        rank_areas(duplicated, _incidents())
    with pytest.raises(RankingInputError, match="not both"):
        rank_areas(_areas(), _incidents(), counts=_counts())
    with pytest.raises(RankingInputError, match="not both"):
        rank_areas(_areas())
    with pytest.raises(RankingInputError, match="'year'"):
        rank_areas(_areas(), _incidents(), period_col="year")
    with pytest.raises(RankingInputError, match="population column 'pop'"):
        rank_areas(_areas(), _incidents(), population_col="pop")
    with pytest.raises(RankingInputError, match="indicator 'crime'"):
        rank_areas(_areas(), _incidents(), indicators=["crime"])
    with pytest.raises(RankingInputError, match="'area_id' column or point geometry"):
        rank_areas(_areas(), _incidents().drop(columns="area_id"))


# --- weights ---------------------------------------------------------------------------------------


def test_weights_change_the_ranking() -> None:
    by_volume = rank_areas(_areas(), _incidents(), weights={"volume": 1.0}, suppress=False)
    expected = by_volume.sort_values(["count", "area_id"], ascending=[False, True], kind="stable")
    assert by_volume["area_id"].tolist() == expected["area_id"].tolist()
    assert by_volume.attrs["weights"] == {"volume": 1.0}
    assert by_volume["area_id"].tolist() != _ranking()["area_id"].tolist()
    by_rate = rank_areas(_areas(), _incidents(), weights={"rate": 1.0})
    assert by_rate["eb_rate"].is_monotonic_decreasing
    # scaling every weight by the same factor changes nothing
    doubled = rank_areas(_areas(), _incidents(), weights={k: 2 * v for k, v in DEFAULT_WEIGHTS.items()})
    assert doubled["area_id"].tolist() == _ranking()["area_id"].tolist()


def test_an_indicator_column_can_be_weighted() -> None:
    ranked = rank_areas(_areas(), _incidents(), indicators=["pct_poverty"], weights={"pct_poverty": 1.0})
    poverty = _areas().set_index("area_id")["pct_poverty"]
    assert poverty.loc[ranked["area_id"]].is_monotonic_decreasing
    assert "factor_pct_poverty" in ranked.columns
    assert ranked["explanation"].iloc[0].startswith("High pct_poverty")
    assert "indicator_high:pct_poverty" in ranked["reasons"].iloc[0]
    assert ranked["reasons"].iloc[-1].startswith("indicator_low:pct_poverty")
    # listed but unweighted, an indicator changes nothing
    listed = rank_areas(_areas(), _incidents(), indicators=["pct_poverty"])
    assert listed["area_id"].tolist() == _ranking()["area_id"].tolist()
    assert listed.attrs["weights"]["pct_poverty"] == 0.0


# --- areas without population, without neighbours ---------------------------------------------------


def test_areas_without_population_get_no_rank() -> None:
    areas = _areas().copy()
    areas["population"] = areas["population"].astype("Float64")
    areas.loc[areas["area_id"] == "13001", "population"] = 0
    areas.loc[areas["area_id"] == "13121", "population"] = pd.NA
    ranked = rank_areas(areas, _incidents())
    missing = ranked["area_id"].isin(["13001", "13121"])
    assert ranked.loc[missing, "rank"].isna().all()
    assert ranked.loc[missing, "score"].isna().all()
    assert ranked.loc[missing, "rate"].isna().all() and ranked.loc[missing, "eb_rate"].isna().all()
    assert ranked.loc[missing, "gi_z"].isna().all() and ranked.loc[missing, "gi_bin"].isna().all()
    no_rate = "No population figure, so no rate and no rank; shown on the map only."
    assert (ranked.loc[missing, "explanation"] == no_rate).all()
    assert (ranked.loc[missing, "reasons"] == "no_population").all()
    assert ranked["rank"].dropna().tolist() == list(range(1, len(ranked) - 1))
    assert missing.iloc[-2:].all()  # listed after every ranked area
    assert ranked.attrs["no_population"] == 2


def test_isolated_polygon_gets_the_isolated_note() -> None:
    areas = _with_island(_areas())
    ranked = rank_areas(areas, _incidents())
    island = ranked[ranked["area_id"] == ISLAND_ID].iloc[0]
    assert island["neighbours"] == 0
    assert pd.notna(island["rank"])
    assert island["gi_bin"] == 0 and not island["fdr_significant"]
    assert island["explanation"].endswith("no neighbouring areas, so not tested for hot spots.")
    assert island["reasons"].endswith(";isolated") or island["reasons"] == "isolated"
    assert ranked.attrs["isolated"] == 1
    assert (ranked.loc[ranked["area_id"] != ISLAND_ID, "neighbours"] > 0).all()


# --- options -------------------------------------------------------------------------------------------


def test_spatial_smoothing_runs() -> None:
    areas = _areas()
    ranked = rank_areas(areas, counts=_counts(), smoothing="spatial", suppress=False)
    assert ranked.attrs["smoothing"] == "spatial"
    assert sorted(ranked["rank"].tolist()) == list(range(1, len(areas) + 1))
    wide = _counts().pivot(index="area_id", columns="period", values="count").loc[areas["area_id"]]
    matrix = queen_contiguity(areas.geometry.values).matrix
    expected = eb_spatial(wide.to_numpy(dtype=float)[:, -1], areas["population"].to_numpy(dtype=float), matrix)
    np.testing.assert_allclose(_by_id(ranked, "eb_rate"), pd.Series(expected, index=areas["area_id"]).sort_index())
    assert not np.allclose(_by_id(ranked, "eb_rate"), _by_id(_ranking(suppress=False), "eb_rate"))


def test_permutation_option_and_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh process: nothing in the in-memory cache, so the neighbours are built and stored on disk
    monkeypatch.setattr(contiguity, "_MEMORY_CACHE", OrderedDict())
    steps: list[tuple[float, str]] = []
    ranked = rank_areas(
        _areas(),
        _incidents(),
        permutations=99,
        seed=3,
        cache_dir=tmp_path,
        progress=lambda f, m: steps.append((f, m)),
    )
    assert (ranked["gi_p"] >= 1 / 100).all()
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    assert list(tmp_path.glob("queen-*.npz"))
    again = rank_areas(_areas(), _incidents(), permutations=99, seed=3, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again, ranked)


# --- properties --------------------------------------------------------------------------------------

N_PERIODS = 4


def _records(counts: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    area, period = np.nonzero(np.ones_like(counts, dtype=bool))
    repeat = counts[area, period]
    return pd.DataFrame({"area_id": np.repeat(ids[area], repeat), "period": np.repeat(2020 + period, repeat)})


def _count_table(counts: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    area, period = np.nonzero(np.ones_like(counts, dtype=bool))
    return pd.DataFrame({"area_id": ids[area], "period": 2020 + period, "count": counts[area, period]})


_COUNT_ARRAYS = arrays(np.int64, (159, N_PERIODS), elements=st.integers(0, 40))


@settings(max_examples=25, deadline=None)
@given(counts=_COUNT_ARRAYS, area_order=st.permutations(range(159)), incident_seed=st.integers(0, 2**32 - 1))
def test_ranking_does_not_depend_on_row_order(counts: np.ndarray, area_order: list[int], incident_seed: int) -> None:
    areas = _areas()
    ids = areas["area_id"].to_numpy()
    records = _records(counts, ids)
    shuffled_areas = areas.iloc[area_order].reset_index(drop=True)
    shuffled_records = records.sample(frac=1.0, random_state=incident_seed).reset_index(drop=True)
    if not counts.any():  # no record at all: nothing to rank, refused whatever the order
        for frame, table in ((areas, records), (shuffled_areas, shuffled_records)):
            with pytest.raises(NothingToRankError):
                rank_areas(frame, table)
        return
    ranked = rank_areas(areas, records)
    reordered = rank_areas(shuffled_areas, shuffled_records)
    pd.testing.assert_series_equal(_by_id(reordered, "rank"), _by_id(ranked, "rank"))
    assert reordered["area_id"].tolist() == ranked["area_id"].tolist()
    pd.testing.assert_series_equal(_by_id(reordered, "suppressed"), _by_id(ranked, "suppressed"))
    pd.testing.assert_series_equal(_by_id(reordered, "explanation"), _by_id(ranked, "explanation"))


@settings(max_examples=25, deadline=None)
@given(counts=_COUNT_ARRAYS, factor=st.integers(2, 1_000))
def test_scaling_counts_and_population_keeps_the_raw_rate(counts: np.ndarray, factor: int) -> None:
    areas = _areas()
    ids = areas["area_id"].to_numpy()
    scaled_areas = areas.copy()
    scaled_areas["population"] = scaled_areas["population"] * factor
    if not counts[:, -1].any():  # nothing to rank in the latest period: refused, scaled or not
        with pytest.raises(NothingToRankError):
            rank_areas(scaled_areas, counts=_count_table(counts * factor, ids))
        return
    base = rank_areas(areas, counts=_count_table(counts, ids), suppress=False)
    scaled = rank_areas(scaled_areas, counts=_count_table(counts * factor, ids), suppress=False)
    np.testing.assert_allclose(_by_id(scaled, "rate"), _by_id(base, "rate"), rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(_by_id(scaled, "count"), _by_id(base, "count") * factor)


# --- export --------------------------------------------------------------------------------------------


def _check_round_trip(back: pd.DataFrame, ranked: pd.DataFrame) -> None:
    assert back["area_id"].astype(str).tolist() == ranked["area_id"].tolist()
    assert back["rank"].astype(int).tolist() == ranked["rank"].astype(int).tolist()
    np.testing.assert_allclose(back["score"].astype(float), ranked["score"])
    hidden = ranked["suppressed"].to_numpy()
    assert pd.isna(back.loc[hidden, "count"]).all()
    assert (back.loc[~hidden, "count"].astype(int).to_numpy() == ranked.loc[~hidden, "count"].to_numpy()).all()
    assert back["explanation"].tolist() == ranked["explanation"].tolist()


def test_csv_round_trip() -> None:
    ranked = _ranking()
    data = ranking_bytes(ranked, "csv")
    back = pd.read_csv(io.BytesIO(data), dtype={"area_id": str})
    assert list(back.columns) == list(ranked.columns)
    _check_round_trip(back, ranked)


def test_geojson_round_trip() -> None:
    ranked = _ranking()
    data = ranking_bytes(ranked, "geojson", areas=_areas().to_crs(26916))  # reprojected back to WGS 84
    assert json.loads(data)["type"] == "FeatureCollection"
    back = geopandas.read_file(io.BytesIO(data))
    assert back.crs.to_epsg() == 4326
    back["area_id"] = back["area_id"].astype(str)
    _check_round_trip(back, ranked)
    shapes = _areas().set_index("area_id").geometry
    first = back.iloc[0]
    assert first.geometry.representative_point().within(shapes.loc[first["area_id"]].buffer(1e-6))


def test_gpkg_round_trip(tmp_path: Path) -> None:
    ranked = _ranking()
    path = tmp_path / "ranking.gpkg"
    write_ranking(ranked, path, areas=_areas())
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    back = geopandas.read_file(path, layer="ranking")
    assert back.crs.to_epsg() == 4326
    _check_round_trip(back, ranked)
    assert len(back) == len(_areas())


def test_export_refuses_unsuppressed_small_counts(tmp_path: Path) -> None:
    raw = _ranking(suppress=False)
    assert raw.loc[raw["suppressed"], "count"].notna().any()
    for fmt in ("csv", "geojson", "gpkg"):
        with pytest.raises(ValueError, match="suppress=True"):
            ranking_bytes(raw, fmt, areas=_areas())
    target = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="suppress=True"):
        write_ranking(raw, target)
    assert not target.exists()


def test_export_needs_shapes_and_a_known_suffix() -> None:
    with pytest.raises(ValueError, match="area shapes"):
        ranking_bytes(_ranking(), "geojson")
    with pytest.raises(ValueError, match=r"\.csv, \.geojson or \.gpkg"):
        format_for_path("ranking.xlsx")
    assert format_for_path("RANKING.JSON") == "geojson"
