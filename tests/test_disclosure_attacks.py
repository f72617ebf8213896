"""The attacks of issue 10 against every output of the app, on the demo's Georgia data.

A coordinator ranks every year; an outsider then holds everything the planner lets leave: the
ranking exports (CSV, GeoJSON, GeoPackage), the map's GeoJSON, the counts table (page CSV and
API), the segment CSV and the exploitation-type table. For each attack the test scores how many
hidden counts come back exactly against how many the best guess from published facts alone
(the likeliest small count, or the count expected from the area's population) gets right, and
checks each attack really is one: on outputs protected only by blanking cells, it recovers
nearly every hidden count.
"""

from __future__ import annotations

import io

import disclosure_attacks as attack  # noqa: I001 (a test helper module beside this file)
import numpy as np
import pandas as pd
import pytest
from conftest import demo_client, georgia_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from test_ranking_pages import _rank

from campaigns.extensions import db
from campaigns.models import Area, IncidentRecord, IncidentSet, RankingRun
from targeting import rank_areas
from targeting.contiguity import queen_contiguity
from targeting.demo import load_demo_areas, synthetic_incidents

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

YEARS = [str(y) for y in range(2019, 2025)]
FORMATS = {"export.csv": "csv", "export.geojson": "geojson", "export.gpkg": "gpkg", "map.geojson": "geojson"}
SLACK = 0.03  # recovery may not beat the best guess by more than noise


