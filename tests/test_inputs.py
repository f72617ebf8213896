"""Reading uploads: every problem a coordinator can meet is reported by row and column, never raised.

All fixture files are written into tmp_path by the tests themselves, so each one shows exactly
what it contains.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely

from targeting.demo import DEMO_SETS, load_demo_areas
from targeting.inputs import (
    ALLOWED_ATTRIBUTES,
    MESSAGES,
    InputError,
    Issue,
    ValidationReport,
    check_area_ids,
    read_areas,
    read_counts,
    read_incidents,
    read_indicators,
)
from targeting.inputs import files as input_files

# --- helpers ---------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def the(report: ValidationReport, code: str) -> Issue:
    """The one issue with ``code``; fails with the whole report when there is none or several."""
    found = [issue for issue in report.issues if issue.code == code]
    assert len(found) == 1, f"expected one {code!r}, got {[str(i) for i in report.issues]}"
    return found[0]


def check(
    report: ValidationReport,
    code: str,
    severity: str,
    *,
    rows: Sequence[int] | None = None,
    count: int | None = None,
    column: str | None = None,
) -> Issue:
    """Assert one issue and that its message names its rows and column as the user counts them."""
    issue = the(report, code)
    assert issue.severity == severity, issue
    assert issue.message == MESSAGES[code].format(**issue.params)
    if rows is not None:
        assert issue.rows == tuple(rows), issue
        listed = [int(n) for n in re.findall(r"\d+", issue.message.split(":")[0])]
        for row in rows[:5]:
            assert row in listed, f"row {row} not named in: {issue.message}"
        assert issue.message.startswith("Row " if len(rows) == 1 and (count or 1) == 1 else "Rows ")
    if count is not None:
        assert issue.count == count, issue
    if column is not None:
        assert issue.column == column
        assert f"'{column}'" in issue.message, issue.message
    return issue


def squares(n: int) -> list[shapely.Polygon]:
    """n adjacent 0.1-degree squares near Atlanta."""
    return [shapely.box(-84.5 + 0.1 * i, 33.6, -84.4 + 0.1 * i, 33.7) for i in range(n)]


def small_areas(**columns: Sequence[object]) -> geopandas.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return geopandas.GeoDataFrame(columns, geometry=squares(n), crs="EPSG:4326")


def zip_files(target: Path, files: Mapping[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in files.items():
            if isinstance(content, Path):
                archive.write(content, member)
            else:
                archive.writestr(member, content)
    return target


def shapefile_zip(frame: geopandas.GeoDataFrame, tmp_path: Path, *, folder: str = "", drop: str = "") -> Path:
    """A zipped Shapefile as users make them: all parts, optionally inside a folder."""
    directory = tmp_path / "shp"
    directory.mkdir(exist_ok=True)
    with warnings.catch_warnings():  # the Shapefile format truncates long field names, as expected
        warnings.simplefilter("ignore")
        frame.to_file(directory / "areas.shp")
    parts = {f"{folder}{p.name}": p for p in sorted(directory.iterdir()) if not drop or p.suffix != drop}
    return zip_files(tmp_path / "areas.zip", parts)


@pytest.fixture(scope="module")
def georgia() -> geopandas.GeoDataFrame:
    return load_demo_areas("georgia")


# --- reports ---------------------------------------------------------------------------------


def test_report_properties_and_raise_for_errors() -> None:
    warning = Issue("warning", "missing_name", "a warning")
    error = Issue("error", "missing_id", "Row 2: column 'id' is empty.", column="id", rows=(2,), count=1)
    report = ValidationReport([warning])
    assert report.ok and report.warnings == [warning] and report.errors == []
    report.raise_for_errors()  # warnings never raise
    report.add(error)
    assert not report.ok and report.errors == [error]
    with pytest.raises(InputError) as caught:
        report.raise_for_errors()
    assert isinstance(caught.value, ValueError)
    assert caught.value.report is report
    assert "Row 2: column 'id' is empty." in str(caught.value) and "a warning" not in str(caught.value)


def test_issues_are_frozen_and_comparable() -> None:
    issue = Issue("error", "x", "m")
    with pytest.raises(AttributeError):
        issue.code = "y"  # type: ignore[misc]
    assert issue == Issue("error", "x", "m") and hash(issue) == hash(Issue("error", "x", "m"))


def test_every_issue_code_is_exercised_by_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [code for code in MESSAGES if not re.search(rf'(check|the)\(\s*report,\s*"{code}"', source)]
    assert not untested


# --- areas: round trips ----------------------------------------------------------------------


def _assert_same_areas(out: geopandas.GeoDataFrame, georgia: geopandas.GeoDataFrame) -> None:
    assert out.crs.to_epsg() == 4326
    assert len(out) == 159
    assert sorted(out["area_id"]) == sorted(georgia["area_id"])
    merged = out.set_index("area_id").loc[georgia["area_id"]]
    assert merged["name"].tolist() == georgia["name"].tolist()
    assert np.allclose(merged["population"].to_numpy(), georgia["population"].to_numpy(dtype=float))
    assert np.allclose(merged.geometry.bounds.to_numpy(), georgia.geometry.bounds.to_numpy(), atol=1e-6)
    assert out.geometry.is_valid.all()


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_georgia_round_trip_through_files(georgia: geopandas.GeoDataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"georgia{suffix}"
    georgia.to_file(path)
    out, report = read_areas(path, id_col="area_id", name_col="name", population_col="population")
    assert report.issues == []
    _assert_same_areas(out, georgia)
    assert list(out.columns) == list(georgia.columns)
    assert out["population"].dtype == float and out["area_id"].map(type).eq(str).all()


@pytest.mark.parametrize("folder", ["", "georgia_counties/"])
def test_georgia_round_trip_through_zipped_shapefile(
    georgia: geopandas.GeoDataFrame, tmp_path: Path, folder: str
) -> None:
    archive = shapefile_zip(georgia, tmp_path, folder=folder)
    out, report = read_areas(str(archive), id_col="area_id", name_col="name", population_col="population")
    assert report.ok and report.issues == []
    _assert_same_areas(out, georgia)
    assert {"pct_foreig", "pct_rural", "pct_povert"} <= set(out.columns)  # indicators kept as they are


def test_projected_crs_comes_back_in_wgs84(georgia: geopandas.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "georgia_utm.gpkg"
    georgia.to_crs("EPSG:26916").to_file(path)
    out, report = read_areas(path, id_col="area_id", name_col="name", population_col="population")
    assert report.issues == []
    _assert_same_areas(out, georgia)


def test_upload_bytes_work_for_every_format(georgia: geopandas.GeoDataFrame, tmp_path: Path) -> None:
    georgia.to_crs("EPSG:26916").to_file(tmp_path / "g.gpkg")
    archive = shapefile_zip(georgia, tmp_path, folder="sub/")
    for name, path in (("Counties 2024.gpkg", tmp_path / "g.gpkg"), ("../../etc/upload.zip", archive)):
        data = path.read_bytes()
        out, report = read_areas((name, data), id_col="area_id", name_col="name", population_col="population")
        assert report.issues == [], name
        _assert_same_areas(out, georgia)


def test_geodataframe_input_and_indicator_columns_are_kept(georgia: geopandas.GeoDataFrame) -> None:
    out, report = read_areas(georgia, id_col="area_id", name_col="name", population_col="population")
    assert report.ok and report.issues == []
    assert np.allclose(out["pct_rural"], georgia["pct_rural"])
    assert out.index.tolist() == list(range(159))


def test_population_by_period_columns() -> None:
    frame = small_areas(code=["a", "b"], p20=[100, 200], p21=[110, 0])
    out, report = read_areas(frame, id_col="code", population_col={"2021": "p21", "2020": "p20"})
    assert out["population_2020"].tolist() == [100.0, 200.0]
    assert out["population_2021"].tolist()[0] == 110.0 and np.isnan(out["population_2021"].iloc[1])
    assert out["population"].tolist()[0] == 110.0  # the latest period
    check(report, "population_missing", "warning", rows=[3], column="p21")
    assert report.ok
    assert "p20" not in out.columns and "p21" not in out.columns
    with pytest.raises(ValueError, match="empty"):
        read_areas(frame, id_col="code", population_col={})


# --- areas: problems -------------------------------------------------------------------------


def test_missing_columns_name_the_columns_that_exist(tmp_path: Path) -> None:
    path = tmp_path / "areas.gpkg"
    small_areas(code=["a", "b"], pop=[1, 2]).to_file(path)
    out, report = read_areas(path, id_col="area_code", name_col="label", population_col="population")
    assert [i.code for i in report.errors] == ["missing_column"] * 3
    for issue, wanted in zip(report.errors, ["area_code", "label", "population"], strict=True):
        assert issue.column == wanted and f"'{wanted}'" in issue.message
        assert "'code', 'pop'" in issue.message
    assert out.empty and out.crs.to_epsg() == 4326


def test_missing_and_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "areas.geojson"
    small_areas(code=["a", "b", None, "b", "  "], pop=[1, 2, 3, 4, 5]).to_file(path)
    out, report = read_areas(path, id_col="code", population_col="pop")
    check(report, "missing_id", "error", rows=[4, 6], column="code")
    issue = check(report, "duplicate_id", "error", rows=[3, 5], column="code")
    assert "'b'" in issue.message
    assert len(out) == 5  # nothing dropped: the user fixes the file


def test_names_fall_back_to_the_id() -> None:
    out, report = read_areas(small_areas(code=[1, 2], label=["North", None]), id_col="code", name_col="label")
    assert out["area_id"].tolist() == ["1", "2"] and out["name"].tolist() == ["North", "2"]
    issue = check(report, "missing_name", "warning", rows=[3], column="label")
    assert "code 2" in issue.message
    out, _ = read_areas(small_areas(code=[7.0, 8.0]), id_col="code")
    assert out["name"].tolist() == ["7", "8"]  # whole-number ids do not become '7.0'


def test_population_problems(tmp_path: Path) -> None:
    path = tmp_path / "areas.gpkg"
    pops = ["1000", "", "0", "many", "-5", "1,234", "12 500"]
    small_areas(code=list("abcdefg"), pop=pops).to_file(path)
    out, report = read_areas(path, id_col="code", population_col="pop")
    assert out["population"].tolist()[0] == 1000.0
    assert out["population"].tolist()[5:] == [1234.0, 12500.0]
    assert out["population"].iloc[1:5].isna().all()
    check(report, "population_missing", "warning", rows=[3, 4], column="pop")
    assert "kept on the map, left out of rates" in the(report, "population_missing").message
    issue = check(report, "population_not_numeric", "error", rows=[5], column="pop")
    assert "'many'" in issue.message
    issue = check(report, "population_negative", "error", rows=[6], column="pop")
    assert "'-5'" in issue.message


def test_population_beyond_any_area_is_an_error(tmp_path: Path) -> None:
    """1e308 or 10**30 people fit no INTEGER column and no place on earth: refused, row named."""
    path = tmp_path / "areas.gpkg"
    small_areas(code=list("abc"), pop=["1000", "1e308", str(10**30)]).to_file(path)
    out, report = read_areas(path, id_col="code", population_col="pop")
    issue = check(report, "population_too_large", "error", rows=[3, 4], column="pop")
    assert "above 2,000,000,000" in issue.message and "'1e+308'" in issue.message
    assert out["population"].tolist()[0] == 1000.0 and out["population"].iloc[1:].isna().all()


def test_bow_tie_polygon_is_repaired_and_warned() -> None:
    features = [
        {"type": "Feature", "properties": {"code": "A"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {"code": "B"},  # a bow-tie: the outline crosses itself
         "geometry": {"type": "Polygon", "coordinates": [[[2, 0], [3, 1], [3, 0], [2, 1], [2, 0]]]}},
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    out, report = read_areas(("bowtie.geojson", data), id_col="code")
    issue = check(report, "geometry_repaired", "warning", rows=[3])
    assert "code B" in issue.message
    assert report.ok
    fixed = out.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and fixed.area == pytest.approx(0.5)
    assert out.geometry.iloc[0].geom_type == "Polygon"


def test_collections_keep_only_their_polygons_and_points_are_refused() -> None:
    mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(5, 5), (6, 6)])])
    frame = geopandas.GeoDataFrame(
        {"code": ["poly", "mixed", "point", "line", "none", "empty"]},
        geometry=[shapely.box(2, 2, 3, 3), mixed, shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)]),
                  None, shapely.Polygon()],
        crs="EPSG:4326",
    )  # fmt: skip
    out, report = read_areas(frame, id_col="code")
    assert out.geometry.iloc[1].equals(shapely.box(0, 0, 1, 1))
    check(report, "geometry_repaired", "warning", rows=[3])
    issue = check(report, "geometry_not_polygon", "error", rows=[4, 5])
    assert "a point" in issue.message and "a line" in issue.message and "code point" in issue.message
    issue = check(report, "geometry_empty", "warning", rows=[6, 7])
    assert "kept" in issue.message
    assert len(out) == 6 and out.geometry.iloc[2] is None


def test_file_without_crs_in_degrees_is_assumed_wgs84(tmp_path: Path) -> None:
    frame = small_areas(code=["a", "b"]).set_crs(None, allow_override=True)
    out, report = read_areas(frame, id_col="code")
    check(report, "crs_assumed_wgs84", "warning")
    assert report.ok and out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].equals(squares(1)[0])


def test_shapefile_without_prj_in_metres_is_an_error(tmp_path: Path) -> None:
    # The demo's own source file: UTM coordinates and no .prj, the classic real-world case.
    source = DEMO_SETS["georgia"].path
    parts = {f"G_utm{ext}": source.with_suffix(ext) for ext in (".shp", ".shx", ".dbf")}
    archive = zip_files(tmp_path / "g_utm.zip", parts)
    out, report = read_areas(archive, id_col="AreaKey", population_col="TotPop90")
    issue = check(report, "crs_missing", "error")
    assert ".prj" in issue.message and "x = 6" in issue.message
    assert len(out) == 159 and out.geometry.isna().all()  # no shapes in wrong places


def test_wrong_or_unusable_crs_is_an_error() -> None:
    metres_called_degrees = geopandas.GeoDataFrame(
        {"code": ["a", "b"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(700_000, 3_700_000, 701_000, 3_701_000)],
        crs="EPSG:4326",
    )  # fmt: skip
    _, report = read_areas(metres_called_degrees, id_col="code")
    issue = check(report, "crs_wrong", "error", rows=[3])
    assert "EPSG:4326" in issue.message
    local = small_areas(code=["a"]).set_crs('LOCAL_CS["site grid",UNIT["metre",1]]', allow_override=True)
    _, report = read_areas(local, id_col="code")
    issue = check(report, "crs_unusable", "error")
    assert "site grid" in issue.message


def test_identifier_columns_refuse_the_area_file(tmp_path: Path) -> None:
    path = tmp_path / "areas.gpkg"
    small_areas(code=["a", "b"], contact_phone=["+40 721 000 000", "+40 721 000 001"], NAME=["x", "y"]).to_file(path)
    out, report = read_areas(path, id_col="code", name_col="NAME")  # NAME is the area's name: allowed
    issue = check(report, "personal_identifier", "error", column="contact_phone")
    assert "a phone number" in issue.message and "refused" in issue.message
    assert out.empty and len(report.issues) == 1


def test_place_name_columns_are_not_people() -> None:
    frame = small_areas(code=["a"], county_name=["Fulton"], STATE_NAME=["Georgia"])
    out, report = read_areas(frame, id_col="code", name_col="county_name")
    assert report.issues == [] and out["STATE_NAME"].tolist() == ["Georgia"]


def test_clashing_column_is_renamed() -> None:
    out, report = read_areas(small_areas(code=["a"], pop=[5], population=[7]), id_col="code", population_col="pop")
    check(report, "column_renamed", "warning", column="population")
    assert out["population"].tolist() == [5.0] and out["population_in_file"].tolist() == [7]


def test_several_layers_reads_the_first(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    small_areas(code=["a"]).to_file(path, layer="counties")
    small_areas(code=["b", "c"]).to_file(path, layer="states")
    out, report = read_areas(path, id_col="code")
    issue = check(report, "several_layers", "warning")
    assert "'counties'" in issue.message and out["area_id"].tolist() == ["a"]


def test_files_that_are_not_map_files(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "areas.csv", "code,pop\na,1\n")
    _, report = read_areas(csv_path, id_col="code")
    issue = check(report, "not_geo_file", "error")
    assert "'areas.csv'" in issue.message and "GeoPackage" in issue.message

    workbook = zip_files(tmp_path / "areas.xlsx", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    _, report = read_areas(workbook, id_col="code")
    assert "spreadsheet" in check(report, "not_geo_file", "error").message

    _, report = read_areas(("broken.gpkg", b"not really a geopackage"), id_col="code")
    issue = check(report, "file_unreadable", "error")
    assert issue.message == (
        "'broken.gpkg' could not be read as a map file: it is damaged or not in a format the planner reads."
    )
    _, report = read_areas(("broken.zip", b"PK\x03\x04garbage"), id_col="code")
    assert "'broken.zip'" in check(report, "file_unreadable", "error").message

    _, report = read_areas(tmp_path / "missing.gpkg", id_col="code")
    check(report, "file_unreadable", "error")

    _, report = read_areas(pd.DataFrame({"code": ["a"]}), id_col="code")
    check(report, "not_geo_file", "error")


def test_zip_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A zip that unpacks to far more than was sent is refused before anything is read from it.
    monkeypatch.setattr(input_files, "MAX_UNZIPPED_BYTES", 4 * 2**20)
    padded = b'{"type": "FeatureCollection", "features": [' + b" " * (8 * 2**20) + b"]}"
    bomb = zip_files(tmp_path / "bomb.zip", {"areas.geojson": padded})
    assert bomb.stat().st_size < 64 * 1024
    _, report = read_areas(("bomb.zip", bomb.read_bytes()), id_col="code")
    issue = check(report, "zip_too_large", "error")
    assert "unpacks to 8 MB, more than the 4 MB the planner reads" in issue.message
    monkeypatch.undo()

    notes = zip_files(tmp_path / "notes.zip", {"readme.txt": b"hello", "__MACOSX/._x.shp": b""})
    _, report = read_areas(notes, id_col="code")
    issue = check(report, "zip_no_map_file", "error")
    assert "'readme.txt'" in issue.message and "MACOSX" not in issue.message

    incomplete = shapefile_zip(small_areas(code=["a"]), tmp_path, drop=".dbf")
    _, report = read_areas(("areas.zip", incomplete.read_bytes()), id_col="code")
    issue = check(report, "zip_shapefile_incomplete", "error")
    assert ".dbf" in issue.message

    shp = (tmp_path / "shp" / "areas.shp").read_bytes()
    _, report = read_areas(("areas.shp", shp), id_col="code")
    check(report, "shapefile_not_zipped", "error")


def test_empty_map_file(tmp_path: Path) -> None:
    path = tmp_path / "none.gpkg"
    small_areas(code=["a"]).iloc[:0].to_file(path)
    out, report = read_areas(path, id_col="code")
    check(report, "empty_file", "error")
    assert out.empty


# --- incidents -------------------------------------------------------------------------------

GOOD_INCIDENTS = """date,latitude,longitude,exploitation_type,sex,age_band
2021-07-15,33.749,-84.388,labour,female,18-24
2021-01-02,34.1,-83.9,sexual,male,25-34
2022-11-30T23:30:00-05:00,31.5,-82.0,labour,female,0-17
"""


@pytest.mark.parametrize(
    ("period", "labels"),
    [("year", ["2021", "2021", "2022"]), ("quarter", ["2021-Q3", "2021-Q1", "2022-Q4"]),
     ("month", ["2021-07", "2021-01", "2022-11"])],
)  # fmt: skip
def test_incident_csv_periods(tmp_path: Path, period: str, labels: list[str]) -> None:
    path = write(tmp_path, "incidents.csv", GOOD_INCIDENTS)
    out, report = read_incidents(path, period=period)  # type: ignore[arg-type]
    assert report.issues == []
    assert isinstance(out, geopandas.GeoDataFrame) and out.crs.to_epsg() == 4326
    assert out["period"].tolist() == labels  # the local date counts, not UTC
    assert list(out.columns) == ["period", "exploitation_type", "age_band", "sex", "geometry"]
    assert out.geometry.iloc[0].equals(shapely.Point(-84.388, 33.749))
    assert "date" not in out.columns  # the exact date is not kept


def test_incident_problem_rows_are_dropped_and_counted(tmp_path: Path) -> None:
    text = """date,latitude,longitude
