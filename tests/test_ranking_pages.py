"""The coordinator's targeting flow through the real HTTP app: upload, rank, read, export, plan."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas
import pandas as pd
import pytest
from conftest import csrf_token, demo_client, georgia_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Area, BoundarySet, CampaignDraft, IncidentRecord, IncidentSet, RankingRun, Role
from targeting.demo import load_demo_areas, synthetic_incidents

PAGE_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _page_token(client: FlaskClient, path: str) -> str:
    match = PAGE_TOKEN_RE.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1)


def _rank(client: FlaskClient, set_id: int, **fields: str) -> str:
    token = _page_token(client, f"/targeting/sets/{set_id}/rank")
    data = {"csrf_token": token, "period": "2024", "w_rate": "0.4", "w_hotspot": "0.3", "w_trend": "0.2",
            "w_volume": "0.1", "smoothing": "global", **fields}
    response = client.post(f"/targeting/sets/{set_id}/rank", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return str(response.headers["Location"])


def test_demo_ranking_shows_map_table_explanations_and_segments(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    run_url = _rank(client, set_id)
    page = client.get(run_url).get_data(as_text=True)
    assert 'id="area-map"' in page and "vendor/leaflet/leaflet.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert "Synthetic data." in page
    assert "Habersham" in page  # the planted north-east hot spot ranks first in the demo
    assert "hot spot" in page and "times the overall average" in page
    # groups read as words, and the demo's top groups show their numbers (not the hidden mark)
    assert 'id="segment-table"' in page and "Guatemala · men" in page
    top_group = re.search(r'<th scope="row">Guatemala · men</th>\s*<td class="num">([^<]+)</td>', page)
    assert top_group and top_group.group(1).strip().isdigit() and int(top_group.group(1)) >= 11
    assert "17–17" not in page and re.search(r"about \d", page)
    geo = json.loads(client.get(run_url + "/map.geojson").get_data(as_text=True))
    assert len(geo["features"]) == 159
    props = geo["features"][0]["properties"]
    assert {"area_id", "name", "rank", "gi_bin", "explanation", "count", "suppressed"} <= set(props)
    for feature in geo["features"]:  # small counts never reach the map
        p = feature["properties"]
        assert p["count"] is None or p["count"] >= 11 or p["count"] == 0 or not p["suppressed"]
        if p["suppressed"]:
            assert p["count"] is None and p["rate"] is None


def test_same_inputs_reuse_the_cached_run(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    first = _rank(client, set_id)
    second = _rank(client, set_id)
    assert first == second
    third = _rank(client, set_id, w_volume="2")
    assert third != first
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RankingRun)) == 2


def test_exports_are_suppressed_and_readable(demo_app: Flask, tmp_path: Path) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    csv_bytes = client.get(run_url + "/export.csv").data
    table = pd.read_csv(io.BytesIO(csv_bytes))
    assert len(table) == 159 and table["rank"].min() == 1
    hidden = table["suppressed"].astype(bool)
    assert hidden.any() and table.loc[hidden, "count"].isna().all()
    shown = table.loc[~hidden & table["count"].notna(), "count"]
    assert not ((shown >= 1) & (shown < 11)).any()
    for fmt in ("geojson", "gpkg"):
        response = client.get(f"{run_url}/export.{fmt}")
        assert response.status_code == 200
        path = tmp_path / f"out.{fmt}"
        path.write_bytes(response.data)
        gdf = geopandas.read_file(path)
        assert len(gdf) == 159 and gdf.crs.to_epsg() == 4326
    png = client.get(run_url + "/map.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    segments = client.get(run_url + "/segments.csv").get_data(as_text=True)
    assert segments.startswith("rank,segment,count")


def test_table_sorts_and_pages(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    by_name = client.get(run_url + "?sort=name&dir=asc").get_data(as_text=True)
    names = re.findall(r'data-map-focus="\d+"><bdi>([^<]+)</bdi></a>', by_name)
    assert names == sorted(names) and len(names) == 50
    last_page = client.get(run_url + "?sort=name&dir=asc&page=4").get_data(as_text=True)
    assert "Page 4 of 4" in last_page
    bogus = client.get(run_url + "?sort=__class__&page=999")
    assert bogus.status_code == 200


def test_rank_form_names_bad_weights(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    token = _page_token(client, f"/targeting/sets/{set_id}/rank")
    response = client.post(f"/targeting/sets/{set_id}/rank", data={
        "csrf_token": token, "period": "1999", "w_rate": "lots", "w_hotspot": "0", "w_trend": "0", "w_volume": "0"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose one of the years in the data" in text
    assert "Rate per 100,000 (smoothed)" in text and "must be a number from 0 to 10" in text


def test_plan_campaign_hands_areas_to_campaigns(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    token = _page_token(client, run_url + "/plan?area=13137")
    response = client.post(run_url + "/plan", data={
        "csrf_token": token, "area": ["13137", "13139", "not-an-area"], "segment": ["RO · female"],
        "name": "North-east spring outreach", "then": "draft"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/campaigns/")
    page = client.get("/campaigns/").get_data(as_text=True)
    assert "North-east spring outreach" in page
    with demo_app.app_context():
        draft = db.session.scalars(select(CampaignDraft)).one()
        assert draft.area_codes == ["13137", "13139"]
        assert draft.segments == ["RO · female"]
        assert draft.languages == ["ro", "en"]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.REVIEWER])
def test_other_roles_cannot_rank(demo_app: Flask, role: Role) -> None:
    coordinator = demo_client(demo_app)
    run_url = _rank(coordinator, georgia_id(demo_app))
    other = demo_client(demo_app, role)
    assert other.get(run_url).status_code == 403
    assert other.get(run_url + "/export.csv").status_code == 403
    assert other.get(f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents").status_code == 403


def test_another_organisation_gets_404(demo_app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    run_url = _rank(demo_client(demo_app), georgia_id(demo_app))
    stranger = client_for("coordinator", "Other Org")
    for suffix in ("", "/map.geojson", "/export.csv", "/map.png"):
        assert stranger.get(run_url + suffix).status_code == 404


# --- uploads ---------------------------------------------------------------------------------


def _upload(client: FlaskClient, path: str, filename: str, data: bytes, **fields: str) -> tuple[int, str]:
    token = _page_token(client, path)
    response = client.post(path, data={"csrf_token": token, "file": (io.BytesIO(data), filename), **fields},
                           content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def _confirm(client: FlaskClient, path: str, page: str, **fields: str) -> FlaskClient:
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert token, page[:3000]
    response = client.post(path, data={"csrf_token": PAGE_TOKEN_RE.search(page).group(1),  # type: ignore[union-attr]
                                       "token": token.group(1), **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return client


def _georgia_gpkg(tmp_path: Path) -> bytes:
    areas = load_demo_areas("georgia").rename(columns={"area_id": "fips", "name": "county", "population": "pop90"})
    path = tmp_path / "counties.gpkg"
    areas.to_crs(26917).to_file(path, driver="GPKG")
    return path.read_bytes()


def test_upload_boundaries_incidents_and_rank(demo_app: Flask, tmp_path: Path) -> None:
    client = demo_client(demo_app)
    fields = {"set_name": "My counties", "id_field": "fips", "name_field": "county", "population_field": "pop90"}
    status, page = _upload(client, "/targeting/upload/boundaries", "counties.gpkg", _georgia_gpkg(tmp_path), **fields)
    assert status == 200, page[:3000]
    assert 'id="upload-preview"' in page and "First 10 of 159 rows" in page
    with demo_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Area))
    _confirm(client, "/targeting/upload/boundaries", page, **fields)
    with demo_app.app_context():
        bset = db.session.scalars(select(BoundarySet).where(BoundarySet.name == "My counties")).one()
        assert db.session.scalar(select(func.count()).select_from(Area)) == before + 159
        set_id = bset.id

    # Incident counts per area and year.
    incidents = synthetic_incidents(load_demo_areas("georgia"))
    counts = incidents.groupby(["area_id", "period"]).size().rename("count").reset_index()
    path = f"/targeting/sets/{set_id}/upload/incidents"
    status, page = _upload(client, path, "counts.csv", counts.to_csv(index=False).encode(), incident_kind="counts")
    assert status == 200, page[:3000]
    _confirm(client, path, page, incident_kind="counts")
    with demo_app.app_context():
        inc = db.session.scalars(select(IncidentSet).where(IncidentSet.boundary_set_id == set_id)).one()
        query = select(func.sum(IncidentRecord.count)).where(IncidentRecord.incident_set_id == inc.id)
        total = db.session.scalar(query)
        assert total == len(incidents)
    run_url = _rank(client, set_id)
    assert "Habersham" in client.get(run_url).get_data(as_text=True)


def test_upload_errors_name_rows_and_store_nothing(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    path = f"/targeting/sets/{set_id}/upload/incidents"
    with demo_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(IncidentRecord))
    bad_points = "date,latitude,longitude,victim_name\n2023-05-01,33.7,-84.4,Jane Doe\n"
    status, page = _upload(client, path, "points.csv", bad_points.encode())
    assert status == 422 and "victim_name" in page and 'name="token"' not in page
    bad_counts = "area_id,period,count\n13121,2023,5\n13121,2024,-3\n13089,2024,many\n"
    status, page = _upload(client, path, "counts.csv", bad_counts.encode(), incident_kind="counts")
    assert status == 422 and "count" in page and re.search(r"rows? 3", page, re.IGNORECASE)
    status, page = _upload(client, path, "book.xlsx", b"PK\x03\x04not really a workbook")
    assert status == 422
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncidentRecord)) == before


def test_upload_points_reports_those_outside(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    path = f"/targeting/sets/{set_id}/upload/incidents"
    csv = ("date,latitude,longitude,exploitation_type,nationality\n"
           "2023-05-01,33.749,-84.388,labour,MX\n2024-02-11,32.08,-81.09,sexual,RO\n"
           "2024-03-01,48.85,2.35,labour,UA\n")  # the last one is in Paris
    status, page = _upload(client, path, "points.csv", csv.encode(), set_name="Field reports")
    assert status == 200, page[:3000]
    assert "Fewer than 11 incidents fall outside every area" in page  # 1 is a small count: never shown
    _confirm(client, path, page, set_name="Field reports")
    with demo_app.app_context():
        inc = db.session.scalars(select(IncidentSet).where(IncidentSet.name == "Field reports")).one()
        records = db.session.scalars(select(IncidentRecord).where(IncidentRecord.incident_set_id == inc.id)).all()
        assert len(records) == 2
        assert {r.attributes["nationality"] for r in records} == {"MX", "RO"}
        assert {r.period for r in records} == {2023, 2024}


def test_upload_indicators_become_weightable(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    path = f"/targeting/sets/{set_id}/upload/indicators"
    areas = load_demo_areas("georgia")
    table = pd.DataFrame({"area_id": areas["area_id"], "missing_children": range(len(areas))})
    status, page = _upload(client, path, "indicators.csv", table.to_csv(index=False).encode())
    assert status == 200, page[:3000]
    _confirm(client, path, page)
    form = client.get(f"/targeting/sets/{set_id}/rank").get_data(as_text=True)
    assert 'name="w_missing_children"' in form
    run_url = _rank(client, set_id, w_rate="0", w_hotspot="0", w_trend="0", w_volume="0", w_missing_children="1")
    rows = pd.read_csv(io.BytesIO(client.get(run_url + "/export.csv").data), dtype={"area_id": str})
    top = rows.sort_values("rank").iloc[0]
    assert top["area_id"] == areas["area_id"].iloc[-1]  # the largest indicator value ranks first


def test_zipped_shapefile_upload(demo_app: Flask, tmp_path: Path) -> None:
    client = demo_client(demo_app)
    areas = load_demo_areas("virginia").drop(columns=["population"]).assign(pop=1000)
    folder = tmp_path / "shp"
    folder.mkdir()
    areas.to_file(folder / "va.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    fields = {"set_name": "VA", "id_field": "area_id", "name_field": "name", "population_field": "pop"}
    status, page = _upload(client, "/targeting/upload/boundaries", "va.zip", buffer.getvalue(), **fields)
    assert status == 200, page[:3000]
    assert "First 10 of 136 rows" in page


def test_csrf_token_helper_still_works(demo_app: Flask) -> None:
    assert csrf_token(demo_app.test_client())
