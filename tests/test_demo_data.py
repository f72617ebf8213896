"""The demo sets are real where they claim to be, the synthetic incidents have findable structure,
and the demo's two synthetic campaigns look like a published geo-targeted campaign."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
from conftest import USE_POSTGRES, create_schema, drop_postgres_database, make_app, new_postgres_database
from flask import Flask
from sqlalchemy import func, select

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import (
    AuditEntry,
    BoundarySet,
    Campaign,
    CampaignStatus,
    Organisation,
    RankingRun,
    ReachImport,
    ReachRow,
)
from campaigns.services import reach
from campaigns.services.audit import SYSTEM_CLI
from campaigns.services.demo import (
    DEMO_ORGANISATION,
    ENDED_AREAS,
    FICTIONAL,
    HELPLINE_COUNTRY,
    RUNNING_AREAS,
    load_demo,
)
from campaigns.services.ranking import run_frame
from content.library import default_library
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


# --- the demo campaigns -------------------------------------------------------------------------

TODAY = date(2027, 3, 10)  # a fixed load date: the campaigns' dates follow from it
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo loaded once for this module, on a database of its own (SQLite or PostgreSQL)."""
    path: Path = tmp_path_factory.mktemp("demo-campaigns")
    url = new_postgres_database() if USE_POSTGRES else f"sqlite:///{path / 'demo.sqlite3'}"
    app = make_app(path, url)
    with app.app_context():
        create_schema()
        with write_intent():
            load_demo(SYSTEM_CLI, today=TODAY)
            db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if USE_POSTGRES:
        drop_postgres_database(url)


@pytest.fixture
def ctx(demo_db: Flask) -> Iterator[Flask]:
    with demo_db.app_context():
        yield demo_db
        db.session.rollback()


def _campaigns() -> dict[CampaignStatus, Campaign]:
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    assert org is not None
    found = db.session.scalars(select(Campaign).where(Campaign.organisation_id == org.id)).all()
    assert len(found) == 2
    by_status = {c.status: c for c in found}
    assert set(by_status) == {CampaignStatus.RUNNING, CampaignStatus.ENDED}
    return by_status


def test_two_synthetic_campaigns_one_running_one_ended(ctx: Flask) -> None:
    campaigns = _campaigns()
    georgia = db.session.scalar(select(BoundarySet).where(BoundarySet.name.startswith("Georgia")))
    assert georgia is not None
    running, ended = campaigns[CampaignStatus.RUNNING], campaigns[CampaignStatus.ENDED]
    assert running.starts is not None and running.ends is not None
    assert running.starts == TODAY - timedelta(days=60) and running.ends == TODAY + timedelta(days=45)
    assert ended.ends is not None and ended.starts is not None and ended.ends.year == TODAY.year - 1
    for campaign in campaigns.values():
        assert campaign.synthetic and "synthetic" in campaign.name.lower()
        assert "SYNTHETIC" in campaign.objective
        assert campaign.boundary_set_id == georgia.id
        assert campaign.locales == ["en", "lt"]
        assert {"frontline_training", "community_events", "social_media"} == set(campaign.channels)
        assert campaign.budget_cents and campaign.budget_cents > 0 and campaign.currency == "USD"


def test_no_real_organisation_is_named(ctx: Flask) -> None:
    """The rule: every partner's name is marked "(fictional)", as the demo organisation's is."""
    assert DEMO_ORGANISATION.endswith(FICTIONAL)
    for campaign in _campaigns().values():
        assert campaign.partners
        assert all(partner.endswith(FICTIONAL) for partner in campaign.partners), campaign.partners


def test_the_helpline_is_the_content_librarys(ctx: Flask) -> None:
    lines = sorted(default_library().helplines_for(HELPLINE_COUNTRY), key=lambda h: h.kind != "trafficking")
    for campaign in _campaigns().values():
        if lines:
            assert (campaign.helpline_name, campaign.helpline_number) == (lines[0].name, lines[0].number)
            assert campaign.helpline_verified == lines[0].verified
        else:  # the library has no line for the country yet: nothing is made up
            assert (campaign.helpline_name, campaign.helpline_number, campaign.helpline_verified) == ("", "", None)


def test_areas_are_frozen_from_the_latest_years_stored_ranking(ctx: Flask) -> None:
    for campaign in _campaigns().values():
        run = db.session.get(RankingRun, campaign.ranking_run_id)
        assert run is not None and run.status == "done"
        assert campaign.ranking_period == str((run.meta or {})["period"]) == "2024"
        frame = run_frame(run).set_index("area_id")
        expected = RUNNING_AREAS if campaign.status == CampaignStatus.RUNNING else ENDED_AREAS
        best = frame[frame["rank"].notna()].sort_values("rank").index[:expected].tolist()
        assert [a.area_code for a in campaign.areas] == best
        for area in campaign.areas:
            row = frame.loc[area.area_code]
            assert (area.rank, area.name, area.population) == (row["rank"], row["name"], row["population"])
            assert area.score == pytest.approx(row["score"]) and area.reasons == row["reasons"]
            assert area.hidden == bool(row["suppressed"])
            assert (area.count is None) == area.hidden


def test_targets_per_area_and_channel_below_each_population(ctx: Flask) -> None:
    for campaign in _campaigns().values():
        targets = {(t.area_code, t.channel): t.target_reach for t in campaign.targets}
        assert set(targets) == {(a.area_code, c) for a in campaign.areas for c in campaign.channels}
        population = {a.area_code: a.population for a in campaign.areas}
        assert all(0 < people < population[code] for (code, _), people in targets.items())


