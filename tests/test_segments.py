"""Segment ranking: the statistics agree with statsmodels, the ranking finds what the demo hid."""

from __future__ import annotations

import geopandas
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint

from targeting.demo import AGE_BANDS, NATIONALITIES, SEXES, load_demo_areas, synthetic_incidents
from targeting.segments import (
    NOTE_HALDANE,
    NOTE_NO_POPULATION,
    UNKNOWN,
    demo_population_by_group,
    nationality_languages,
    rank_exploitation_types,
    rank_segments,
    round_outward,
)

BY = ["nationality", "age_band", "sex"]
OUTPUT_COLUMNS = [
    "segment",
    "rank",
    "count",
    "count_shown",
    "suppressed",
    "population",
    "incident_share",
    "population_share",
    "relative_risk",
    "rr_low",
    "rr_high",
    "p_value",
    "audience_low",
    "audience_high",
    "languages",
    "note",
]


@pytest.fixture(scope="module")
def georgia() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia")


@pytest.fixture(scope="module")
def incidents(georgia: geopandas.GeoDataFrame) -> pd.DataFrame:
    return synthetic_incidents(georgia)


@pytest.fixture(scope="module")
def population(georgia: geopandas.GeoDataFrame) -> pd.DataFrame:
    return demo_population_by_group(georgia)


