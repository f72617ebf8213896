"""The demo sets are real where they claim to be and the synthetic incidents have findable structure."""

from __future__ import annotations

import geopandas
import numpy as np
import pandas as pd
import pytest

from targeting.demo import (
    AGE_BANDS,
    DEMO_SETS,
    EXPLOITATION_TYPES,
    INCIDENT_COLUMNS,
    NATIONALITIES,
    RECRUITMENT_CHANNELS,
    SEXES,
    load_demo_areas,
    synthetic_counts,
    synthetic_incidents,
)
from targeting.privacy import find_identifier_columns

GEORGIA_1990_POPULATION = 6_478_216
PERIODS = list(range(2019, 2025))


@pytest.fixture(scope="module")
def georgia() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia")


@pytest.fixture(scope="module")
def virginia() -> geopandas.GeoDataFrame:
    return load_demo_areas("virginia")


@pytest.fixture(scope="module")
def incidents(georgia: geopandas.GeoDataFrame) -> pd.DataFrame:
    return synthetic_incidents(georgia)


@pytest.fixture(scope="module")
def counts(incidents: pd.DataFrame) -> pd.DataFrame:
    return synthetic_counts(incidents)


def _check_areas(areas: geopandas.GeoDataFrame, n: int, state_fips: str) -> None:
    assert len(areas) == n
    assert areas["area_id"].is_unique
    assert areas["area_id"].str.fullmatch(state_fips + r"\d{3}").all()
    assert areas["name"].str.len().gt(0).all() and areas["name"].is_unique
    assert areas.crs is not None and areas.crs.to_epsg() == 4326
    assert areas.geometry.notna().all() and not areas.geometry.is_empty.any()
    assert areas.geometry.is_valid.all()
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"}


def test_specs_describe_their_sets() -> None:
    assert set(DEMO_SETS) == {"georgia", "virginia"}
    for key, spec in DEMO_SETS.items():
        assert spec.key == key and spec.title and "libpysal" in spec.source
        assert spec.path.is_file()


def test_georgia_is_the_1990_census(georgia: geopandas.GeoDataFrame) -> None:
    _check_areas(georgia, 159, "13")
    assert georgia["population"].gt(0).all()
    assert int(georgia["population"].sum()) == GEORGIA_1990_POPULATION
    by_id = georgia.set_index("area_id")
    assert by_id.loc["13121", "name"] == "Fulton" and by_id.loc["13121", "population"] == 648_951
    assert georgia.loc[georgia["population"].idxmax(), "area_id"] == "13121"
    assert by_id.loc["13265", "name"] == "Taliaferro" and by_id.loc["13265", "population"] == 1_915
    for column in ("pct_foreign_born", "pct_rural", "pct_poverty"):
        assert georgia[column].between(0, 1).all()
    assert georgia["pct_rural"].max() == 1.0  # the source is in percent; 100 % rural -> 1.0
    minx, miny, maxx, maxy = georgia.total_bounds
    assert -85.7 < minx < -85.5 and 30.3 < miny < 30.4 and -80.9 < maxx < -80.7 and 34.9 < maxy < 35.1


def test_georgia_crs_puts_the_files_own_points_in_their_counties(georgia: geopandas.GeoDataFrame) -> None:
    """The shapefile has no .prj; its Latitude/Longitud columns are an independent check of the CRS."""
    raw = geopandas.read_file(DEMO_SETS["georgia"].path, engine="pyogrio", ignore_geometry=True)
    points = geopandas.GeoSeries(geopandas.points_from_xy(raw["Longitud"], raw["Latitude"]), crs=4267)
    points.index = raw["AreaKey"].astype(str)
    polygons = georgia.set_index("area_id").geometry.loc[points.index]
    assert polygons.contains(points.to_crs(4326)).all()


def test_virginia_has_boundaries_but_no_population(virginia: geopandas.GeoDataFrame) -> None:
    _check_areas(virginia, 136, "51")
    assert virginia["population"].isna().all()
    codes = virginia["area_id"].str[2:].astype(int)
    assert (codes < 500).sum() == 95 and (codes >= 500).sum() == 41  # counties, independent cities
    assert "Falls Church" in set(virginia["name"])
    with pytest.raises(ValueError, match="population"):
        synthetic_incidents(virginia)


def test_unknown_set_is_refused() -> None:
    with pytest.raises(KeyError):
        load_demo_areas("atlantis")