class Outputs:
    """Everything the outsider downloaded, and the true counts the test scores against."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.set_id = georgia_id(app)
        self.run_urls = {year: _rank(client, self.set_id, period=year) for year in YEARS}
        self.files = {
            (year, name): client.get(url + "/" + name).data for year, url in self.run_urls.items() for name in FORMATS
        }
        self.segments = {year: client.get(url + "/segments.csv").data for year, url in self.run_urls.items()}
        self.counts_csv = client.get(f"/targeting/sets/{self.set_id}/counts.csv").get_data(as_text=True)
        with app.app_context():
            rows = db.session.execute(
                select(Area.code, IncidentRecord.period, func.sum(IncidentRecord.count))
                .join(IncidentRecord, IncidentRecord.area_id == Area.id)
                .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id)
                .where(IncidentSet.boundary_set_id == self.set_id)
                .group_by(Area.code, IncidentRecord.period)
            ).all()
            self.areas = load_shapes_for(self.set_id)
            run_ids = [int(url.rstrip("/").rsplit("/", 1)[-1]) for url in self.run_urls.values()]
            self.types = {
                year: (db.session.get(RankingRun, run_id).meta or {}).get("exploitation_types", [])
                for year, run_id in zip(YEARS, run_ids, strict=True)
            }
        self.truth = {(str(code), str(period)): int(n) for code, period, n in rows}
        self.order = self.areas["area_id"].astype(str).to_numpy()
        self.neighbours = queen_contiguity(self.areas.geometry.values, ids=list(self.order)).matrix

    def true_count(self, year: str) -> dict[str, int]:
        return {area: self.truth.get((area, year), 0) for area in self.order}

    def ranking(self, year: str, name: str) -> attack.PublishedRanking:
        return attack.read_ranking(self.files[(year, name)], FORMATS[name]).aligned(self.order)

    def counts_table(self) -> tuple[pd.DataFrame, pd.Series]:
        lines = [line for line in self.counts_csv.splitlines() if not line.startswith("#")]
        table = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str)
        body = table[table["area_name"] != "total"].set_index("area_code")
        cells = body[YEARS].apply(pd.to_numeric, errors="coerce")
        return cells, body["total"]


def load_shapes_for(set_id: int) -> pd.DataFrame:
    from campaigns.models import BoundarySet
    from campaigns.services.ranking import load_shapes

    return load_shapes(db.session.get(BoundarySet, set_id))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from conftest import make_demo_app

    path = tmp_path_factory.mktemp("attacks")
    app = make_demo_app(path, f"sqlite:///{path / 'attacks.db'}")
    return Outputs(app, demo_client(app))


def _assert_no_better_than_guessing(result: attack.Recovery, what: str) -> None:
    assert result.attempted >= 20, f"{what}: too few hidden counts to judge ({result})"
    assert result.rate <= result.guess_rate + SLACK, f"{what}: {result}"


@pytest.mark.parametrize("name", list(FORMATS))
def test_smoothed_rates_in_every_format_cannot_be_inverted(outputs: Outputs, name: str) -> None:
    for year in ("2024", "2019"):
        published = outputs.ranking(year, name)
        truth = outputs.true_count(year)
        result = attack.recovery(attack.eb_inversion(published), truth, attack.population_guess(published))
        _assert_no_better_than_guessing(result, f"EB inversion of {name} {year}")


def test_z_scores_cannot_be_solved_for_hidden_counts(outputs: Outputs) -> None:
    published = outputs.ranking("2024", "export.csv")
    withheld = attack.PublishedRanking(
        published.area_id, published.count, published.population,
        np.where(published.hidden, np.nan, published.eb_rate), published.gi_z, published.hidden,
    )  # fmt: skip
    result = attack.recovery(
        attack.z_least_squares(withheld, outputs.neighbours), outputs.true_count("2024"),
        attack.population_guess(published),
    )  # fmt: skip
    _assert_no_better_than_guessing(result, "least squares on Gi* z")


def test_every_format_publishes_the_same_numbers(outputs: Outputs) -> None:
    reference = outputs.ranking("2024", "export.csv")
    for name in FORMATS:
        other = outputs.ranking("2024", name)
        assert np.array_equal(other.hidden, reference.hidden), name
        np.testing.assert_allclose(other.eb_rate, reference.eb_rate, rtol=1e-9, err_msg=name)
        np.testing.assert_array_equal(other.count, reference.count, err_msg=name)


def test_counts_table_cannot_be_subtracted(outputs: Outputs) -> None:
    cells, totals = outputs.counts_table()
    assert cells.isna().sum().sum() > 100
    found = attack.subtract_from_totals(cells, totals)
    assert found == {}, f"{len(found)} hidden cells follow from exact totals"
    hidden_totals = totals[cells.isna().any(axis=1)]
    assert hidden_totals.str.contains("-").all()  # every total with a hidden cell is a range


def test_rankings_of_each_year_and_the_counts_table_hide_the_same_cells(outputs: Outputs) -> None:
    cells, _totals = outputs.counts_table()
    by_year = {}
    for year in YEARS:
        published = outputs.ranking(year, "export.csv")
        by_year[year] = pd.Series(np.where(published.hidden, np.nan, published.count), index=published.area_id)
    found = attack.read_across(cells, by_year)
    assert found == {}, f"{len(found)} cells hidden in the counts table are printed in a ranking"
    for year in YEARS:  # and the other way round
        hidden_in_ranking = by_year[year].isna()
        assert cells.loc[hidden_in_ranking[hidden_in_ranking].index, year].isna().all()


def test_segment_and_type_tables_cannot_be_subtracted_from_the_ranking(outputs: Outputs) -> None:
    checked = 0
    for year in YEARS:
        published = outputs.ranking(year, "export.csv")
        segments = pd.read_csv(io.BytesIO(outputs.segments[year]))
        types = pd.DataFrame(outputs.types[year])
        for table in (segments, types):
            if table.empty:
                continue
            counts = pd.to_numeric(table["count"], errors="coerce")
            total = None if counts.isna().any() else float(counts.sum())
            top = pd.Series(np.where(published.hidden, np.nan, published.count), index=published.area_id)
            ranked = outputs.files[(year, "export.csv")]
            frame = pd.read_csv(io.BytesIO(ranked), dtype={"area_id": str}).nsmallest(10, "rank")
            found = attack.scope_difference(total, top[frame["area_id"]])
            truth = outputs.true_count(year)
            assert all(round(v) != truth[a] for a, v in found.items()), (year, found)
            checked += 1
    assert checked >= len(YEARS)


def test_the_attacks_do_recover_counts_that_are_only_blanked() -> None:
    """The attacks are real: on a ranking whose small counts are merely blanked (the planner
    before issue 10), they recover every hidden count from the smoothed rates and the z-scores."""
    areas = load_demo_areas("georgia")
    real = rank_areas(areas, synthetic_incidents(areas), suppress=False)
    truth = dict(zip(real["area_id"], real["count"].astype(int), strict=True))
    blanked = real.copy()
    small = blanked["count"].between(1, 10)
    blanked["suppressed"] = small
    blanked.loc[small, "count"] = pd.NA
    order = areas["area_id"].astype(str).to_numpy()
    published = attack.ranking_from_frame(blanked).aligned(order)
    guess = attack.population_guess(published)
    by_rate = attack.recovery(attack.eb_inversion(published), truth, guess)
    assert by_rate.rate > 0.95 and by_rate.rate > by_rate.guess_rate + 0.5, by_rate
    withheld = attack.PublishedRanking(
        published.area_id, published.count, published.population,
        np.where(published.hidden, np.nan, published.eb_rate), published.gi_z, published.hidden,
    )  # fmt: skip
    neighbours = queen_contiguity(areas.geometry.values, ids=list(order)).matrix
    by_z = attack.recovery(attack.z_least_squares(withheld, neighbours), truth, guess)
    assert by_z.rate > 0.9, by_z
    # and subtraction: a line with one blanked cell and its true total
    cells = pd.DataFrame({"2023": [5.0, np.nan], "2024": [np.nan, 40.0]}, index=["a", "b"])
    assert attack.subtract_from_totals(cells, pd.Series({"a": "12", "b": "40-49"})) == {("a", "2024"): 7.0}