def test_the_running_campaign_has_reach_up_to_yesterday(ctx: Flask) -> None:
    campaign = _campaigns()[CampaignStatus.RUNNING]
    cover = reach.coverage(campaign)
    assert cover.last_day == YESTERDAY
    rows = pd.DataFrame(db.session.execute(
        select(ReachRow.channel, ReachRow.area_code, ReachRow.period_start, ReachRow.period_end, ReachRow.reached,
               ReachRow.impressions, ReachRow.events, ReachRow.trained, ReachRow.materials, ReachRow.segment,
               ReachRow.locale)
        .where(ReachRow.campaign_id == campaign.id)).all())  # fmt: skip
    assert rows["period_end"].max() == YESTERDAY and rows["period_start"].min() == campaign.starts
    social = rows[rows["channel"] == "social_media"]
    length = (pd.to_datetime(social["period_end"]) - pd.to_datetime(social["period_start"])).dt.days + 1
    daily, weekly = social[length == 1], social[length == 7]
    assert len(daily) == RUNNING_AREAS * (YESTERDAY - campaign.starts).days + RUNNING_AREAS  # every area, every day
    assert daily["reached"].notna().all() and daily["impressions"].notna().all()
    frequency = daily["impressions"].sum() / daily["reached"].sum()
    assert 2 <= frequency <= 4
    # A week's unique reach is not the sum of its days: well below it, and above the best single day.
    assert len(weekly) >= RUNNING_AREAS
    for week in weekly.itertuples():
        days = daily[(daily["area_code"] == week.area_code) & (daily["period_start"] >= week.period_start)
                     & (daily["period_end"] <= week.period_end)]  # fmt: skip
        assert len(days) == 7 and days["reached"].max() <= week.reached < days["reached"].sum()
    events = rows[rows["channel"] == "community_events"]
    assert len(events) >= 10 and events[["events", "reached", "materials"]].notna().all().all()
    assert set(events["locale"]) == {"en", "lt"}  # events held in each of the campaign's languages
    training = rows[rows["channel"] == "frontline_training"]
    assert len(training) >= 5 and training[["events", "trained"]].notna().all().all()
    assert set(training["segment"]) == {"bank staff"}
    assert set(events["area_code"]) < {a.area_code for a in campaign.areas}  # in some areas, not all


def test_the_running_campaign_reaches_hundreds_of_thousands_with_a_gap(ctx: Flask) -> None:
    cover = reach.coverage(_campaigns()[CampaignStatus.RUNNING])
    social = next(c for c in cover.channels if c.channel == "social_media")
    assert social.reached_low is not None and 100_000 <= social.reached_low < 1_000_000
    assert social.reached_summed is not None and social.reached_summed > social.reached_low  # days overlap
    assert social.frequency is not None and 2 <= social.frequency <= 4
    training = next(c for c in cover.channels if c.channel == "frontline_training")
    assert training.measures["trained"] and training.measures["events"]
    assert not cover.any_over
    shares = sorted(a.coverage for a in cover.areas if a.coverage is not None)
    assert len(shares) == RUNNING_AREAS
    assert shares[0] < 0.4 * shares[len(shares) // 2]  # one area far behind the others: the gap


def test_the_ended_campaign_is_smaller_and_within_its_dates(ctx: Flask) -> None:
    campaigns = _campaigns()
    running, ended = campaigns[CampaignStatus.RUNNING], campaigns[CampaignStatus.ENDED]
    cover = reach.coverage(ended)
    assert cover.last_day is not None and ended.ends is not None and cover.last_day <= ended.ends
    assert 0 < cover.rows < reach.coverage(running).rows
    social = next(c for c in cover.channels if c.channel == "social_media")
    assert social.reached_low is not None and social.reached_low > 50_000
    assert social.frequency is not None and 2 <= social.frequency <= 4


def test_reach_was_stored_by_imports_and_audited(ctx: Flask) -> None:
    for campaign in _campaigns().values():
        imports = db.session.scalars(select(ReachImport).where(ReachImport.campaign_id == campaign.id)).all()
        assert {i.source for i in imports} == {"csv", "form"}
        assert sum(i.added for i in imports) == reach.row_count(campaign.id)
        unattached = db.session.scalar(select(func.count()).where(ReachRow.campaign_id == campaign.id,
                                                                   ReachRow.import_id.is_(None)))  # fmt: skip
        assert unattached == 0
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(campaign.id))))
        assert {"campaign.create", "campaign.targets", "campaign.status", "reach.import"} <= actions


def test_loading_again_changes_nothing(ctx: Flask) -> None:
    before = (db.session.scalar(select(func.count()).select_from(Campaign)),
              db.session.scalar(select(func.count()).select_from(ReachRow)),
              db.session.scalar(select(func.count()).select_from(RankingRun)))  # fmt: skip
    db.session.rollback()
    with write_intent():
        report = load_demo(SYSTEM_CLI, today=TODAY + timedelta(days=3))
        db.session.commit()
    assert report.created == []
    assert before == (db.session.scalar(select(func.count()).select_from(Campaign)),
                      db.session.scalar(select(func.count()).select_from(ReachRow)),
                      db.session.scalar(select(func.count()).select_from(RankingRun)))  # fmt: skip


def test_demo_sources_fit_the_source_column() -> None:
    """PostgreSQL refuses a value longer than VARCHAR(500) where SQLite would keep it."""
    from campaigns.models import BoundarySet
    from targeting.demo import DEMO_SETS

    limit = BoundarySet.__table__.c.source.type.length
    assert all(len(spec.source) <= limit for spec in DEMO_SETS.values())