def test_incidents_are_deterministic(georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(synthetic_incidents(georgia), incidents)
    other = synthetic_incidents(georgia, seed=7)
    assert not (len(other) == len(incidents) and other.equals(incidents))


def test_incidents_are_synthetic_and_identify_nobody(incidents: pd.DataFrame) -> None:
    assert tuple(incidents.columns) == INCIDENT_COLUMNS
    assert incidents["synthetic"].dtype == bool and incidents["synthetic"].all()
    assert find_identifier_columns(pd.DataFrame(incidents)) == []
    allowed = {
        "exploitation_type": EXPLOITATION_TYPES,
        "recruitment": RECRUITMENT_CHANNELS,
        "age_band": AGE_BANDS,
        "sex": SEXES,
        "nationality": NATIONALITIES,
    }
    for column, values in allowed.items():
        assert set(incidents[column]) == set(values), column


def test_incidents_belong_to_the_areas_and_periods(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame
) -> None:
    assert set(incidents["area_id"]) <= set(georgia["area_id"])
    assert set(incidents["period"]) == set(PERIODS)
    assert incidents["period"].dtype == np.int64


def test_counts_cover_every_area_and_period(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame, counts: pd.DataFrame
) -> None:
    assert list(counts.columns) == ["area_id", "period", "count"]
    assert len(counts) == len(georgia) * len(PERIODS)
    assert not counts.duplicated(["area_id", "period"]).any()
    assert set(counts["area_id"]) == set(georgia["area_id"])
    assert counts["count"].sum() == len(incidents)
    assert (counts["count"] == 0).any()
    observed = incidents.groupby(["area_id", "period"]).size()
    merged = counts.set_index(["area_id", "period"])["count"]
    assert (merged.loc[observed.index] == observed).all()


def test_counts_keep_areas_without_any_incident(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame
) -> None:
    quiet = incidents[incidents["area_id"] != "13001"].copy()
    quiet.attrs = {}
    ids = list(georgia["area_id"])
    grid = synthetic_counts(quiet, area_ids=ids, periods=PERIODS)
    assert len(grid) == len(ids) * len(PERIODS)
    assert grid.loc[grid["area_id"] == "13001", "count"].eq(0).all()
    with pytest.raises(ValueError, match="outside"):
        synthetic_counts(incidents, area_ids=ids[1:], periods=PERIODS)


def test_rate_is_in_the_promised_range_and_small_counts_occur(
    georgia: geopandas.GeoDataFrame, incidents: pd.DataFrame, counts: pd.DataFrame
) -> None:
    per_100k_per_year = len(incidents) / int(georgia["population"].sum()) / len(PERIODS) * 1e5
    assert 5 <= per_100k_per_year <= 40
    assert (counts["count"].between(1, 10)).sum() > 100  # suppression has work to do
    assert (counts["count"] >= 11).sum() > 20  # and something survives it


def test_hot_spots_are_spatially_clustered(georgia: geopandas.GeoDataFrame, counts: pd.DataFrame) -> None:
    totals = counts.groupby("area_id")["count"].sum()
    rate = (totals / georgia.set_index("area_id")["population"].astype(float)).loc[georgia["area_id"]]
    pairs = geopandas.sjoin(georgia[["geometry"]], georgia[["geometry"]], predicate="intersects")
    pairs = pairs[pairs.index != pairs["index_right"]]
    weights = np.zeros((len(georgia), len(georgia)))
    weights[pairs.index.to_numpy(), pairs["index_right"].to_numpy()] = 1.0
    weights /= weights.sum(axis=1, keepdims=True)
    z = rate.to_numpy() - rate.to_numpy().mean()
    morans_i = float(z @ weights @ z / (z @ z))
    assert morans_i > 0.2


def test_some_areas_rise_and_some_fall(counts: pd.DataFrame) -> None:
    wide = counts.pivot(index="area_id", columns="period", values="count")
    first, last = wide[PERIODS[:2]].sum(axis=1), wide[PERIODS[-2:]].sum(axis=1)
    busy = (first + last) >= 40
    ratio = (last / first)[busy]
    assert (ratio > 1.5).any() and (ratio < 0.67).any()


def test_online_recruitment_grows(incidents: pd.DataFrame) -> None:
    share = incidents.groupby("period")["recruitment"].apply(lambda s: (s == "online").mean())
    assert share[PERIODS[-1]] > share[PERIODS[0]]