@pytest.fixture(scope="module")
def ranked(incidents: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    return rank_segments(incidents, population, protect=False)


def _check_against_statsmodels(result: pd.DataFrame, confidence: float = 0.95) -> int:
    """Rebuild each segment's 2x2 table from the output and compare with Table2x2. Returns how many
    rows had a zero cell (checked against statsmodels given the table with 0.5 already added)."""
    comparable = result["rank"].notna() & (result["population"] > 0)
    total_a = result.loc[comparable, "count"].sum()
    total_n = result.loc[comparable, "population"].sum()
    zero_cells = 0
    rows = result.loc[comparable]
    assert len(rows) > 0
    for row in rows.itertuples():
        a, n1 = float(row.count), float(row.population)
        c, n0 = total_a - a, total_n - n1
        cells = np.array([[a, n1 - a], [c, n0 - c]])
        if (cells == 0).any():
            assert NOTE_HALDANE in row.note
            cells = cells + 0.5
            zero_cells += 1
        else:
            assert NOTE_HALDANE not in row.note
        table = Table2x2(cells, shift_zeros=False)
        low, high = table.riskratio_confint(alpha=1 - confidence)
        np.testing.assert_allclose(row.relative_risk, table.riskratio, rtol=1e-9, atol=0)
        np.testing.assert_allclose(row.rr_low, low, rtol=1e-9, atol=0)
        np.testing.assert_allclose(row.rr_high, high, rtol=1e-9, atol=0)
        np.testing.assert_allclose(row.p_value, table.riskratio_pvalue(), rtol=1e-9, atol=1e-300)
    return zero_cells


# --- statistics ------------------------------------------------------------------------------


def test_output_shape(ranked: pd.DataFrame) -> None:
    assert list(ranked.columns) == [*BY, *OUTPUT_COLUMNS]
    assert len(ranked) == len(NATIONALITIES) * len(AGE_BANDS) * len(SEXES)
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked.loc[0, "segment"] == " · ".join(ranked.loc[0, BY])
    assert ranked["incident_share"].sum() == pytest.approx(1.0)
    assert ranked["population_share"].sum() == pytest.approx(1.0)
    assert (ranked["note"] == "").all()  # the whole state has no zero cells and no unknowns
    assert ranked.attrs["by"] == tuple(BY) and ranked.attrs["dropped_by"] == ()


def test_relative_risk_matches_statsmodels_for_every_georgia_segment(ranked: pd.DataFrame) -> None:
    assert _check_against_statsmodels(ranked) == 0
    rr = ranked["relative_risk"]
    assert ((ranked["rr_low"] < rr) & (rr < ranked["rr_high"])).all()


def test_other_confidence_level_matches_statsmodels(incidents: pd.DataFrame, population: pd.DataFrame) -> None:
    _check_against_statsmodels(rank_segments(incidents, population, confidence=0.9, protect=False), confidence=0.9)


def test_zero_cells_use_haldane_correction_like_statsmodels(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame, population: pd.DataFrame
) -> None:
    few = georgia["area_id"].iloc[:10].tolist()
    result = rank_segments(incidents, population, areas=few, protect=False)
    assert _check_against_statsmodels(result) > 0
    # zero incidents is no evidence of over-representation: after every segment with incidents
    with_incidents = result.loc[result["count"] > 0, "rank"]
    assert result.loc[result["count"] == 0, "rank"].min() > with_incidents.max()


def test_zero_cell_by_hand() -> None:
    incidents = pd.DataFrame({"area_id": ["1"] * 12, "period": [2020] * 12, "nationality": ["RO"] * 12})
    population = pd.DataFrame(
        {"area_id": ["1", "1", "1"], "nationality": ["RO", "MX", "US"], "population": [400, 1_000, 50_000]}
    )
    result = rank_segments(incidents, population, by=["nationality"]).set_index("nationality")
    assert NOTE_HALDANE in result.loc["RO", "note"] and NOTE_HALDANE in result.loc["US", "note"]
    table = Table2x2(np.array([[12, 388], [0, 51_000]]) + 0.5, shift_zeros=False)
    assert result.loc["RO", "relative_risk"] == pytest.approx(table.riskratio, rel=1e-12)
    assert (result.loc["RO", "rr_low"], result.loc["RO", "rr_high"]) == pytest.approx(
        table.riskratio_confint(), rel=1e-12
    )
    assert result.loc["RO", "p_value"] == pytest.approx(table.riskratio_pvalue(), rel=1e-9)
    assert result.loc["RO", "rank"] == 1


def test_wilson_interval_matches_statsmodels(incidents: pd.DataFrame) -> None:
    result = rank_exploitation_types(incidents, protect=False)
    n = int(result["count"].sum())
    assert n == len(incidents)
    low, high = proportion_confint(result["count"].to_numpy(), n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(result["share_low"], low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result["share_high"], high, rtol=1e-12, atol=1e-15)
    assert result["count"].is_monotonic_decreasing
    assert result["rank"].tolist() == list(range(1, len(result) + 1))
    # synthetic_incidents weights sexual 0.36 vs labour 0.34, and Georgia's urban counties tilt it further
    assert result["exploitation_type"].iloc[0] == "sexual"


def test_wilson_small_counts_and_unknown_type() -> None:
    types = ["labour"] * 30 + ["sexual"] * 3 + [None] * 2 + ["unknown"]
    incidents = pd.DataFrame({"area_id": "1", "period": 2020, "exploitation_type": types})
    result = rank_exploitation_types(incidents, protect=False).set_index("exploitation_type")
    low, high = proportion_confint(3, len(types), method="wilson")
    assert (result.loc["sexual", "share_low"], result.loc["sexual", "share_high"]) == pytest.approx((low, high))
    assert result.loc[UNKNOWN, "count"] == 3 and pd.isna(result.loc[UNKNOWN, "rank"])
    assert result.index[-1] == UNKNOWN
    assert result["count_shown"].isna().sum() >= 2 and pd.isna(result.loc["sexual", "count_shown"])


# --- what the ranking finds ------------------------------------------------------------------


def test_built_in_over_representation_ranks_near_the_top(ranked: pd.DataFrame) -> None:
    """synthetic_incidents draws foreign nationals with probability (0.2 + 5 x pct_foreign_born),
    far above their population share, and sexual exploitation (the most common type) is 90 %
    female and 35 % aged 18-24 against 10.8 % of the population. So foreign women aged 18-24 are
    the segments it makes most over-represented."""
    key = ranked.set_index("segment")
    target = [f"{nat} · 18-24 · female" for nat in ("RO", "HN", "GT", "UA", "VN", "MX")]
    assert key.loc["RO · 18-24 · female", "rank"] <= 3
    assert key.loc[target, "rank"].max() <= 25
    assert (key.loc[target, "rr_low"] > 10).all()
    top = ranked.iloc[0]
    assert top["nationality"] != "US" and top["age_band"] == "18-24" and top["sex"] == "female"
    # every US segment ranks below every foreign 18-24 female one
    assert ranked.loc[ranked["nationality"] == "US", "rank"].min() > key.loc[target, "rank"].max()


def test_exploitation_type_filter(incidents: pd.DataFrame, population: pd.DataFrame) -> None:
    labour = rank_segments(incidents, population, exploitation_type="labour", protect=False)
    prefiltered = rank_segments(incidents[incidents["exploitation_type"] == "labour"], population, protect=False)
    pd.testing.assert_frame_equal(labour, prefiltered, check_like=False, check_exact=False)
    assert labour["count"].sum() == (incidents["exploitation_type"] == "labour").sum()
    # labour is 70 % male in the model, sexual exploitation 90 % female
    assert (labour["sex"].iloc[:5] == "male").all()
    sexual = rank_segments(incidents, population, exploitation_type="sexual", protect=False)
    assert (sexual["sex"].iloc[:5] == "female").all()


def test_period_and_area_filters(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame, population: pd.DataFrame
) -> None:
    chosen = georgia.nlargest(20, "population")["area_id"].tolist()
    result = rank_segments(incidents, population, areas=chosen, periods=[2023, "2024"], protect=False)
    expected = incidents["area_id"].isin(chosen) & incidents["period"].isin([2023, 2024])
    assert result["count"].sum() == expected.sum()
    assert result["population"].sum() == georgia.loc[georgia["area_id"].isin(chosen), "population"].sum()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_areas=st.sampled_from([3, 12, 159]))
def test_row_order_does_not_change_the_ranking(
    incidents: pd.DataFrame, population: pd.DataFrame, georgia: geopandas.GeoDataFrame, seed: int, n_areas: int
) -> None:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(georgia["area_id"].to_numpy(), size=n_areas, replace=False).tolist()
    expected = rank_segments(incidents, population, areas=chosen)
    shuffled = rank_segments(
        incidents.sample(frac=1.0, random_state=rng.integers(2**31)),
        population.sample(frac=1.0, random_state=rng.integers(2**31)),
        areas=list(reversed(chosen)),
    )
    pd.testing.assert_frame_equal(expected, shuffled)


# --- unknowns, missing population, coarser tables ----------------------------------------------


def test_unknown_values_are_reported_not_ranked(incidents: pd.DataFrame, population: pd.DataFrame) -> None:
    blurred = incidents.copy()
    blurred.loc[blurred.index[::10], "nationality"] = None
    blurred.loc[blurred.index[1::25], "sex"] = "Unknown"
    result = rank_segments(blurred, population, protect=False)
    unknown = (result["nationality"] == UNKNOWN) | (result["sex"] == UNKNOWN)
    assert unknown.any() and result.loc[unknown, "rank"].isna().all()
    assert result.loc[unknown, "relative_risk"].isna().all()
    assert result.loc[~unknown, "rank"].notna().all()
    assert result["count"].sum() == len(blurred)
    assert unknown.to_numpy()[-unknown.sum() :].all()  # reported after every ranked segment
    # the comparison base leaves unknowns out: same RRs as ranking only the fully recorded rows
    recorded = blurred[blurred["nationality"].notna() & (blurred["sex"] != "Unknown")]
    base = rank_segments(recorded, population, protect=False)
    pd.testing.assert_series_equal(
        result.loc[~unknown, "relative_risk"].reset_index(drop=True), base["relative_risk"], check_exact=False
    )


def test_group_without_population_has_no_rr_and_ranks_last() -> None:
    incidents = pd.DataFrame({"area_id": "1", "period": 2020, "nationality": ["RO"] * 20 + ["US"] * 30 + ["BR"] * 15})
    population = pd.DataFrame({"area_id": "1", "nationality": ["RO", "US"], "population": [2_000, 90_000]})
    result = rank_segments(incidents, population, by=["nationality"])
    last = result.iloc[-1]
    assert last["nationality"] == "BR" and last["rank"] == 3
    assert np.isnan(last["relative_risk"]) and np.isnan(last["rr_low"]) and np.isnan(last["p_value"])
    assert last["note"] == NOTE_NO_POPULATION
    assert pd.isna(last["audience_low"]) and pd.isna(last["audience_high"])
    assert result["nationality"].tolist() == ["RO", "US", "BR"]
    # BR's incidents are not part of the comparison: RO vs US alone
    table = Table2x2([[20, 1_980], [30, 89_970]])
    assert result.iloc[0]["relative_risk"] == pytest.approx(table.riskratio, rel=1e-12)


def test_coarser_population_table(incidents: pd.DataFrame, population: pd.DataFrame) -> None:
    by_nationality = population.groupby(["area_id", "nationality"], as_index=False)["population"].sum()
    result = rank_segments(incidents, by_nationality)
    assert list(result.columns) == ["nationality", *OUTPUT_COLUMNS]
    assert result.attrs["by"] == ("nationality",) and result.attrs["dropped_by"] == ("age_band", "sex")
    direct = rank_segments(incidents, population, by=["nationality"])
    pd.testing.assert_frame_equal(result[OUTPUT_COLUMNS], direct[OUTPUT_COLUMNS])


def test_bad_inputs() -> None:
    incidents = pd.DataFrame({"area_id": "1", "period": 2020, "nationality": ["RO"]})
    population = pd.DataFrame({"area_id": "1", "nationality": ["RO"], "population": [10]})
    with pytest.raises(ValueError, match="no column"):
        rank_segments(incidents, population, by=["age_band"])
    with pytest.raises(ValueError, match="none of the by columns"):
        rank_segments(incidents.assign(sex="f"), population, by=["sex"])
    with pytest.raises(ValueError, match="confidence"):
        rank_segments(incidents, population, by=["nationality"], confidence=95)
    with pytest.raises(ValueError, match="exploitation_type"):
        rank_segments(incidents, population, by=["nationality"], exploitation_type="labour")


# --- audience ------------------------------------------------------------------------------


def test_round_outward() -> None:
    low, high = round_outward([12_345, 9_950, 0, 7, 120, np.nan], [12_345, 10_050, 0, 7, 120, np.nan])
    np.testing.assert_array_equal(low, [12_000, 9_900, 0, 7, 120, np.nan])
    np.testing.assert_array_equal(high, [13_000, 11_000, 0, 7, 120, np.nan])


def _one_group(extra: dict[str, list[float]]) -> pd.DataFrame:
    incidents = pd.DataFrame({"area_id": ["1", "2"], "period": 2020, "nationality": ["RO", "US"]})
    population = pd.DataFrame({"area_id": ["1", "2", "1", "2"], "nationality": ["RO", "RO", "US", "US"], **extra})
    return rank_segments(incidents, population, by=["nationality"]).set_index("nationality")


def test_audience_is_rounded_outward_to_two_significant_figures() -> None:
    result = _one_group({"population": [12_000, 345, 50_000, 50_000]})
    assert result.loc["RO", "population"] == 12_345
    assert (result.loc["RO", "audience_low"], result.loc["RO", "audience_high"]) == (12_000, 13_000)
    assert (result.loc["US", "audience_low"], result.loc["US", "audience_high"]) == (100_000, 100_000)


def test_audience_combines_margins_of_error() -> None:
    # 90 % MOEs 300 and 400 combine to sqrt(300^2 + 400^2) = 500 around 9,000
    result = _one_group({"population": [5_000, 4_000, 70_000, 1_000], "moe": [300, 400, 1_000, 200]})
    assert (result.loc["RO", "audience_low"], result.loc["RO", "audience_high"]) == (8_500, 9_500)
    # US: 71,000 +/- sqrt(1,000^2 + 200^2) = 1,019.8 -> 69,980..72,020 -> rounded outward
    assert (result.loc["US", "audience_low"], result.loc["US", "audience_high"]) == (69_000, 73_000)
    assert result.attrs["audience_uncertainty"] == "moe"


def test_audience_sums_given_low_and_high() -> None:
    result = _one_group(
        {
            "population": [5_000, 4_000, 70_000, 1_000],
            "population_low": [4_800, 3_700, 69_000, 900],
            "population_high": [5_100, 4_400, 71_000, 1_100],
        }
    )
    assert (result.loc["RO", "audience_low"], result.loc["RO", "audience_high"]) == (8_500, 9_500)
    assert result.attrs["audience_uncertainty"] == "range"


# --- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("MX", ("es", "en")),
        ("UA", ("uk", "en")),
        ("VN", ("vi", "en")),
        ("RO", ("ro", "en")),
        ("US", ("en",)),
        ("GT", ("es", "en")),
        ("IN", ("hi", "en")),
        ("ZZ", ("en",)),
    ],
)
def test_nationality_languages(code: str, expected: tuple[str, ...]) -> None:
    assert nationality_languages(code) == expected