2021-07-15,33.7,-84.3
,33.7,-84.3
not a date,33.7,-84.3
2999-01-01,33.7,-84.3
2021-07-15,,-84.3
2021-07-15,33°N,-84.3
2021-07-15,95.1,-84.3
2021-07-15,33.7,-184.3
2021-07-15,0,0
2021-07-16,33.8,-84.4
"""
    out, report = read_incidents(write(tmp_path, "incidents.csv", text))
    assert len(out) == 2 and out.index.tolist() == [0, 9]  # index + 2 = the spreadsheet row
    check(report, "date_missing", "warning", rows=[3], column="date")
    assert "'not a date'" in check(report, "date_unparseable", "warning", rows=[4], column="date").message
    assert "'2999-01-01'" in check(report, "date_in_future", "warning", rows=[5], column="date").message
    check(report, "coordinates_missing", "warning", rows=[6])
    assert "'33°N'" in check(report, "coordinates_not_numeric", "warning", rows=[7], column="latitude").message
    assert "'95.1'" in check(report, "latitude_out_of_range", "warning", rows=[8], column="latitude").message
    check(report, "longitude_out_of_range", "warning", rows=[9], column="longitude")
    check(report, "coordinates_zero", "warning", rows=[10])
    issue = check(report, "rows_dropped", "warning", rows=[3, 4, 5, 6, 7], count=8)
    assert "8 of 10 rows" in issue.message and "2 incidents" in issue.message
    assert report.ok


def test_no_usable_rows_and_swapped_coordinates(tmp_path: Path) -> None:
    text = "date,latitude,longitude\n2021-01-01,-97.74,30.27\n2021-02-01,-95.37,29.76\n"
    out, report = read_incidents(write(tmp_path, "swapped.csv", text))
    issue = check(report, "coordinates_swapped", "error")
    assert "'latitude'" in issue.message and "'longitude'" in issue.message
    check(report, "no_usable_rows", "error")
    assert "latitude_out_of_range" not in [i.code for i in report.issues]
    assert out.empty


def test_date_formats_and_orders(tmp_path: Path) -> None:
    ambiguous = "date,latitude,longitude\n03/04/2021,33.7,-84.3\n05.06.2021,33.7,-84.3\n"
    out, report = read_incidents(write(tmp_path, "a.csv", ambiguous), period="month")
    assert out["period"].tolist() == ["2021-04", "2021-06"]
    issue = check(report, "date_order_assumed", "warning", column="date")
    assert "'03/04/2021'" in issue.message and "day/month/year" in issue.message

    us = "date,latitude,longitude\n12/25/2021,33.7,-84.3\n03/04/2021,33.7,-84.3\n"
    out, report = read_incidents(write(tmp_path, "b.csv", us), period="month")
    assert out["period"].tolist() == ["2021-12", "2021-03"] and report.issues == []

    mixed = "date,latitude,longitude\n2021-Q3,33.7,-84.3\n2021,33.7,-84.3\n2021-05,33.7,-84.3\n0221-05-01,33.7,-84.3\n"
    out, report = read_incidents(write(tmp_path, "c.csv", mixed), period="quarter")
    assert out["period"].tolist() == ["2021-Q3", "2021-Q2"]
    issue = check(report, "date_too_coarse", "warning", rows=[3], column="date")
    assert "a year" in issue.message and "quarterly" in issue.message
    check(report, "date_unparseable", "warning", rows=[5])


def test_dataframe_input_with_year_dates_and_datetimes() -> None:
    frame = pd.DataFrame({"year": [2020, 2021], "lat": [33.7, 34.0], "lon": [-84.3, -84.0]})
    out, report = read_incidents(frame, date_col="year", lat_col="lat", lon_col="lon")
    assert report.issues == [] and out["period"].tolist() == ["2020", "2021"]
    frame["when"] = pd.to_datetime(["2020-03-01", "2021-12-31"]).tz_localize("America/New_York")
    out, report = read_incidents(
        frame.drop(columns="year"), date_col="when", lat_col="lat", lon_col="lon", period="month"
    )
    assert out["period"].tolist() == ["2020-03", "2021-12"]


def test_identifier_columns_refuse_the_incident_file(tmp_path: Path) -> None:
    text = "date,latitude,longitude,victim_name,sex\n2021-07-15,33.7,-84.3,Ana Pop,female\n"
    out, report = read_incidents(write(tmp_path, "incidents.csv", text))
    issue = check(report, "personal_identifier", "error", column="victim_name")
    assert "looks like people's names" in issue.message
    assert "files with personal identifiers are refused — remove the column and upload again" in issue.message
    assert out.empty and not report.ok

    by_values = "date,latitude,longitude,contact\n2021-07-15,33.7,-84.3,ana@example.org\n"
    _, report = read_incidents(write(tmp_path, "b.csv", by_values))
    assert "its values" in check(report, "personal_identifier", "error", column="contact").message

    case_numbers = "date,latitude,longitude,Case No,First Name\n2021-07-15,33.7,-84.3,C-2021-0042,Ana\n"
    _, report = read_incidents(write(tmp_path, "c.csv", case_numbers))
    assert [(i.column, i.params["looks_like"]) for i in report.errors] == [
        ("Case No", "a case or person identifier"),
        ("First Name", "a person's name"),
    ]


def test_other_columns_are_dropped_with_a_warning(tmp_path: Path) -> None:
    text = (
        "Date;Latitude;Longitude;region;case_count;reported;nationality\n"
        "2021-07-15;33,749;-84,388;north;12345678;2021-07-20;RO\n"
    )
    out, report = read_incidents(write(tmp_path, "semicolons.csv", text))
    issue = check(report, "columns_dropped", "warning")
    assert "'region', 'case_count', 'reported'" in issue.message  # numbers and dates are not phone numbers
    assert list(out.columns) == ["period", "nationality", "geometry"]
    assert out.geometry.iloc[0].equals(shapely.Point(-84.388, 33.749))  # decimal commas


def test_attribute_cols_choose_from_the_allowed_list(tmp_path: Path) -> None:
    path = write(tmp_path, "incidents.csv", GOOD_INCIDENTS)
    out, report = read_incidents(path, attribute_cols=["sex"])
    assert list(out.columns) == ["period", "sex", "geometry"]
    assert "'exploitation_type', 'age_band'" in check(report, "columns_dropped", "warning").message
    _, report = read_incidents(path, attribute_cols=["language"])
    check(report, "missing_column", "error", column="language")
    with pytest.raises(ValueError, match="not allowed"):
        read_incidents(path, attribute_cols=["victim_id"])
    with pytest.raises(ValueError, match="period"):
        read_incidents(path, period="week")  # type: ignore[arg-type]
    assert set(ALLOWED_ATTRIBUTES) >= {"exploitation_type", "language"}


def test_missing_incident_columns(tmp_path: Path) -> None:
    out, report = read_incidents(write(tmp_path, "i.csv", "when,lat,lon\n2021-01-01,1,2\n"))
    # One message naming every missing column, not three near-identical ones.
    issue = check(report, "missing_columns", "error", column="date")
    assert [i.code for i in report.errors] == ["missing_columns"]
    assert issue.params["missing"] == ["date", "latitude", "longitude"]
    assert "'date' (incident date), 'latitude' (latitude), 'longitude' (longitude)" in issue.message
    assert "'when', 'lat', 'lon'" in issue.message
    assert out.empty
    _, report = read_incidents(write(tmp_path, "i.csv", "date,lat,longitude\n2021-01-01,1,2\n"))
    check(report, "missing_column", "error", column="latitude")  # one missing: the one-column message


def test_point_map_file(tmp_path: Path) -> None:
    frame = geopandas.GeoDataFrame(
        {"date": ["2021-07-15", "2021-08-01", "2021-09-01", "2021-10-01"], "sex": ["female", "male", "male", "female"]},
        geometry=[shapely.Point(-84.388, 33.749), shapely.box(0, 0, 1, 1), None, shapely.Point(-84.0, 34.0)],
        crs="EPSG:4326",
    ).to_crs("EPSG:26916")
    path = tmp_path / "points.gpkg"
    frame.to_file(path)
    out, report = read_incidents(("points.gpkg", path.read_bytes()), period="month")
    assert out["period"].tolist() == ["2021-07", "2021-10"] and out["sex"].tolist() == ["female", "female"]
    assert out.geometry.iloc[0].distance(shapely.Point(-84.388, 33.749)) < 1e-6
    issue = check(report, "geometry_not_point", "warning", rows=[3])
    assert "a polygon" in issue.message
    check(report, "coordinates_missing", "warning", rows=[4])
    check(report, "rows_dropped", "warning", rows=[3, 4])


def test_csv_encodings_and_delimiters() -> None:
    text = "date\tlatitude\tlongitude\tnationality\n2021-07-15\t44.43\t26.10\t{}\n"
    out, report = read_incidents(("export.csv", text.format("Français").encode("cp1252")))
    issue = check(report, "encoding_fallback", "warning")
    assert "Windows-1252" in issue.message and out["nationality"].tolist() == ["Français"]
    out, report = read_incidents(("export.csv", text.format("X").encode() + b"\x81"))
    assert "Latin-1" in check(report, "encoding_fallback", "warning").message and len(out) == 1
    for encoded in (("\ufeff" + text.format("Română")).encode("utf-8"), text.format("Română").encode("utf-16")):
        out, report = read_incidents(("export.txt", encoded))
        assert report.issues == [] and out["nationality"].tolist() == ["Română"]


def test_rows_with_extra_cells_keep_the_numbering(tmp_path: Path) -> None:
    text = "date,latitude,longitude\n2021-01-01,33.7,-84.3\n2021-01-02,33.7,-84.3,extra\n\n,33.7,-84.3\n"
    out, report = read_incidents(write(tmp_path, "i.csv", text))
    issue = check(report, "csv_extra_cells", "warning", rows=[3])
    assert "'" + "," + "'" in issue.message
    check(report, "date_missing", "warning", rows=[5])  # still row 5 after the skipped and blank rows
    assert len(out) == 1


def test_spreadsheets_are_refused_with_export_advice(tmp_path: Path) -> None:
    workbook = zip_files(tmp_path / "incidents.csv", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    for source in (workbook, ("incidents.xlsx", b"PK\x03\x04rest"), ("old.xls", b"\xd0\xcf\x11\xe0rest")):
        _, report = read_incidents(source)
        issue = check(report, "not_csv", "error")
        assert "Save As" in issue.message and "CSV UTF-8" in issue.message and "spreadsheet" in issue.message
    _, report = read_counts(("counts.bin", b"\x00\x01\x02binary"))
    check(report, "not_csv", "error")


def test_large_incident_file_reads_without_row_loops(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    days = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "latitude": rng.uniform(30.5, 35.0, n).round(5).astype(str),
            "longitude": rng.uniform(-85.0, -81.0, n).round(5).astype(str),
            "exploitation_type": rng.choice(["labour", "sexual", "criminal"], n),
        }
    )
    frame.loc[::1000, "latitude"] = ""
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    out, report = read_incidents(path)
    assert report.ok
    assert len(out) == n - 200
    check(report, "coordinates_missing", "warning", count=200)
    expected = frame.loc[frame["latitude"] != "", "date"].str[:4].value_counts().sort_index()
    assert out["period"].value_counts().sort_index().to_dict() == expected.to_dict()


# --- counts ----------------------------------------------------------------------------------


def test_counts_are_read_with_ids_as_text_and_canonical_periods(tmp_path: Path) -> None:
    text = 'area_id,period,count\n01001,2021-Q2,5\n01001,2021 Q3,0\n01003,Q1 2022,"1,200"\n'
    out, report = read_counts(write(tmp_path, "counts.csv", text))
    assert report.issues == []
    assert out["area_id"].tolist() == ["01001", "01001", "01003"]  # leading zeros survive
    assert out["period"].tolist() == ["2021-Q2", "2021-Q3", "2022-Q1"]
    assert out.attrs["granularity"] == "quarter"
    assert out["count"].tolist() == [5, 0, 1200] and out["count"].dtype == "int64"


def test_count_periods_of_mixed_kinds_are_refused_naming_the_rows(tmp_path: Path) -> None:
    # Sorted as text, 'Jan 2012' would be the latest period and every trend would run out of order.
    text = "area_id,period,count\na,2010,1\na,2011-Q1,2\na,Jan 2012,3\na,2013-01,4\na,2014,5\n"
    _, report = read_counts(write(tmp_path, "counts.csv", text))
    issue = check(report, "period_mixed", "error", rows=[3, 4, 5], column="period")
    assert issue.message.startswith("Rows 3 (2011-Q1), 4 (Jan 2012) and 5 (2013-01): ")
    assert "has quarters and months, but the rest of the file has years (such as '2010')" in issue.message
    assert "write every period as a year, for example 2021" in issue.message
    assert not report.ok and report.codes == ["period_mixed"]


def test_count_periods_that_are_not_periods_are_refused(tmp_path: Path) -> None:
    text = "area_id,period,count\na,2021-07-15,1\nb,FY21,2\nc,0221,3\nd,2021,4\n"
    _, report = read_counts(write(tmp_path, "counts.csv", text))
    issue = check(report, "period_unparseable", "error", rows=[2, 3, 4], column="period")
    assert "'2021-07-15', 'FY21', '0221'" in issue.message and "2021-Q3" in issue.message


def test_count_periods_written_many_ways_are_one_kind_in_time_order(tmp_path: Path) -> None:
    spellings = ["Dec 2011", "2012-01", "02/2012", "2012/3", "April 2012", "mai 2012", "2012 Jun", "07.2012"]
    text = "area_id,period,count\n" + "".join(f"a,{p},1\n" for p in spellings)
    out, report = read_counts(write(tmp_path, "counts.csv", text))
    assert report.issues == []
    assert out["period"].tolist() == ["2011-12", *(f"2012-{m:02d}" for m in range(1, 8))]
    assert out.attrs["granularity"] == "month"


def test_year_and_year_point_zero_are_one_year(tmp_path: Path) -> None:
    # A spreadsheet writes whole-number years as '2012.0' once a cell in the column is blank.
    text = "area_id,period,count\na,2012,5\nb,2012.0,3\na,2013,1\nb,2013.0,2\n"
    out, report = read_counts(write(tmp_path, "counts.csv", text))
    assert report.issues == []
    assert out["period"].tolist() == ["2012", "2012", "2013", "2013"] and out.attrs["granularity"] == "year"
    _, report = read_counts(write(tmp_path, "counts.csv", "area_id,period,count\na,2012,5\na,2012.0,3\n"))
    assert "'a / 2012'" in check(report, "duplicate_area_period", "error", rows=[2, 3]).message


def test_count_problems(tmp_path: Path) -> None:
    text = """area_id,period,count,note_id
