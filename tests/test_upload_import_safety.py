"""Uploads the check passed and the import then failed with a bare 500, nothing stored.

Each test names the item it proves: the check step now names the problem (row or feature, field,
what was expected), and the import answers a clear page, never a 500, for bad input.

1. an areas GeoJSON with a feature whose "geometry" is null;
2. a population of 1e308 or 10**30;
3. a population year typed as "²" or as thirty nines;
4. a second incident upload without a name ("Incidents from .csv" twice), or a reused set name;
5. parked uploads never cleaned (and an expired one gave an error page at Import);
6. "1 incidents fall outside every area": a small count shown, with a wrong plural.

New names are reached through their modules, so that run against the code before these changes
each test fails on its own assertion rather than at import.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import demo_client, georgia_id, make_app
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from campaigns import scheduler
from campaigns.extensions import db
from campaigns.models import Area, BoundarySet, IncidentRecord, IncidentSet
from targeting.demo import load_demo_areas

PAGE_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
UPLOAD_TOKEN_RE = re.compile(r'name="token" value="([0-9a-f]+)"')
BOUNDARIES = "/targeting/upload/boundaries"
FIELDS = {"id_field": "area_id", "name_field": "name", "population_field": "population"}


def _text(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded, spaces collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _upload(client: FlaskClient, path: str, filename: str, data: bytes, **fields: str) -> tuple[int, str]:
    page = client.get(path).get_data(as_text=True)
    csrf = PAGE_TOKEN_RE.search(page)
    assert csrf, page[:2000]
    response = client.post(path, data={"csrf_token": csrf.group(1), "file": (io.BytesIO(data), filename), **fields},
                           content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def _confirm(client: FlaskClient, path: str, page: str, **fields: str) -> tuple[int, str]:
    token = UPLOAD_TOKEN_RE.search(page)
    csrf = PAGE_TOKEN_RE.search(page)
    assert token and csrf, _text(page)[:3000]
    response = client.post(path, data={"csrf_token": csrf.group(1), "token": token.group(1), **fields})
    return response.status_code, response.get_data(as_text=True)


def _geojson(edit: Callable[[list[dict[str, Any]]], None] | None = None) -> bytes:
    """Three Georgia counties as GeoJSON, with `edit` applied to the feature list."""
    data = json.loads(load_demo_areas("georgia").head(3)[["area_id", "name", "population", "geometry"]].to_json())
    if edit:
        edit(data["features"])
    return json.dumps(data).encode()


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _parked(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.exists() else []


# --- 1. null geometry ----------------------------------------------------------------------------


def test_1_feature_without_geometry_is_refused_at_the_check(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")

    def null_second(features: list[dict[str, Any]]) -> None:
        features[1]["geometry"] = None

    status, page = _upload(client, BOUNDARIES, "counties.geojson", _geojson(null_second), set_name="Nulls", **FIELDS)
    text = _text(page)
    assert status == 422, text[:3000]
    assert 'name="token"' not in page
    second_id = json.loads(_geojson())["features"][1]["properties"]["area_id"]
    assert f"Feature in row 3 (area id '{second_id}'): its “geometry” is null or empty" in text
    assert "polygon outline" in text
    assert _count(app, BoundarySet) == 0 and _parked(app) == []


# --- 2. impossible populations ----------------------------------------------------------------------


@pytest.mark.parametrize("population", [1e308, 10**30, 2_000_000_001])
def test_2_population_beyond_any_area_is_refused_at_the_check(
    app: Flask, client_for: Callable[..., FlaskClient], population: float
) -> None:
    client = client_for("coordinator")

    def huge(features: list[dict[str, Any]]) -> None:
        features[2]["properties"]["population"] = population

    status, page = _upload(client, BOUNDARIES, "big.geojson", _geojson(huge), set_name="Huge", **FIELDS)
    text = _text(page)
    assert status == 422, text[:3000]
    assert 'name="token"' not in page
    third_id = json.loads(_geojson())["features"][2]["properties"]["area_id"]
    assert re.search(rf"Row 4 \(area_id {third_id}\): column 'population' has a population above 2,000,000,000", text)
    assert _count(app, BoundarySet) == 0


def test_2_the_import_answers_422_and_stores_nothing_for_a_file_parked_with_bad_values(
    app: Flask, client_for: Callable[..., FlaskClient]
) -> None:
    """The import re-checks the parked bytes: a bad file that reached it (parked by an older
    version, say) gets the check's page, not a 500."""
    client = client_for("coordinator")
    status, page = _upload(client, BOUNDARIES, "ok.geojson", _geojson(), set_name="Swapped", **FIELDS)
    assert status == 200, _text(page)[:3000]
    (parked,) = _parked(app)
    name, _sep, _data = parked.read_bytes().partition(b"\n")

    def huge(features: list[dict[str, Any]]) -> None:
        features[0]["properties"]["population"] = 10**30

    parked.write_bytes(name + b"\n" + _geojson(huge))
    status, page = _confirm(client, BOUNDARIES, page, set_name="Swapped", **FIELDS)
    assert status == 422, _text(page)[:3000]
    assert "population above 2,000,000,000" in _text(page)
    assert _count(app, BoundarySet) == 0 and _count(app, Area) == 0