def test_languages_column(ranked: pd.DataFrame) -> None:
    by_nationality = ranked.drop_duplicates("nationality").set_index("nationality")["languages"]
    assert by_nationality["RO"] == ("ro", "en") and by_nationality["US"] == ("en",)


def test_language_column_used_directly() -> None:
    incidents = pd.DataFrame(
        {
            "area_id": "1",
            "period": 2020,
            "language": ["ru"] * 20 + ["uk"] * 5 + ["en"] * 30,
            "nationality": ["UA"] * 25 + ["US"] * 30,
        }
    )
    population = pd.DataFrame({"area_id": "1", "language": ["ru", "uk", "en"], "population": [3_000, 4_000, 90_000]})
    result = rank_segments(incidents, population, by=["language"]).set_index("language")
    assert result.loc["ru", "languages"] == ("ru",)
    assert result.loc["uk", "languages"] == ("uk",)
    assert result.loc["en", "languages"] == ("en",)
    both = rank_segments(incidents, population.assign(nationality="UA"), by=["nationality", "language"])
    assert set(both["languages"]) == {("ru",), ("uk",), ("en",)}  # language wins over nationality


# --- suppression -----------------------------------------------------------------------------


def test_small_count_is_hidden_and_nothing_published_depends_on_it() -> None:
    population = pd.DataFrame({"area_id": "1", "nationality": ["RO", "MX", "US"], "population": [50, 20_000, 80_000]})

    def ranked(ro: int, mx: int = 40, **kwargs: object) -> pd.DataFrame:
        incidents = pd.DataFrame(
            {"area_id": "1", "period": 2020, "nationality": ["RO"] * ro + ["MX"] * mx + ["US"] * 60}
        )
        return rank_segments(incidents, population, by=["nationality"], **kwargs).set_index("nationality")

    result = ranked(3)
    assert pd.isna(result.loc["RO", "count"]) and np.isnan(result.loc["RO", "count_shown"])
    assert result.loc["RO", "suppressed"] and result["suppressed"].sum() == 1  # independent table
    assert result.loc["RO", "rank"] == 1  # ranked, as if it had 5.5 incidents
    shown = result.loc[~result["suppressed"]]
    assert shown["count_shown"].eq(shown["count"].astype(float)).all()
    for other in (1, 7, 10):  # any other hidden value: every published number stays the same
        pd.testing.assert_frame_equal(ranked(other), result)
    assert ranked(3, protect=False).loc["RO", "count"] == 3
    # With the total published elsewhere, a second count is hidden so it cannot be subtracted.
    # The hidden pair may split their known sum (43) any way: nothing published changes.
    known = ranked(3, total_known=True)
    assert known["suppressed"].sum() == 2 and known.loc[["RO", "MX"], "suppressed"].all()
    for ro in (1, 10):
        pd.testing.assert_frame_equal(ranked(ro, 43 - ro, total_known=True), known)