a,2021,5,1
a,2021,6,2
b,,1,3
,2021,1,4
c,2021,,5
d,2021,2.5,6
e,2021,lots,7
f,2021,-3,8
"""
    out, report = read_counts(write(tmp_path, "counts.csv", text))
    check(report, "duplicate_area_period", "error", rows=[2, 3], column="area_id")
    assert "'a / 2021'" in the(report, "duplicate_area_period").message
    check(report, "period_missing", "error", rows=[4], column="period")
    check(report, "missing_id", "error", rows=[5], column="area_id")
    check(report, "count_missing", "error", rows=[6], column="count")
    issue = check(report, "count_not_integer", "error", rows=[7, 8], column="count")
    assert "'2.5'" in issue.message and "'lots'" in issue.message
    check(report, "count_negative", "error", rows=[9], column="count")
    check(report, "columns_dropped", "warning")
    assert out["count"].dtype == "Int64" and out["count"].isna().sum() == 4
    with pytest.raises(InputError, match="Row 9"):
        report.raise_for_errors()


def test_count_file_missing_columns_and_empty(tmp_path: Path) -> None:
    _, report = read_counts(write(tmp_path, "c.csv", "area;year;n\n1;2021;3\n"))
    assert [i.code for i in report.errors] == ["missing_columns"]
    assert report.errors[0].params["missing"] == ["area_id", "period", "count"]
    assert "'area', 'year', 'n'" in report.errors[0].message
    out, report = read_counts(write(tmp_path, "c.csv", "area_id,period,count\n"))
    check(report, "empty_file", "error")
    assert out.empty and list(out.columns) == ["area_id", "period", "count"]


def test_suppressed_counts_from_the_download_are_refused_with_what_to_do(tmp_path: Path) -> None:
    text = "area_id,area_name,period,count\n13001,Appling,2021,12\n13003,Atkinson,2021,suppressed\n13005,Bacon,2021,x\n"
    out, report = read_counts(write(tmp_path, "c.csv", text))
    issue = check(report, "count_suppressed", "error", rows=[3], column="count")
    assert "Type the true count from your own records" in issue.message
    assert "'x'" in check(report, "count_not_integer", "error", rows=[4], column="count").message  # not 'suppressed'
    assert "columns_dropped" not in report.codes  # area_name is the download's own label column
    assert out["count"].isna().tolist() == [False, True, True]


def test_ids_protected_by_a_download_read_back_as_they_were(tmp_path: Path) -> None:
    text = "area_id,period,count\n'-2+3,2021,12\n'=1,2021,13\n'plain,2021,14\n"
    out, report = read_counts(write(tmp_path, "c.csv", text))
    assert report.ok and out["area_id"].tolist() == ["-2+3", "=1", "'plain"]


def test_issues_keep_the_bad_rows_of_the_file_start_for_a_preview(tmp_path: Path) -> None:
    rows = "".join(f"a{i},2021,{'x' if i % 2 else 1}\n" for i in range(200))
    _, report = read_counts(write(tmp_path, "c.csv", "area_id,period,count\n" + rows))
    issue = check(report, "count_not_integer", "error", count=100, column="count")
    assert issue.rows == (3, 5, 7, 9, 11)
    assert issue.head_rows == tuple(range(3, 52, 2))


def test_count_dataframe_input_and_column_names() -> None:
    frame = pd.DataFrame({"County": ["13001", "13003"], "Year": [2021, 2021], "Cases": [3.0, 4.0]})
    out, report = read_counts(frame, area_col="county", period_col="year", count_col="cases")
    assert report.issues == [] and out["period"].tolist() == ["2021", "2021"] and out["count"].tolist() == [3, 4]


# --- indicators ------------------------------------------------------------------------------


def test_indicators(tmp_path: Path) -> None:
    text = (
        "area_id;missing_children;share_seasonal_agricultural_workers;pct_poverty;pop_nationality_RO;"
        "pop_language_ro;pop_age_18-24_female\n"
        "13001;4;0,12;15;120;130;1 200\n"
        "13003;0;0,30;42,5;0;5;800\n"
    )
    out, report = read_indicators(write(tmp_path, "ind.csv", text))
    assert out["area_id"].tolist() == ["13001", "13003"]
    assert out["share_seasonal_agricultural_workers"].tolist() == [0.12, 0.30]
    assert out["pct_poverty"].tolist() == pytest.approx([0.15, 0.425])
    assert out["pop_age_18-24_female"].tolist() == [1200.0, 800.0]
    issue = check(report, "share_percent_converted", "warning", column="pct_poverty")
    assert "42.5" in issue.message
    assert [i.code for i in report.issues] == ["share_percent_converted"]


def test_indicator_problems(tmp_path: Path) -> None:
    text = """area_id,missing_children,share_migrants,pop_nationality_UA
