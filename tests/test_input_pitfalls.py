"""Inputs that used to pass silently and corrupt a ranking: library, `python -m targeting rank`, upload pages.

Each test names the item it proves:

1. periods written in mixed formats were sorted as text ('Jan 2012' came last);
2. '2012' and '2012.0' were two periods, each with false zeros;
3. all counts zero, or every point outside every area, still gave a ranking (of ties, by id);
4. unknown area ids were reported only as a total;
5. (points on shared edges: see tests/test_assign.py, and the upload test here).

New names are reached through their modules (``ranking.NothingToRankError``) so that, run against
the code before these changes, each test fails on its own assertion rather than at import.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import demo_client, georgia_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Area, BoundarySet, IncidentRecord, IncidentSet, RankingRun
from targeting import ranking
from targeting.cli import main
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from targeting.ranking import RankingInputError, rank_areas

MIXED = ["2010", "2011-Q1", "Jan 2012", "2013-01", "2014"]  # the mix found by testing the CLI and uploads


@cache
def _areas() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia")


@cache
def _counts() -> pd.DataFrame:
    return synthetic_counts(synthetic_incidents(_areas()))


def _grid(periods: list[object], values: np.ndarray) -> pd.DataFrame:
    """Long counts (area_id, period, count) for every Georgia county and the given period labels."""
    ids = _areas()["area_id"].to_numpy()
    area, period = np.divmod(np.arange(len(ids) * len(periods)), len(periods))
    labels = np.asarray(periods, dtype=object)
    return pd.DataFrame({"area_id": ids[area], "period": labels[period], "count": values[area, period]})


def _nothing_to_rank(exc: BaseException, code: str) -> None:
    assert isinstance(exc, ranking.NothingToRankError), type(exc)
    assert exc.code == code
    assert "\n" not in str(exc)  # one line, for the CLI and the page


# --- 1. periods in mixed formats -----------------------------------------------------------------


def test_1_rank_areas_refuses_a_mix_of_period_kinds_naming_where() -> None:
    counts = _grid(MIXED, np.full((len(_areas()), len(MIXED)), 3))
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), counts=counts)
    message = str(caught.value)
    assert "mixes kinds of period" in message and "'2011-Q1'" in message and "'Jan 2012'" in message
    assert "among years" in message and "at index 1" in message  # the first such row of the table
    assert "\n" not in message


def test_1_periods_are_ordered_in_time_not_as_text() -> None:
    spellings = ["Jul 2023", "2023-08", "09/2023", "Oct 2023", "2023/11", "December 2023", "2024-01", "Feb 2024"]
    values = np.full((len(_areas()), len(spellings)), 20)
    values[0] = np.arange(1, len(spellings) + 1) * 10  # one county rising month after month
    ranked = rank_areas(_areas(), counts=_grid(spellings, values), suppress=False)
    months = ["2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12", "2024-01", "2024-02"]
    assert ranked.attrs["periods"] == months and ranked.attrs["period"] == "2024-02"
    first = ranked.set_index("area_id").loc[_areas()["area_id"].iloc[0]]
    assert first["count"] == 80
    assert first["trend"] == "rising" and first["rising_since"] == "2023-07"


# --- 2. '2012' and '2012.0' ------------------------------------------------------------------------


def test_2_year_and_year_point_zero_are_one_period() -> None:
    counts = _counts()
    years = counts["period"].astype(str)
    spelled = years.where(counts.index % 2 == 0, years + ".0")  # half the rows as a spreadsheet writes them
    ranked = rank_areas(_areas(), counts=counts.assign(period=spelled.to_numpy()), suppress=False)
    clean = rank_areas(_areas(), counts=counts, suppress=False)
    assert ranked.attrs["periods"] == [str(y) for y in range(2019, 2025)]
    pd.testing.assert_frame_equal(ranked, clean)  # no false zeros anywhere
    assert rank_areas(_areas(), counts=counts, period=2022.0).attrs["period"] == "2022"


# --- 3. nothing to rank ----------------------------------------------------------------------------


def test_3_all_counts_zero_is_refused() -> None:
    counts = _counts().assign(count=0)
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), counts=counts)
    _nothing_to_rank(caught.value, "all_counts_zero")
    assert "every count in column 'count' is 0" in str(caught.value)
    assert "every area would score 50" in str(caught.value)
    # the same check without ranking, for callers that rank later (the app's background runs)
    with pytest.raises(RankingInputError) as caught:
        ranking.check_rankable(_areas(), counts=counts)
    _nothing_to_rank(caught.value, "all_counts_zero")
    ranking.check_rankable(_areas(), counts=_counts(), period="2023")


def test_3_every_point_outside_every_area_is_refused() -> None:
    paris = geopandas.GeoDataFrame(
        {"period": ["2023", "2024", "2024"]}, geometry=shapely.points([(2.35, 48.85), (2.3, 48.9), (2.4, 48.8)]),
        crs=4326,
    )
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), paris)
    _nothing_to_rank(caught.value, "all_points_outside")
    assert "none of the 3 incident points falls inside any area" in str(caught.value)
    assert "latitude and longitude not swapped" in str(caught.value)


def test_3_every_id_unknown_empty_data_and_an_empty_period_are_refused() -> None:
    unknown = pd.DataFrame({"area_id": ["99999", "88888"], "period": ["2024", "2024"], "count": [4, 5]})
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), counts=unknown)
    _nothing_to_rank(caught.value, "all_ids_unknown")
    assert "'99999', '88888'" in str(caught.value)
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), counts=unknown.iloc[:0])
    _nothing_to_rank(caught.value, "no_incidents")
    counts = _counts()
    latest_zero = counts.assign(count=counts["count"].where(counts["period"] != 2024, 0))
    with pytest.raises(RankingInputError) as caught:
        rank_areas(_areas(), counts=latest_zero)
    _nothing_to_rank(caught.value, "period_empty")
    assert "choose a period with incidents: 2019, 2020, 2021, 2022, 2023" in str(caught.value)
    assert rank_areas(_areas(), counts=latest_zero, period="2023").attrs["period"] == "2023"


# --- 4. unknown ids are named ----------------------------------------------------------------------


def test_4_rank_areas_names_the_first_unknown_ids() -> None:
    extra = pd.DataFrame({"area_id": ["99999", "88888", "99999"], "period": [2024, 2023, 2022], "count": [3, 0, 2]})
    ranked = rank_areas(_areas(), counts=pd.concat([_counts(), extra], ignore_index=True))
    assert ranked.attrs["unmatched_records"] == 5
    assert ranked.attrs["unmatched_ids"] == ["99999", "88888"]


# --- the command line ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Files:
    folder: Path
    areas: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("pitfalls")
    _areas().to_file(folder / "georgia.gpkg", driver="GPKG")
    return Files(folder, folder / "georgia.gpkg")


def _cli(files: Files, out: Path, source: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = ["rank", "--areas", str(files.areas), "--id-field", "area_id", "--name-field", "name",
            "--population-field", "population", *source, "--out", str(out), "--quiet"]  # fmt: skip
    code = main(args)
    return code, capsys.readouterr().err


def _counts_csv(files: Files, name: str, table: pd.DataFrame) -> list[str]:
    path = files.folder / name
    table.to_csv(path, index=False)
    return ["--counts", str(path)]


def test_cli_1_mixed_periods_exit_2_naming_rows(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pd.DataFrame({"area_id": "13001", "period": MIXED, "count": [1, 2, 3, 4, 5]})
    code, err = _cli(files, tmp_path / "out.csv", _counts_csv(files, "mixed.csv", table), capsys)
    assert code == 2 and not (tmp_path / "out.csv").exists()
    assert "Rows 3 (2011-Q1), 4 (Jan 2012) and 5 (2013-01): column 'period' has quarters and months" in err


def test_cli_2_year_point_zero(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _counts()
    table = counts.assign(period=counts["period"].astype(float))  # 2019.0 ... 2024.0, as pandas writes floats
    code, err = _cli(files, tmp_path / "out.csv", _counts_csv(files, "floats.csv", table), capsys)
    assert code == 0, err
    assert "for period 2024 ->" in err and "2024.0" not in err
    ranked = pd.read_csv(tmp_path / "out.csv", dtype={"area_id": str})
    expected = rank_areas(_areas(), counts=counts)
    assert ranked["area_id"].tolist() == expected["area_id"].tolist()


def test_cli_3_all_zero_and_all_outside_exit_2_with_one_line(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zeros = _counts_csv(files, "zeros.csv", _counts().assign(count=0))
    code, err = _cli(files, tmp_path / "out.csv", zeros, capsys)
    assert code == 2 and not (tmp_path / "out.csv").exists()
    assert err.count("\n") == 1 and err.startswith("error: every count in column 'count' is 0 ("), err
    paris = files.folder / "paris.csv"
    paris.write_text("date,latitude,longitude\n2024-03-01,48.85,2.35\n2024-04-01,48.86,2.34\n", encoding="utf-8")
    code, err = _cli(files, tmp_path / "out.csv", ["--incidents", str(paris)], capsys)
    assert code == 2 and not (tmp_path / "out.csv").exists()
    assert err.count("\n") == 1 and err.startswith("error: none of the 2 incident points falls inside any area"), err


def test_cli_4_unknown_ids_are_named_with_their_rows(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = _counts()
    table = counts.copy()
    table.loc[[1, 3, 4], "area_id"] = ["99999", "1001", "99999"]  # a typo and a lost leading zero
    code, err = _cli(files, tmp_path / "out.csv", _counts_csv(files, "unknown.csv", table), capsys)
    assert code == 0, err
    assert "Rows 3 (99999), 5 (1001) and 6 (99999): column 'area_id' names an area id that is not in the" in err
    assert "3 row(s) with 2 unknown id(s): '99999', '1001'" in err


# --- the upload pages ------------------------------------------------------------------------------

PAGE_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client: FlaskClient, path: str) -> str:
    match = PAGE_TOKEN_RE.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _upload(client: FlaskClient, path: str, filename: str, data: bytes, **fields: str) -> tuple[int, str]:
    response = client.post(path, data={"csrf_token": _token(client, path), "file": (io.BytesIO(data), filename),
                                       **fields}, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def confirm_import(client: FlaskClient, path: str, page: str, **fields: str) -> Any:
    """Press "Import" on a checked upload's page: the response, whatever its status."""
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)
    csrf = PAGE_TOKEN_RE.search(page)
    assert token and csrf, page[:3000]
    return client.post(path, data={"csrf_token": csrf.group(1), "token": token.group(1), **fields})