def test_demo_has_suppressed_but_ranked_segments(ranked: pd.DataFrame) -> None:
    small = ranked["count"].between(1, 10)
    assert small.any()
    assert ranked.loc[small, "count_shown"].isna().all() and ranked.loc[small, "suppressed"].all()
    assert ranked.loc[small, "rank"].notna().all()


# --- demo denominators -----------------------------------------------------------------------


def test_demo_population_sums_to_each_area_exactly(georgia: geopandas.GeoDataFrame, population: pd.DataFrame) -> None:
    assert population["synthetic"].all() and population.attrs["synthetic"] is True
    assert len(population) == len(georgia) * len(NATIONALITIES) * len(AGE_BANDS) * len(SEXES)
    assert (population["population"] >= 0).all() and population["population"].dtype == np.int64
    totals = population.groupby("area_id")["population"].sum()
    expected = georgia.set_index("area_id")["population"].astype("int64")
    pd.testing.assert_series_equal(totals.sort_index(), expected.sort_index(), check_names=False)
    foreign = population.loc[population["nationality"] != "US"].groupby("area_id")["population"].sum()
    fb = (georgia.set_index("area_id")["population"] * georgia.set_index("area_id")["pct_foreign_born"]).astype(float)
    np.testing.assert_allclose(foreign.sort_index(), fb.sort_index(), atol=len(NATIONALITIES) * 10)


def test_demo_population_is_deterministic(georgia: geopandas.GeoDataFrame, population: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(demo_population_by_group(georgia, seed=0), population)
    other = demo_population_by_group(georgia, seed=1)
    assert not other["population"].equals(population["population"])
    assert other.groupby("area_id")["population"].sum().equals(population.groupby("area_id")["population"].sum())
