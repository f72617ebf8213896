"""Uploads that round-trip: templates, column mapping, a preview that shows bad values, and
downloads of stored data that upload back unchanged."""

from __future__ import annotations

import html
import io
import re

import pandas as pd
from conftest import demo_client, georgia_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_input_pitfalls import _records as stored_records

from campaigns.extensions import db
from campaigns.models import Area, IncidentSet
from targeting.inputs import LAYOUTS

PAGE_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
UPLOAD_TOKEN_RE = re.compile(r'name="token" value="([0-9a-f]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _incidents(app: Flask) -> str:
    return f"/targeting/sets/{georgia_id(app)}/upload/incidents"


def _upload(client: FlaskClient, path: str, filename: str, data: bytes, **fields: str) -> tuple[int, str]:
    page = client.get(path).get_data(as_text=True)
    csrf = PAGE_TOKEN_RE.search(page)
    assert csrf
    response = client.post(path, data={"csrf_token": csrf.group(1), "file": (io.BytesIO(data), filename), **fields},
                           content_type="multipart/form-data")  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def _form(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of the form `form_id` on `page`."""
    match = re.search(rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>', page, flags=re.S)
    assert match, _text(page)[:3000]
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(match.group(1))}


def _post(client: FlaskClient, path: str, page: str, form_id: str, **fields: str) -> tuple[int, str]:
    response = client.post(path, data={**_form(page, form_id), **fields})
    return response.status_code, response.get_data(as_text=True)


def _selected(page: str, name: str) -> str | None:
    select_ = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select_, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select_.group(1))
    return html.unescape(chosen.group(1)) if chosen else None


def _records(app: Flask, name: str) -> list[tuple[str, int, int]]:
    return sorted((str(c), int(p), int(n)) for c, p, n in stored_records(app, name).itertuples(index=False))


def _set_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(IncidentSet.id)).all())


# --- column mapping ------------------------------------------------------------------------------


def test_a_file_with_other_column_names_is_mapped_by_guess_confirmed_and_imported(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    data = b"county,year,incidents\n13001,2023,12\n13003,2023,0\n13005,2024,15\n"
    status, page = _upload(client, path, "partner.csv", data, incident_kind="counts", set_name="Partner")
    assert status == 200 and 'id="mapping-form"' in page, _text(page)[:3000]
    assert "Column 'area_id'" not in _text(page)  # no error per column: a mapping step instead
    assert (_selected(page, "area_field"), _selected(page, "period_field"), _selected(page, "count_field")) == (
        "county", "year", "incidents")  # fmt: skip
    assert _form(page, "mapping-form")["incident_kind"] == "counts"
    token = UPLOAD_TOKEN_RE.search(page)
    assert token
    # confirm the guess as it is: the parked file is checked with it, no new upload
    status, page = _post(client, path, page, "mapping-form", area_field="county", period_field="year",
                         count_field="incidents")  # fmt: skip
    assert status == 200 and 'id="confirm-import"' in page, _text(page)[:3000]
    assert UPLOAD_TOKEN_RE.search(page).group(1) == token.group(1)  # type: ignore[union-attr]
    assert "→ count" in page and "No problems found." in _text(page)
    response = client.post(path, data=_form(page, "confirm-form"))
    assert response.status_code == 302, _text(response.get_data(as_text=True))[:2000]
    assert _records(demo_app, "Partner") == [("13001", 2023, 12), ("13005", 2024, 15)]


def test_a_wrong_guess_is_corrected_by_the_user(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    # 'total' is a running total, 'n' the year's count; both look like a count and the guess takes 'total'
    data = b"code,year,total,n\n13001,2023,12,12\n13003,2023,40,28\n13005,2024,55,15\n"
    status, page = _upload(client, path, "partner.csv", data, incident_kind="counts", set_name="Corrected")
    assert status == 200 and _selected(page, "count_field") == "total"
    # a wrong choice (the id column as the count) is checked, refused naming the user's column, and the
    # mapping form stays with the same parked file
    status, page = _post(client, path, page, "mapping-form", area_field="code", period_field="year",
                         count_field="year")  # fmt: skip
    assert status == 422 and "Column “year” is chosen for" in _text(page)
    status, page = _post(client, path, page, "mapping-form", area_field="code", period_field="year",
                         count_field="n")  # fmt: skip
    assert status == 200 and 'id="confirm-import"' in page, _text(page)[:3000]
    assert client.post(path, data=_form(page, "confirm-form")).status_code == 302
    assert _records(demo_app, "Corrected") == [("13001", 2023, 12), ("13003", 2023, 28), ("13005", 2024, 15)]


def test_a_mapping_that_fails_the_check_names_row_and_column_and_can_be_corrected(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    data = b"county,year,incidents,notes_count\n13001,2023,12,x\n13003,2023,14,y\n"
    status, page = _upload(client, path, "partner.csv", data, incident_kind="counts", set_name="Fixed")
    assert status == 200
    status, page = _post(client, path, page, "mapping-form", area_field="county", period_field="year",
                         count_field="notes_count")  # fmt: skip
    text = _text(page)
    assert status == 422 and "Rows 2 and 3: column 'notes_count' should hold whole numbers but has 'x', 'y'" in text
    assert 'id="mapping-form"' in page and 'id="confirm-import"' not in page
    status, page = _post(client, path, page, "mapping-form", area_field="county", period_field="year",
                         count_field="incidents")  # fmt: skip
    assert status == 200 and client.post(path, data=_form(page, "confirm-form")).status_code == 302
    assert _records(demo_app, "Fixed") == [("13001", 2023, 12), ("13003", 2023, 14)]


def test_a_file_without_the_columns_gets_one_clear_message(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    status, page = _upload(client, path, "odd.csv", b"foo\n1\n", incident_kind="counts")
    assert status == 200 and "No column looked like this one." in page
    status, page = _post(client, path, page, "mapping-form")
    text = _text(page)
    assert status == 422 and text.count("Choose the file's column for:") == 1
    assert "Area id, Period (year), Number of incidents" in text
    assert "First 0 of 0 rows" not in text


# --- the preview ---------------------------------------------------------------------------------


def test_the_preview_shows_a_bad_value_with_its_row_and_column_and_hides_small_counts(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    data = b"area_id,period,count\n13001,2023,12\n13003,2023,twelve\n13005,2023,5\n"
    status, page = _upload(client, path, "counts.csv", data, incident_kind="counts")
    assert status == 422
    assert "Row 3: column 'count' should hold whole numbers but has 'twelve'" in _text(page)
    preview = page.split('id="upload-preview"', 1)[1].split("</table>", 1)[0]
    cell = re.search(r'<td class="cell-problem cell-error" data-row="3" data-column="count">(.*?)</td>', preview)
    assert cell and "<mark>twelve</mark>" in cell.group(1) and "error" in _text(cell.group(1))
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", preview.split("<tbody>", 1)[1], flags=re.S)
    assert [_text(r).split()[:1] for r in rows] == [["2"], ["3"], ["4"]]  # spreadsheet row numbers
    assert "<td>•</td>" in rows[2] and ">5<" not in rows[2]  # a real small count stays hidden
    assert "<td>12</td>" in rows[0]


# --- templates -----------------------------------------------------------------------------------


def test_each_template_downloads_and_uploads_back_cleanly(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    incidents = client.get(_incidents(demo_app)).get_data(as_text=True)
    assert f"/targeting/sets/{set_id}/templates/counts.csv" in incidents
    assert f"/targeting/sets/{set_id}/templates/points.csv" in incidents
    boundaries = client.get("/targeting/upload/boundaries").get_data(as_text=True)
    assert "GeoPackage (.gpkg)" in _text(boundaries) and "templates/" not in boundaries
    for kind, page_path, fields in (
        ("counts", _incidents(demo_app), {"incident_kind": "counts"}),
        ("points", _incidents(demo_app), {"incident_kind": "points"}),
        ("indicators", f"/targeting/sets/{set_id}/upload/indicators", {}),
    ):
        response = client.get(f"/targeting/sets/{set_id}/templates/{kind}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        table = pd.read_csv(io.BytesIO(response.data), dtype=str)
        assert list(table.columns[: len(LAYOUTS[kind].header)]) == LAYOUTS[kind].header  # type: ignore[index]
        assert 2 <= len(table) <= 3
        if kind != "points":
            assert table["area_id"].str.startswith("13").all()  # ids of this set
        status, page = _upload(client, page_path, f"template-{kind}.csv", response.data,
                               set_name=f"From the {kind} template", **fields)  # fmt: skip
        assert status == 200 and "No problems found." in _text(page), (kind, _text(page)[:3000])
        response = client.post(page_path, data=_form(page, "confirm-form"))
        assert response.status_code == 302, (kind, _text(response.get_data(as_text=True))[:2000])
    assert client.get(f"/targeting/sets/{set_id}/templates/areas.csv").status_code == 404


def test_the_page_says_the_demo_ids_are_fips_codes_and_shows_examples(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    text = _text(client.get(_incidents(demo_app)).get_data(as_text=True))
    assert "US Census FIPS codes" in text
    assert "Area ids of this boundary set, for example: 13001 (Appling)" in text


def test_kind_fields_are_in_labelled_fieldsets_with_the_script(demo_app: Flask) -> None:
    page = demo_client(demo_app).get(_incidents(demo_app)).get_data(as_text=True)
    assert 'data-kind-fields="points"' in page and 'data-kind-fields="counts"' in page
    assert "Only for incident points" in page and "Only for counts per area and year" in page
    assert "js/upload-form.js" in page


# --- downloads of stored data --------------------------------------------------------------------


def test_the_counts_download_uploads_back_unchanged_when_nothing_is_hidden(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    set_id = georgia_id(demo_app)
    data = b"area_id,period,count\n13001,2022,12\n13003,2022,0\n13005,2022,40\n13001,2023,25\n"
    status, page = _upload(client, path, "first.csv", data, incident_kind="counts", set_name="First")
    assert status == 200
    assert client.post(path, data=_form(page, "confirm-form")).status_code == 302
    download = client.get(f"/targeting/sets/{set_id}/counts-for-upload.csv")
    assert download.status_code == 200 and b"suppressed" not in download.data
    table = pd.read_csv(io.BytesIO(download.data), dtype=str)
    assert list(table.columns) == ["area_id", "area_name", "period", "count"]
    status, page = _upload(client, path, "again.csv", download.data, incident_kind="counts", set_name="Again")
    assert status == 200 and "No problems found." in _text(page), _text(page)[:3000]
    assert client.post(path, data=_form(page, "confirm-form")).status_code == 302
    assert _records(demo_app, "Again") == _records(demo_app, "First") == [
        ("13001", 2022, 12), ("13001", 2023, 25), ("13005", 2022, 40)]  # fmt: skip


def test_suppressed_cells_of_the_counts_download_are_refused_with_what_to_do(demo_app: Flask) -> None:
    client, path = demo_client(demo_app), _incidents(demo_app)
    download = client.get(f"/targeting/sets/{georgia_id(demo_app)}/counts-for-upload.csv")
    assert b"suppressed" in download.data  # the synthetic demo has small counts
    assert "synthetic" in download.headers["Content-Disposition"]
    page = client.get(path).get_data(as_text=True)
    assert "writes “suppressed” in those cells" in _text(page)
    before = _set_count(demo_app)
    status, page = _upload(client, path, "demo.csv", download.data, incident_kind="counts", set_name="Demo again")
    text = _text(page)
    assert status == 422 and 'name="token"' not in page
    assert re.search(r"Rows [\d, ]+and \d+ more: column 'count' says 'suppressed'", text), text[:3000]
    assert "Type the true count from your own records in these cells" in text
    assert "should hold whole numbers" not in text  # one specific message, not a generic one
    assert _set_count(demo_app) == before


def test_the_indicators_download_uploads_back_unchanged(demo_app: Flask) -> None:
    client = demo_client(demo_app)
    set_id = georgia_id(demo_app)
    path = f"/targeting/sets/{set_id}/upload/indicators"

    def stored() -> dict[str, dict[str, object]]:
        with demo_app.app_context():
            rows = db.session.execute(select(Area.code, Area.indicators).where(Area.boundary_set_id == set_id)).all()
            return {str(code): dict(indicators or {}) for code, indicators in rows}

    before = stored()
    assert any(before.values())
    download = client.get(f"/targeting/sets/{set_id}/indicators.csv")
    assert download.status_code == 200
    table = pd.read_csv(io.BytesIO(download.data), dtype=str)
    assert list(table.columns[:2]) == ["area_id", "area_name"] and len(table) == len(before)
    status, page = _upload(client, path, "indicators.csv", download.data)
    assert status == 200 and 'id="confirm-import"' in page and "No problems found." in _text(page), _text(page)[:3000]
    assert client.post(path, data=_form(page, "confirm-form")).status_code == 302
    assert stored() == before
