"""Column mapping in the library: guessing which of a file's columns holds each required one, the
templates built from the same column definitions, and the readers agreeing with those definitions."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from targeting.inputs import (
    LAYOUTS,
    find_column,
    guess_columns,
    needs_mapping,
    read_columns,
    read_counts,
    read_head,
    read_incidents,
    read_indicators,
    reader_arguments,
    small_count_cells,
    template_table,
)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["county", "year", "incidents"], {"area_id": "county", "period": "year", "count": "incidents"}),
        (["FIPS", "Period", "cases"], {"area_id": "FIPS", "period": "Period", "count": "cases"}),
        (["GEOID", "date", "n"], {"area_id": "GEOID", "period": "date", "count": "n"}),
        (["Area Code", "Reporting year", "Number of incidents"],
         {"area_id": "Area Code", "period": "Reporting year", "count": "Number of incidents"}),
        (["county_fips", "yr", "count"], {"area_id": "county_fips", "period": "yr", "count": "count"}),
        (["area_id", "yaer", "incidnets"], {"area_id": "area_id", "period": "yaer", "count": "incidnets"}),
    ],
)
def test_counts_columns_are_guessed_from_synonyms_and_close_spellings(
    columns: list[str], expected: dict[str, str]
) -> None:
    assert needs_mapping(columns, "counts") == (columns != ["area_id", "period", "count"])
    assert guess_columns(columns, "counts") == expected


def test_each_file_column_is_proposed_once_and_unknown_ones_not_at_all() -> None:
    assert guess_columns(["x1", "x2", "x3"], "counts") == {"area_id": None, "period": None, "count": None}
    # 'total' and 'n' both look like a count: the first wins and the other is left for nothing else.
    assert guess_columns(["code", "year", "total", "n"], "counts") == {
        "area_id": "code", "period": "year", "count": "total"}  # fmt: skip
    assert guess_columns(["id", "id"], "indicators") == {"area_id": "id"}


def test_points_and_indicators_guesses() -> None:
    assert guess_columns(["Lat", "Lng", "Date of incident", "type"], "points") == {
        "date": "Date of incident", "latitude": "Lat", "longitude": "Lng"}  # fmt: skip
    assert guess_columns(["code", "missing_children"], "indicators") == {"area_id": "code"}
    assert not needs_mapping(["Area-ID", "missing_children"], "indicators")  # case, spaces and dashes ignored


def test_given_names_are_kept_and_the_rest_guessed() -> None:
    given = {"area_id": "region", "period": "period", "count": "count"}
    assert not needs_mapping(["region", "period", "count"], "counts", given)
    assert guess_columns(["region", "county", "year", "n"], "counts", given) == {
        "area_id": "region", "period": "year", "count": "n"}  # fmt: skip
    assert reader_arguments("counts", {"area_id": "county", "period": "year", "count": "n"}) == {
        "area_col": "county", "period_col": "year", "count_col": "n"}  # fmt: skip
    assert find_column(["Area ID"], "area_id") == "Area ID"


def test_a_confirmed_mapping_reads_the_file_and_errors_name_the_users_columns() -> None:
    data = b"county,year,incidents\n13001,2021,12\n13003,2021,twelve\n"
    columns = read_columns(("c.csv", data))
    assert columns == ["county", "year", "incidents"]
    mapping = guess_columns(columns, "counts")
    out, report = read_counts(("c.csv", data), **reader_arguments("counts", mapping))
    [issue] = report.errors
    assert issue.code == "count_not_integer" and issue.column == "incidents" and issue.rows == (3,)
    assert issue.message.startswith("Row 3: column 'incidents' should hold whole numbers but has 'twelve'")


def test_read_head_and_columns_only_read_table_files() -> None:
    assert read_columns(("a.geojson", b'{"type": "FeatureCollection", "features": []}')) is None
    head = read_head(("c.csv", b"a;b\n1;2\n\n3;4\n"), rows=5)
    assert head is not None and head["a"].tolist() == ["1", "3"] and head.index.tolist() == [0, 2]


def test_small_count_cells() -> None:
    cells = small_count_cells(pd.Series(["0", "1", "10", "11", "twelve", "5.0", "", "suppressed"]), 11)
    assert cells.tolist() == [False, True, True, False, False, True, False, False]


def test_readers_default_to_the_layouts_names() -> None:
    """One source of truth: the readers' default column names are the layouts' required names."""
    for kind, reader in (("counts", read_counts), ("points", read_incidents), ("indicators", read_indicators)):
        defaults = {name: p.default for name, p in inspect.signature(reader).parameters.items()}
        for spec in LAYOUTS[kind].required:  # type: ignore[index]
            assert spec.argument is not None and defaults[spec.argument] == spec.name, (kind, spec.name)


@pytest.mark.parametrize("kind", ["counts", "points", "indicators"])
def test_templates_have_the_exact_header_and_read_without_problems(kind: str) -> None:
    ids = ["13001", "13003", "13005"]
    table = template_table(kind, ids, area_names=["Appling", "Atkinson", "Bacon"],  # type: ignore[arg-type]
                           points=[(31.7, -82.3), (31.3, -82.9), (31.5, -82.4)], year=2022)  # fmt: skip
    assert list(table.columns[: len(LAYOUTS[kind].header)]) == LAYOUTS[kind].header  # type: ignore[index]
    assert 2 <= len(table) <= 3
    data = ("template.csv", table.to_csv(index=False).encode())
    reader = {"counts": read_counts, "points": read_incidents, "indicators": read_indicators}[kind]
    out, report = reader(data)  # type: ignore[operator]
    assert report.issues == [], [str(i) for i in report.issues]
    assert len(out) == len(table)
    if kind != "points":
        assert set(out["area_id"]) <= set(ids)


def test_a_points_template_needs_points() -> None:
    with pytest.raises(ValueError, match="points"):
        template_table("points", ["13001"])
    with pytest.raises(ValueError, match="area"):
        template_table("counts", [])