# --- 3. population years ----------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["²", "9" * 30, "1850", "٢٠٢١", "20211"])
def test_3_population_year_must_be_ascii_digits_in_range(
    app: Flask, client_for: Callable[..., FlaskClient], year: str
) -> None:
    client = client_for("coordinator")
    status, page = _upload(client, BOUNDARIES, "c.geojson", _geojson(), set_name="Years", population_year=year,
                           **FIELDS)
    text = _text(page)
    assert status == 422, text[:3000]
    assert 'name="token"' not in page
    assert f"Year of the population figures: “{year[:20]}” is not a year." in text  # long values cut
    assert "from 1900 to 2100" in text
    assert _count(app, BoundarySet) == 0 and _parked(app) == []


def test_3_a_plain_year_is_stored(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    status, page = _upload(client, BOUNDARIES, "c.geojson", _geojson(), set_name="Census", population_year=" 2021 ",
                           **FIELDS)
    assert status == 200, _text(page)[:3000]
    status, _page = _confirm(client, BOUNDARIES, page, set_name="Census", population_year=" 2021 ", **FIELDS)
    assert status == 302
    with app.app_context():
        bset = db.session.scalars(select(BoundarySet)).one()
        assert (bset.population_year, bset.source) == (2021, "Uploaded file c.geojson")  # the original name


# --- 4. incident set names --------------------------------------------------------------------------

COUNTS = b"area_id,period,count\n13001,2023,12\n13003,2024,15\n"


def test_4_unnamed_incident_uploads_get_unique_names_from_the_file_name(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    names = []
    for _ in range(3):
        status, page = _upload(client, path, "spring\x1b counts.csv", COUNTS, incident_kind="counts")
        assert status == 200, _text(page)[:3000]
        status, page = _confirm(client, path, page, incident_kind="counts")
        assert status == 302, _text(page)[:3000]
    with demo_app.app_context():
        names = list(db.session.scalars(select(IncidentSet.name).where(IncidentSet.name.like("Incidents from%"))
                                        .order_by(IncidentSet.id)))
    day = f"{datetime.now(UTC):%Y-%m-%d}"
    assert names == ["Incidents from spring counts.csv", f"Incidents from spring counts.csv ({day})",
                     f"Incidents from spring counts.csv ({day}, 2)"]
    assert _parked(demo_app) == []


def test_4_a_reused_name_is_refused_at_the_check_and_at_the_import(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    status, first = _upload(client, path, "a.csv", COUNTS, incident_kind="counts", set_name="Hotline 2024")
    status, second = _upload(client, path, "b.csv", COUNTS, incident_kind="counts", set_name="Hotline 2024")
    assert status == 200  # both checked before either was imported (two tabs)
    assert _confirm(client, path, first, incident_kind="counts", set_name="Hotline 2024")[0] == 302
    records = _count(demo_app, IncidentRecord)
    status, page = _confirm(client, path, second, incident_kind="counts", set_name="Hotline 2024")
    assert status == 422, _text(page)[:3000]
    assert "A set named “Hotline 2024” already exists; choose another name." in _text(page)
    assert _count(demo_app, IncidentRecord) == records
    status, page = _upload(client, path, "c.csv", COUNTS, incident_kind="counts", set_name="Hotline 2024")
    assert status == 422 and 'name="token"' not in page
    assert "A set named “Hotline 2024” already exists; choose another name." in _text(page)


# --- 5. parked uploads ------------------------------------------------------------------------------


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_5_the_job_removes_parked_uploads_older_than_the_setting(tmp_path: Path) -> None:
    from conftest import create_schema

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'jobs.sqlite3'}", PARKED_UPLOAD_HOURS="2")
    with app.app_context():
        create_schema()
    assert app.config["SETTINGS"].parked_upload_hours == 2
    folder = Path(app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    old = [folder / "1-aaaa.upload", folder / "2-bbbb.csv", folder / ".1-cccc.upload.tmp"]
    new = [folder / "1-dddd.upload", folder / "3-eeee.upload"]
    for path in old + new:
        path.write_bytes(b"x.csv\n" + b"0" * 1000)
    for path in old:
        _age(path, 3)
    _age(new[1], 1.5)  # younger than the limit: an import may be about to read it
    now = datetime(2026, 11, 21, 10, 15, tzinfo=UTC)
    first = scheduler.run_job(app, "purge_parked_uploads", now)
    assert "'removed': 3" in first and "'bytes': 3018" in first, first
    assert sorted(folder.iterdir()) == sorted(new)
    assert "already done" in scheduler.run_job(app, "purge_parked_uploads", now + timedelta(minutes=5))
    later = scheduler.run_job(app, "purge_parked_uploads", now + timedelta(hours=1))
    assert "'removed': 0" in later
    assert sorted(folder.iterdir()) == sorted(new)


def test_5_the_default_age_is_24_hours(app: Flask) -> None:
    assert app.config["SETTINGS"].parked_upload_hours == 24
    assert "purge_parked_uploads" in [job.id for job in scheduler.build_scheduler(app).get_jobs()]


def test_5_an_expired_upload_says_so_at_import(app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    client = client_for("coordinator")
    status, page = _upload(client, BOUNDARIES, "c.geojson", _geojson(), set_name="Late", **FIELDS)
    assert status == 200, _text(page)[:3000]
    for path in _parked(app):
        _age(path, 25)
    with app.app_context():
        result = scheduler.purge_parked_uploads()
    assert result["removed"] == 1
    status, page = _confirm(client, BOUNDARIES, page, set_name="Late", **FIELDS)
    assert status == 410
    assert "This upload has expired or was already imported; upload the file again." in _text(page)
    assert 'id="upload-form"' in page  # the form to upload it again
    assert _count(app, BoundarySet) == 0


# --- 6. small counts in messages --------------------------------------------------------------------


def test_6_a_small_number_outside_the_areas_is_not_shown(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    csv = ("date,latitude,longitude\n2023-05-01,33.749,-84.388\n2024-02-11,32.08,-81.09\n"
           "2024-03-01,48.85,2.35\n")  # the last one is in Paris
    status, page = _upload(client, path, "points.csv", csv.encode(), set_name="Few outside")
    text = _text(page)
    assert status == 200, text[:3000]
    assert "Fewer than 11 incidents fall outside every area of this boundary set" in text
    assert not re.search(r"(?<!\d)1 incident", text)
    paris = "date,latitude,longitude\n2024-03-01,48.85,2.35\n2024-04-01,48.86,2.34\n"
    status, page = _upload(client, path, "paris.csv", paris.encode())
    assert status == 422
    assert "No incident in this file (fewer than 11 in all) falls inside an area" in _text(page)
    assert "(2 in all)" not in _text(page)


def test_6_a_large_number_outside_is_shown_with_the_right_plural(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    path = f"/targeting/sets/{georgia_id(demo_app)}/upload/incidents"
    rows = "".join(f"2024-03-{d:02d},48.85,2.35\n" for d in range(1, 13))
    csv = "date,latitude,longitude\n2023-05-01,33.749,-84.388\n" + rows
    status, page = _upload(client, path, "points.csv", csv.encode(), set_name="Many outside")
    assert status == 200
    assert "12 incidents fall outside every area of this boundary set; they are counted here" in _text(page)