a,1,0.2,10
a,2,0.3,x
,3,0.4,
b,4,150,12
"""
    out, report = read_indicators(write(tmp_path, "ind.csv", text))
    check(report, "duplicate_id", "error", rows=[2, 3], column="area_id")
    check(report, "missing_id", "error", rows=[4], column="area_id")
    assert "'x'" in check(report, "not_numeric", "error", rows=[3], column="pop_nationality_UA").message
    check(report, "value_missing", "warning", rows=[4], column="pop_nationality_UA")
    assert "'150'" in check(report, "share_out_of_range", "error", rows=[5], column="share_migrants").message
    assert out["share_migrants"].tolist() == [0.2, 0.3, 0.4, 150.0]  # not converted: the column is wrong


def test_indicator_file_refusals(tmp_path: Path) -> None:
    _, report = read_indicators(write(tmp_path, "i.csv", "area_id,email,share_x\na,ana@example.org,0.1\n"))
    check(report, "personal_identifier", "error", column="email")
    _, report = read_indicators(write(tmp_path, "i.csv", "area_id\na\n"))
    check(report, "no_indicator_columns", "error", column="area_id")
    _, report = read_indicators(write(tmp_path, "i.csv", "code,share_x\na,0.1\n"))
    check(report, "missing_column", "error", column="area_id")


# --- across files ----------------------------------------------------------------------------


def test_check_area_ids(georgia: geopandas.GeoDataFrame) -> None:
    counts = pd.DataFrame({"area_id": ["13001", "99999", "99999", "88888", "13003"], "period": "2021", "count": 1})
    report = check_area_ids(counts, georgia)
    issue = check(report, "unknown_area", "warning", rows=[3, 4, 5], count=3, column="area_id")
    assert issue.message.startswith("Rows 3 (99999), 4 (99999) and 5 (88888): ")  # rows with their ids
    assert "3 row(s) with 2 unknown id(s): '99999', '88888'" in issue.message
    assert check_area_ids(counts.iloc[[0, 4]], georgia).issues == []
    report = check_area_ids(counts.rename(columns={"area_id": "code"}), georgia)
    check(report, "missing_column", "error", column="area_id")


# --- the package -----------------------------------------------------------------------------


def test_inputs_is_a_package_split_by_what_it_reads_with_the_same_public_names() -> None:
    import targeting.inputs as inputs

    assert hasattr(inputs, "__path__"), "targeting.inputs should be a package"
    before = {  # every public name importers used when it was one module
        "ALLOWED_ATTRIBUTES", "MESSAGES", "InputError", "Issue", "ValidationReport", "check_area_ids",
        "read_areas", "read_counts", "read_incidents", "read_indicators",
    }  # fmt: skip
    assert before <= set(inputs.__all__)
    assert all(getattr(inputs, name) is not None for name in inputs.__all__)
    folder = Path(inputs.__file__).parent
    modules = {path.stem for path in folder.glob("*.py")}
    assert {"areas", "incidents", "counts", "indicators", "parsing", "files", "messages", "report"} <= modules
    longest = max(len(path.read_text(encoding="utf-8").splitlines()) for path in folder.glob("*.py"))
    assert longest < 600
    assert inputs.read_counts.__module__ == "targeting.inputs.counts"
    # The package's modules are still under babel.cfg's Python pattern for message extraction.
    from babel.messages.extract import pathmatch

    config = (Path(__file__).resolve().parents[1] / "babel.cfg").read_text(encoding="utf-8")
    assert "[python: targeting/**.py]" in config
    assert all(pathmatch("targeting/**.py", f"targeting/inputs/{name}.py") for name in modules)


def test_parse_and_sort_periods_in_time() -> None:
    from targeting.inputs import PeriodError, parse_periods, sort_periods  # new with the package

    parsed = parse_periods(pd.Series(["2010", "2011-Q1", "Jan 2012", "2013-01", "2014", "2012.0", 2012, "", "x"]))
    assert parsed.label.tolist() == ["2010", "2011-Q1", "2012-01", "2013-01", "2014", "2012", "2012", "", ""]
    assert parsed.kind.tolist() == [0, 1, 2, 2, 0, 0, 0, -1, -2]
    assert parsed.main_kind() == 0  # years; a tie with months goes to the kind of the first value
    assert sort_periods(["Jan 2012", "2011-12", "2013-01", "2012-01"]) == ["2011-12", "2012-01", "2013-01"]
    assert sort_periods([2014, "2010", "2012.0", 2012]) == ["2010", "2012", "2014"]
    with pytest.raises(PeriodError, match="years and quarters"):
        sort_periods(["2012", "2012-Q1"])
    with pytest.raises(PeriodError, match="'FY21'"):
        sort_periods(["2012", "FY21"])