def _confirm(client: FlaskClient, path: str, page: str, **fields: str) -> None:
    response = confirm_import(client, path, page, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _text(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded, spaces collapsed)."""
    import html

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _csv(rows: list[tuple[str, object, int]]) -> bytes:
    return ("area_id,period,count\n" + "".join(f"{a},{p},{c}\n" for a, p, c in rows)).encode()


def _records(app: Flask, name: str) -> pd.DataFrame:
    with app.app_context():
        rows = db.session.execute(
            select(Area.code, IncidentRecord.period, IncidentRecord.count)
            .join(Area, Area.id == IncidentRecord.area_id)
            .join(IncidentSet, IncidentSet.id == IncidentRecord.incident_set_id)
            .where(IncidentSet.name == name)
        ).all()
    return pd.DataFrame(rows, columns=["code", "period", "count"])


def test_pages_1_mixed_periods_are_refused_naming_rows(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    data = _csv([("13001", p, n) for p, n in zip(MIXED, [12, 13, 14, 15, 16], strict=True)])
    status, page = _upload(client, path, "counts.csv", data, incident_kind="counts")
    text = _text(page)
    assert status == 422 and 'name="token"' not in page
    assert "Rows 3 (2011-Q1), 4 (Jan 2012) and 5 (2013-01): column 'period' has quarters and months" in text
    assert "but the rest of the file has years (such as '2010')" in text


def test_pages_2_year_point_zero_is_the_same_year(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    data = _csv([("13001", "2023", 12), ("13003", "2023.0", 14), ("13001", "2024.0", 15), ("13003", "2024", 0)])
    status, page = _upload(client, path, "counts.csv", data, incident_kind="counts", set_name="Floats")
    assert status == 200, _text(page)[:3000]
    _confirm(client, path, page, incident_kind="counts", set_name="Floats")
    stored = _records(demo_app, "Floats").sort_values(["code", "period"]).to_numpy().tolist()
    assert stored == [["13001", 2023, 12], ["13001", 2024, 15], ["13003", 2023, 14]]


def test_pages_3_files_with_nothing_to_rank_are_refused(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    status, page = _upload(client, path, "zeros.csv", _csv([("13001", 2023, 0), ("13003", 2024, 0)]),
                           incident_kind="counts")
    assert status == 422 and 'name="token"' not in page
    assert "Every count in this file is 0, so there is nothing to rank" in _text(page)
    status, page = _upload(client, path, "ids.csv", _csv([("13001", 2023, 0), ("99999", 2024, 12)]),
                           incident_kind="counts")
    assert status == 422 and "No count above 0 names an area of this boundary set" in _text(page)
    paris = "date,latitude,longitude\n2024-03-01,48.85,2.35\n2024-04-01,48.86,2.34\n"
    status, page = _upload(client, path, "points.csv", paris.encode())
    assert status == 422 and 'name="token"' not in page
    assert "No incident in this file (fewer than 11 in all) falls inside an area of this boundary set" in _text(page)


def test_pages_3_ranking_data_without_incidents_is_refused_on_the_form(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    with demo_app.app_context():
        bset = db.session.get(BoundarySet, set_id)
        assert bset is not None
        db.session.add(IncidentSet(organisation_id=bset.organisation_id, boundary_set_id=set_id,
                                   name="Nothing in it", synthetic=False, source="test"))
        db.session.commit()
        runs_before = db.session.scalar(select(func.count()).select_from(RankingRun))
    form = {"csrf_token": _token(client, f"/targeting/sets/{set_id}/rank"), "w_rate": "0.4", "w_hotspot": "0.3",
            "w_trend": "0.2", "w_volume": "0.1", "smoothing": "global"}
    response = client.post(f"/targeting/sets/{set_id}/rank", data=form)
    assert response.status_code == 422
    text = _text(response.get_data(as_text=True))
    assert "has no incident in any of these areas, so there is nothing to rank" in text
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RankingRun)) == runs_before


def test_pages_4_unknown_ids_are_named_with_their_rows(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    data = _csv([("13001", 2023, 12), ("99999", 2023, 3), ("1001", 2024, 4), ("13003", 2024, 14)])
    status, page = _upload(client, path, "counts.csv", data, incident_kind="counts")
    assert status == 200, _text(page)[:3000]
    text = _text(page)
    assert "Rows 3 (99999) and 4 (1001): column 'area_id' names an area id that is not in the area file" in text
    assert "2 row(s) with 2 unknown id(s): '99999', '1001'" in text


def test_pages_5_points_on_county_corners_and_edges_are_stored_by_the_covered_by_rule(
    demo_app: Flask, tmp_path: Path
) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    with demo_app.app_context():
        rows = db.session.execute(
            select(Area.code, Area.geometry_wkb).where(Area.boundary_set_id == set_id).order_by(Area.code)
        ).all()
    areas = geopandas.GeoDataFrame({"code": [c for c, _ in rows]}, geometry=shapely.from_wkb([w for _, w in rows]),
                                   crs=4326)  # as the app loads them: ordered by code
    coords, ring = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(areas.geometry.values)),
                                           return_index=True)
    same = ring[1:] == ring[:-1]
    corners = np.unique(coords, axis=0)
    midpoints = (coords[:-1][same] + coords[1:][same]) / 2
    rng = np.random.default_rng(5)
    xy = np.vstack([corners[rng.choice(len(corners), 1500, replace=False)],
                    midpoints[rng.choice(len(midpoints), 1500, replace=False)]])
    points = geopandas.GeoDataFrame({"date": ["2023-05-01"] * len(xy)}, geometry=shapely.points(xy), crs=4326)
    path = tmp_path / "on_borders.gpkg"
    points.to_file(path, driver="GPKG")  # binary coordinates: exactly on the corners
    joined = geopandas.sjoin(points[["geometry"]], areas, predicate="covered_by", how="left")
    lowest = joined["index_right"].groupby(level=0).min().reindex(points.index)
    expected = Counter(areas["code"].to_numpy()[lowest.dropna().astype(int).to_numpy()].tolist())
    upload = f"/targeting/sets/{set_id}/upload/incidents"
    status, page = _upload(client, upload, "on_borders.gpkg", path.read_bytes(), set_name="Borders")
    assert status == 200, _text(page)[:3000]
    _confirm(client, upload, page, set_name="Borders")
    stored = _records(demo_app, "Borders")
    assert Counter(stored["code"].tolist()) == expected
    assert len(stored) == lowest.notna().sum()
