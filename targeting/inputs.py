"""Reading what campaign coordinators upload: area boundaries, incident points, counts and indicators.

The people uploading are NGO coordinators, not data scientists, and the files come from whatever
their partners could export. So every reader returns ``(data, report)`` and never raises on bad
*content*: it collects everything wrong with the file into one :class:`ValidationReport`, so a
coordinator can fix all problems in one go instead of meeting them one upload at a time. Only a
wrong *call* (an unknown period, an attribute outside the allowed list) raises, because that is
a programming error, not the user's. ``report.raise_for_errors()`` turns errors into an
:class:`InputError` for callers that want an exception.

How problems are reported:

* Every :class:`Issue` has a stable ``code`` and ``params``; ``message`` is
  ``MESSAGES[code].format(**params)`` in English, so the web app can translate the template and
  fill in the same parameters.
* Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
  Map files use the same rule (the first feature is "row 2") and also name the area id, because a
  GIS attribute table numbers features differently. For many bad rows an issue carries the count
  and the first five row numbers, never one issue per row.
* Errors mean the file cannot be used as it is; warnings mean it was used with the stated repair
  or with the stated rows left out. Nothing is dropped silently: every row left out of an output
  is counted in a warning.

Privacy: files with columns that look like personal identifiers (names, phone numbers, addresses,
free-text notes; see :func:`targeting.privacy.find_identifier_columns`) are refused as a whole,
and an incident file keeps only the period, the point and a short allow-list of attributes. The
exact date is not kept: analyses work by period, and a precise date next to a precise point
makes a record easier to link to a person.

Output frames keep the file's row order, and their index is the 0-based data row position in the
file (row number minus 2), so rows left out of incident files leave gaps rather than renumbering.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import geopandas
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from .privacy import find_identifier_columns

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "MESSAGES",
    "InputError",
    "Issue",
    "ValidationReport",
    "check_area_ids",
    "read_areas",
    "read_counts",
    "read_incidents",
    "read_indicators",
]

Severity: TypeAlias = Literal["error", "warning"]
Period: TypeAlias = Literal["year", "quarter", "month"]
TableSource: TypeAlias = "str | Path | pd.DataFrame | tuple[str, bytes]"
GeoSource: TypeAlias = "str | Path | geopandas.GeoDataFrame | tuple[str, bytes]"
BoolArray: TypeAlias = npt.NDArray[np.bool_]

WGS84: Final = "EPSG:4326"
MAX_ROWS_LISTED: Final = 5

#: Incident attributes that describe a case, not a person; any other column is dropped or refused.
ALLOWED_ATTRIBUTES: Final[tuple[str, ...]] = (
    "exploitation_type",
    "recruitment",
    "age_band",
    "sex",
    "nationality",
    "language",
)

MESSAGES: Final[Mapping[str, str]] = {
    # the file as a whole
    "file_unreadable": "'{file}' could not be read as {expected}: {reason}.",
    "not_csv": (
        "'{file}' is {found}, not a CSV file. Only CSV is accepted: in Excel or LibreOffice use "
        "File > Save As and choose 'CSV UTF-8 (comma delimited)', then upload that file."
    ),
    "not_geo_file": (
        "'{file}' is {found}, not a map file. Areas need their shapes: upload a GeoPackage (.gpkg), "
        "a GeoJSON file (.geojson) or a zipped Shapefile (a .zip holding the .shp, .shx, .dbf and .prj files)."
    ),
    "shapefile_not_zipped": (
        "'{file}' is only the .shp part of a Shapefile. Put the .shp, .shx, .dbf and .prj files "
        "together in one .zip file and upload the zip."
    ),
    "zip_no_map_file": (
        "The zip file '{file}' holds no map file (it holds: {members}). Expected a Shapefile "
        "(.shp with its .shx, .dbf and .prj), a GeoPackage or a GeoJSON file inside."
    ),
    "zip_shapefile_incomplete": (
        "The Shapefile '{member}' in '{file}' has no {missing} file; a Shapefile needs its .shp, .shx "
        "and .dbf files (and .prj for its coordinate system). Zip all of its files together."
    ),
    "several_layers": (
        "'{file}' holds {n} layers or map files ({layers}); only '{layer}' was read. "
        "If that is not the right one, save the one you want on its own and upload it."
    ),
    "encoding_fallback": (
        "The file is not UTF-8 text, so it was read as {encoding}. If letters such as ă, ș, ł or é "
        "look wrong, save it as 'CSV UTF-8' and upload it again."
    ),
    "csv_extra_cells": (
        "{where} have more cells than the header row ({n_columns} columns) and were left out. "
        "A value probably contains the separator '{delimiter}': put such values in quotes or remove the character."
    ),
    "empty_file": "'{file}' has no data rows (only a header row, or nothing at all).",
    "missing_column": ("Column '{column}' ({purpose}) was not found. The file has the columns: {available}."),
    "personal_identifier": (
        "Column '{column}' looks like {looks_like} (judged by {evidence}); files with personal "
        "identifiers are refused — remove the column and upload again."
    ),
    "columns_dropped": (
        "Column(s) {columns} are not used and were left out; from this file the planner reads only: {kept}."
    ),
    "column_renamed": (
        "Column '{column}' has the same name as a column the planner creates, so it was kept as '{new_name}'."
    ),
    # coordinate systems
    "crs_missing": (
        "The file does not say which coordinate system it uses, and its coordinates (for example "
        "x = {x}, y = {y}) are not longitude/latitude degrees. For a Shapefile include its .prj file "
        "in the zip; otherwise export the file again with its coordinate reference system."
    ),
    "crs_assumed_wgs84": (
        "The file does not say which coordinate system it uses; its coordinates look like "
        "longitude/latitude degrees, so WGS 84 (EPSG:4326) was assumed. Check on the map that the "
        "areas are where they should be."
    ),
    "crs_unusable": "The coordinate system of the file ({crs}) could not be converted to longitude/latitude: {reason}.",
    "crs_wrong": (
        "{where}: after converting from {crs} the coordinates fall outside longitude -180..180 or "
        "latitude -90..90. The coordinate system stated in the file is probably wrong."
    ),
    # areas
    "missing_id": "{where}: column '{column}' is empty; every row needs an area id.",
    "duplicate_id": "{where}: column '{column}' repeats the id(s) {ids}; each area id may appear only once.",
    "missing_name": "{where}: column '{column}' is empty; the area id is shown as the name instead.",
    "population_missing": (
        "{where}: column '{column}' has no population or zero; these areas are kept on the map, left out of rates."
    ),
    "population_not_numeric": "{where}: column '{column}' should hold a number of people but has {examples}.",
    "population_negative": (
        "{where}: column '{column}' has a negative population ({examples}); a population cannot be below zero."
    ),
    "geometry_empty": (
        "{where}: the area has no shape (missing or empty geometry). It is kept in the list, but it "
        "cannot be drawn on the map or have neighbours."
    ),
    "geometry_repaired": (
        "{where}: the shape was invalid (for example its outline crosses itself) or mixed with lines "
        "or points; it was repaired automatically and only its polygons kept. Check these areas on the map."
    ),
    "geometry_not_polygon": "{where}: the shape is {found}, but areas must be polygons (outlines with an inside).",
    # incidents
    "date_missing": (
        "{where}: column '{column}' is empty; these incidents were left out because they cannot be put in a period."
    ),
    "date_unparseable": (
        "{where}: column '{column}' has values that are not dates ({examples}); these incidents were "
        "left out. Write dates as year-month-day, for example 2021-07-15."
    ),
    "date_in_future": "{where}: column '{column}' has dates after today ({examples}); these incidents were left out.",
    "date_too_coarse": (
        "{where}: column '{column}' gives only {precision} ({examples}), which is not enough for "
        "{period} periods; these incidents were left out."
    ),
    "date_order_assumed": (
        "Column '{column}' has dates such as '{example}' that could be day/month or month/day; they "
        "were read as {order}. If that is wrong, write dates as year-month-day, for example 2021-07-15."
    ),
    "coordinates_missing": (
        "{where}: {what} empty; these incidents were left out because they cannot be placed on the map."
    ),
    "coordinates_not_numeric": (
        "{where}: column '{column}' has values that are not numbers ({examples}); these incidents were "
        "left out. Write coordinates as decimal degrees, for example 33.749."
    ),
    "latitude_out_of_range": (
        "{where}: column '{column}' has latitudes outside -90..90 ({examples}); these incidents were left out."
    ),
    "longitude_out_of_range": (
        "{where}: column '{column}' has longitudes outside -180..180 ({examples}); these incidents were left out."
    ),
    "coordinates_swapped": (
        "Every latitude in column '{lat}' is outside -90..90 while every longitude in column '{lon}' "
        "fits inside it: the two columns look swapped. Check which column is which and upload again."
    ),
    "coordinates_zero": (
        "{where}: latitude and longitude are both 0, a point in the Atlantic Ocean that usually means "
        "the location was not filled in; these incidents were left out."
    ),
    "geometry_not_point": "{where}: the shape is {found}, but incidents must be points; these incidents were left out.",
    "rows_dropped": (
        "{where} were left out, {count} of {total} rows in all (see the issues above); {kept} incidents were read."
    ),
    "no_usable_rows": "None of the {total} rows could be used (see the issues above), so the file cannot be used.",
    # counts
    "period_missing": "{where}: column '{column}' is empty; every count needs a period.",
    "count_missing": "{where}: column '{column}' is empty; write 0 where there were no incidents.",
    "count_not_integer": "{where}: column '{column}' should hold whole numbers but has {examples}.",
    "count_negative": "{where}: column '{column}' has negative counts ({examples}); a count cannot be below zero.",
    "duplicate_area_period": (
        "{where}: the same area and period (columns '{column}' and '{period_column}') appear more than once "
        "({pairs}); each area and period may appear only once."
    ),
    # indicators
    "not_numeric": "{where}: column '{column}' should hold numbers but has {examples}.",
    "value_missing": "{where}: column '{column}' is empty; these areas have no value for this indicator.",
    "share_percent_converted": (
        "Column '{column}' holds values up to {max}, so it was read as percentages and divided by 100 "
        "to give shares between 0 and 1."
    ),
    "share_out_of_range": (
        "{where}: column '{column}' is a share but has {examples}; shares must be between 0 and 1 "
        "(or 0 and 100 as percentages)."
    ),
    "no_indicator_columns": (
        "The file has no indicator columns besides '{column}'; add at least one column of numbers per area."
    ),
    # cross-file
    "unknown_area": (
        "{count} row(s) name {n_ids} area id(s) in column '{column}' that are not in the area file "
        "({ids}); those rows cannot be placed on the map."
    ),
}


# --- issues and reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem found in a file, phrased for the coordinator who uploaded it.

    ``rows`` holds at most the first five spreadsheet row numbers and ``count`` how many rows are
    affected in all, so a file with 100,000 bad rows gives one issue, not 100,000. ``params`` are
    the values ``message`` was built from (``MESSAGES[code]``), for translation."""

    severity: Severity
    code: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int = 0
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


@dataclass
class ValidationReport:
    """Everything wrong with one file; ``ok`` when nothing stops it from being used."""

    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        """Issue codes in order, handy for tests and logs."""
        return [issue.code for issue in self.issues]

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.issues.extend(issues)

    def raise_for_errors(self) -> None:
        """Raise :class:`InputError` when the file cannot be used; warnings never raise."""
        if self.errors:
            raise InputError(self)


class InputError(ValueError):
    """A file with errors, for callers that prefer an exception; ``report`` has the details."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        errors = report.errors
        lines = [f"{len(errors)} problem(s) stop this file from being used:"]
        lines += [f"- {issue.message}" for issue in errors]
        super().__init__("\n".join(lines))


def _where(rows: Sequence[int], count: int, labels: Sequence[str] | None = None) -> str:
    """'Row 5', 'Rows 2, 3 and 9' or 'Rows 2, 3, 4, 5, 6 and 95 more', with optional labels."""
    if count <= 0:
        return "The file"
    labelled = [
        f"{row} ({label})" if label else str(row)
        for row, label in zip(rows, labels if labels is not None else [""] * len(rows), strict=False)
    ]
    if count > len(labelled):
        text = f"{', '.join(labelled)} and {count - len(labelled)} more"
    elif len(labelled) > 1:
        text = f"{', '.join(labelled[:-1])} and {labelled[-1]}"
    else:
        text = labelled[0]
    return f"{'Row' if count == 1 else 'Rows'} {text}"


def _issue(
    severity: Severity,
    code: str,
    *,
    column: str | None = None,
    rows: Sequence[int] | npt.NDArray[np.int64] = (),
    count: int | None = None,
    labels: Sequence[str] | None = None,
    **params: Any,
) -> Issue:
    """Build an issue whose message is its code's template filled with its parameters."""
    all_rows = np.asarray(rows, dtype=np.int64)
    first = tuple(int(row) for row in all_rows[:MAX_ROWS_LISTED])
    total = int(all_rows.size if count is None else count)
    values: dict[str, Any] = {
        "column": column,
        "count": total,
        "where": _where(first, total, list(labels)[:MAX_ROWS_LISTED] if labels is not None else None),
        **params,
    }
    return Issue(severity, code, MESSAGES[code].format(**values), column, first, total, values)


def _short(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _examples(values: pd.Series, n: int = 3) -> str:
    """Up to ``n`` distinct offending values, quoted, so the user can search for them."""
    distinct = values.head(10_000).astype(str).drop_duplicates().head(n)
    return ", ".join(f"'{_short(v)}'" for v in distinct)


def _reason(exc: BaseException) -> str:
    """A library's error text, trimmed to fit inside a sentence of ours."""
    return _short(str(exc).strip().rstrip("."), 200)


def _names(columns: Iterable[object]) -> str:
    return ", ".join(f"'{c}'" for c in columns) or "(none)"


# --- reading bytes ---------------------------------------------------------------------------

_EXCEL_SUFFIXES: Final = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods", ".numbers"})
_GEO_SUFFIXES: Final = frozenset({".gpkg", ".geojson", ".json", ".zip", ".shp", ".fgb", ".kml", ".gml"})
_ZIP_MEMBER_SUFFIXES: Final = (".shp", ".gpkg", ".geojson", ".json")
_DELIMITERS: Final = ",;\t|"
_SNIFF_CHARS: Final = 16_384
_NA_TOKENS: Final = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "—", "..", "#n/a"})

Kind: TypeAlias = Literal["text", "excel", "zip", "geo", "shp", "binary"]


def _file_name(source: object) -> str:
    if isinstance(source, tuple):
        return Path(str(source[0])).name or "upload"
    if isinstance(source, str | Path):
        return Path(source).name
    return "the table"


def _head(source: str | Path | tuple[str, bytes], size: int = 8192) -> bytes:
    if isinstance(source, tuple):
        return bytes(source[1][:size])
    with open(source, "rb") as handle:
        return handle.read(size)


def _zip_is_workbook(data: bytes | Path) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names or "mimetype" in names or any(n.startswith("xl/") for n in names)


def _detect_kind(name: str, head: bytes) -> Kind:
    """What a file is, by its first bytes first and its extension second (users rename files)."""
    suffix = Path(name).suffix.lower()
    if head.startswith(b"SQLite format 3\x00"):
        return "geo"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "excel" if suffix in _EXCEL_SUFFIXES else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix in _EXCEL_SUFFIXES:
        return "excel"
    if suffix == ".shp" or head.startswith(b"\x00\x00\x27\x0a"):
        return "shp"
    if suffix in _GEO_SUFFIXES or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "geo"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16, as Excel's "Unicode text" export writes
    if b"\x00" in head:
        return "binary"
    return "text"


_KIND_FOUND: Final[dict[str, str]] = {
    "excel": "a spreadsheet workbook (Excel or LibreOffice)",
    "zip": "a zip archive",
    "geo": "a map file",
    "shp": "a map file (Shapefile)",
    "binary": "not a text file",
    "text": "a text or CSV file",
}


def _decode(data: bytes) -> tuple[str, str | None]:
    """Text and, when it was not UTF-8, the encoding guessed (Excel on Windows writes cp1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252 (Western European)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (ISO-8859-1)"


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (European Excel), tab or pipe: the sniffer's answer if the header agrees.

    csv.Sniffer guesses wrongly on some files (a comma inside a quoted value), so its answer is
    only taken when the header row contains it; otherwise the most frequent candidate in the
    header wins, and a file with one column is read as comma-separated."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    lines = [line for line in sample.splitlines() if line.strip()]
    header = lines[0] if lines else ""
    try:
        found = csv.Sniffer().sniff("\n".join(lines[:100]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class _Table:
    """A table as read, every cell as stripped text ('' when blank), index = data row position."""

    frame: pd.DataFrame | None
    name: str
    delimiter: str = ","


def _parse_csv(name: str, data: bytes, report: ValidationReport) -> _Table:
    text, fallback = _decode(data)
    if fallback:
        report.add(_issue("warning", "encoding_fallback", encoding=fallback, file=name))
    delimiter = _sniff_delimiter(text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                engine="c",
            )
        except pd.errors.EmptyDataError:
            report.add(_issue("error", "empty_file", file=name))
            return _Table(None, name, delimiter)
        except (pd.errors.ParserError, ValueError) as exc:
            report.add(_issue("error", "file_unreadable", file=name, expected="a CSV file", reason=_reason(exc)))
            return _Table(None, name, delimiter)
    skipped = sorted({int(n) for w in caught for n in re.findall(r"Skipping line (\d+)", str(w.message))})
    frame.columns = [str(c).strip() for c in frame.columns]
    # Positions as the user counts them: rows the parser skipped keep their number.
    positions = np.arange(len(frame) + len(skipped), dtype=np.int64)
    if skipped:
        positions = positions[~np.isin(positions + 2, skipped)]
        report.add(
            _issue(
                "warning",
                "csv_extra_cells",
                rows=skipped,
                n_columns=len(frame.columns),
                delimiter="tab" if delimiter == "\t" else delimiter,
            )
        )
    frame.index = pd.Index(positions[: len(frame)])
    blank = np.logical_and.reduce([frame[c].eq("").to_numpy() for c in frame.columns]) if len(frame.columns) else None
    if blank is not None and blank.any():
        frame = frame[~blank]  # blank lines (often trailing) hold no data to lose
    # Excel adds an unnamed, empty column when lines end with a separator.
    empty_unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].eq("").all()]
    frame = frame.drop(columns=empty_unnamed)
    if frame.empty:
        report.add(_issue("error", "empty_file", file=name))
        return _Table(None, name, delimiter)
    return _Table(frame, name, delimiter)


def _load_table(
    source: TableSource, report: ValidationReport, *, allow_geo: bool = False
) -> _Table | geopandas.GeoDataFrame:
    """A CSV (or a DataFrame given directly); a map file too when ``allow_geo``."""
    if isinstance(source, geopandas.GeoDataFrame) and allow_geo:
        return source.reset_index(drop=True)
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        if frame.empty:
            report.add(_issue("error", "empty_file", file="the table"))
            return _Table(None, "the table")
        return _Table(frame, "the table")
    name = _file_name(source)
    try:
        head = _head(source)
        kind = _detect_kind(name, head)
        if kind == "zip" and _zip_is_workbook(source[1] if isinstance(source, tuple) else Path(source)):
            kind = "excel"
        if allow_geo and kind in ("geo", "zip", "shp"):
            geo = _load_geo(source, report, kind=kind, name=name)
            return _Table(None, name) if geo is None else geo
        if kind != "text":
            report.add(_issue("error", "not_csv", file=name, found=_KIND_FOUND[kind]))
            return _Table(None, name)
        data = source[1] if isinstance(source, tuple) else Path(source).read_bytes()
    except OSError as exc:
        report.add(_issue("error", "file_unreadable", file=name, expected="a CSV file", reason=_os_reason(exc)))
        return _Table(None, name)
    return _parse_csv(name, bytes(data), report)


def _load_csv(source: TableSource, report: ValidationReport) -> _Table:
    loaded = _load_table(source, report)
    return loaded if isinstance(loaded, _Table) else _Table(None, _file_name(source))


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# --- reading map files -----------------------------------------------------------------------


def _load_geo(
    source: GeoSource, report: ValidationReport, *, kind: Kind | None = None, name: str | None = None
) -> geopandas.GeoDataFrame | None:
    """A GeoDataFrame from a GeoDataFrame, a map file path or an uploaded (filename, bytes)."""
    if isinstance(source, geopandas.GeoDataFrame):
        return source.reset_index(drop=True)
    if isinstance(source, pd.DataFrame):
        report.add(_issue("error", "not_geo_file", file="the table", found="a table without shapes"))
        return None
    name = name or _file_name(source)
    try:
        if kind is None:
            kind = _detect_kind(name, _head(source))
            if kind == "zip" and _zip_is_workbook(source[1] if isinstance(source, tuple) else Path(source)):
                kind = "excel"
    except OSError as exc:
        report.add(_issue("error", "file_unreadable", file=name, expected="a map file", reason=_os_reason(exc)))
        return None
    if kind in ("text", "excel", "binary"):
        report.add(_issue("error", "not_geo_file", file=name, found=_KIND_FOUND[kind]))
        return None
    if isinstance(source, tuple):
        if kind == "shp":
            report.add(_issue("error", "shapefile_not_zipped", file=name))
            return None
        # GDAL reads paths; the upload's own name is not used as a path (it is user input).
        suffix = ".zip" if kind == "zip" else Path(name).suffix.lower()
        if suffix not in _GEO_SUFFIXES or suffix == ".shp":
            suffix = ".gpkg" if source[1][:16].startswith(b"SQLite format 3") else ".geojson"
        with tempfile.TemporaryDirectory(prefix="inputs-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(source[1])
            return _read_geo_path(path, name, kind, report)
    return _read_geo_path(Path(source), name, kind, report)


def _read_geo_path(path: Path, name: str, kind: Kind, report: ValidationReport) -> geopandas.GeoDataFrame | None:
    target = str(path)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            report.add(_issue("error", "file_unreadable", file=name, expected="a zip file", reason=_reason(exc)))
            return None
        visible = [m for m in members if not m.startswith("__MACOSX/") and not Path(m).name.startswith(".")]
        candidates = sorted(
            (m for m in visible if Path(m).suffix.lower() in _ZIP_MEMBER_SUFFIXES),
            key=lambda m: (_ZIP_MEMBER_SUFFIXES.index(Path(m).suffix.lower()), m),
        )
        if not candidates:
            report.add(_issue("error", "zip_no_map_file", file=name, members=_names(visible[:10])))
            return None
        member = candidates[0]
        if len(candidates) > 1:
            report.add(
                _issue(
                    "warning", "several_layers", file=name, n=len(candidates), layers=_names(candidates), layer=member
                )
            )
        if member.lower().endswith(".shp"):
            stem = member[:-4].lower()
            present = {m.lower() for m in visible}
            missing = [ext for ext in (".shx", ".dbf") if stem + ext not in present]
            if missing:
                report.add(
                    _issue("error", "zip_shapefile_incomplete", file=name, member=member, missing=" or ".join(missing))
                )
                return None
        target = f"/vsizip/{path.resolve()}/{member}"
    try:
        layers = pyogrio.list_layers(target)
        layer = str(layers[0][0])
        if len(layers) > 1:
            report.add(
                _issue(
                    "warning",
                    "several_layers",
                    file=name,
                    n=len(layers),
                    layers=_names(str(row[0]) for row in layers),
                    layer=layer,
                )
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = geopandas.read_file(target, layer=layer, engine="pyogrio")
    except (RuntimeError, ValueError, OSError, IndexError) as exc:
        text = str(exc)
        if "not recognized as being in a supported file format" in text:
            text = "it is damaged or not in a format the planner reads"
        # GDAL's advice after ';' is for programmers; paths would show the server's temp folder.
        text = text.split(";")[0].replace(f"/vsizip/{path.resolve()}", name).replace(str(path), name)
        reason = _reason(RuntimeError(text))
        report.add(_issue("error", "file_unreadable", file=name, expected="a map file", reason=reason))
        return None
    if not isinstance(frame, geopandas.GeoDataFrame):
        report.add(_issue("error", "not_geo_file", file=name, found="a table without shapes"))
        return None
    return frame.reset_index(drop=True)


def _geometry_array(geoms: geopandas.GeoSeries) -> npt.NDArray[np.object_]:
    return np.asarray(geoms.to_numpy(), dtype=object)


def _to_wgs84(
    geoms: geopandas.GeoSeries,
    report: ValidationReport,
    *,
    labels: pd.Series | None = None,
    check_range: bool = True,
) -> geopandas.GeoSeries | None:
    """Shapes in WGS 84, the web map's coordinates, or None when their CRS cannot be known.

    A file without a CRS is only trusted when its coordinates fit longitude/latitude degrees;
    metres read as degrees would put every area in the wrong place without anyone noticing."""
    arr = _geometry_array(geoms)
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if geoms.crs is None:
        bounds = shapely.total_bounds(arr[present]) if present.any() else np.zeros(4)
        if np.all(np.isfinite(bounds)) and _fits_degrees(bounds):
            report.add(_issue("warning", "crs_assumed_wgs84"))
            return geoms.set_crs(WGS84)
        report.add(_issue("error", "crs_missing", x=f"{bounds[0]:.6g}", y=f"{bounds[1]:.6g}"))
        return None
    authority = geoms.crs.to_authority()
    crs_name = f"{authority[0]}:{authority[1]} ({geoms.crs.name})" if authority else str(geoms.crs.name)
    try:
        out = geoms if geoms.crs.equals(WGS84) else geoms.to_crs(WGS84)
    except Exception as exc:  # pyproj raises several unrelated types; all mean "cannot convert"
        report.add(_issue("error", "crs_unusable", crs=crs_name, reason=_reason(exc)))
        return None
    if check_range:
        box = shapely.bounds(_geometry_array(out))
        inside = (
            np.isfinite(box).all(axis=1)
            & (box[:, 0] >= -180.0)
            & (box[:, 2] <= 180.0)
            & (box[:, 1] >= -90.0)
            & (box[:, 3] <= 90.0)
        )
        bad = present & ~inside
        if bad.any():
            report.add(
                _issue("error", "crs_wrong", rows=np.flatnonzero(bad) + 2, labels=_labels(labels, bad), crs=crs_name)
            )
            return None
    return out


def _fits_degrees(bounds: npt.NDArray[np.float64]) -> bool:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def _labels(labels: pd.Series | None, mask: BoolArray) -> list[str] | None:
    if labels is None:
        return None
    return [str(v) for v in labels.to_numpy()[mask][:MAX_ROWS_LISTED]]


def _polygonal_parts(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Only the polygons of each geometry (None when it has none), all rows at once.

    make_valid can turn a polygon into a collection with stray lines and points; those cannot
    be areas, and keeping them would break area and neighbour calculations."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # multipolygons inside collections
    owner = owner[inner]
    keep = shapely.get_type_id(parts) == 3
    out: npt.NDArray[np.object_] = np.full(len(geoms), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    single = ~shapely.is_missing(out) & (shapely.get_num_geometries(out) == 1)
    out[single] = shapely.get_geometry(out[single], 0)
    return out


# --- text and numbers ------------------------------------------------------------------------


def _distinct_text(series: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """(codes, distinct cell texts): ``texts[codes]`` is the column as stripped strings.

    Cleaning each distinct value once instead of every cell keeps a million-row column fast;
    the last entry of ``texts`` is '' so that missing cells (code -1) read as blank. Whole
    floats lose the '.0' an id column gets when it has gaps."""
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna()
        if len(finite) and bool(np.all(np.mod(finite, 1) == 0)) and float(finite.abs().max()) < 2**53:
            series = series.astype("Int64")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = pd.Index(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    return codes, np.append(texts.to_numpy(dtype=object), "")


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings, '' when blank."""
    codes, texts = _distinct_text(series)
    return pd.Series(texts[codes], index=series.index, dtype=str)


_THOUSANDS_RE: Final = r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"
_DECIMAL_COMMA_RE: Final = r"^[-+]?\d{1,3}(\.\d{3})*,\d+$|^[-+]?\d+,\d+$"


def _to_number(series: pd.Series, delimiter: str = ",") -> tuple[pd.Series, pd.Series, pd.Series]:
    """(values as float, blank mask, not-a-number mask) for one column.

    Accepts what spreadsheets export: thousands separators ('648,951', '648 951') and, in files
    separated by semicolons or tabs, decimal commas ('0,25'). Only cells plain parsing rejects go
    through the slower clean-up."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
        blank = values.isna()
        return values.where(np.isfinite(values)), blank, ~blank & ~np.isfinite(values.fillna(0.0))
    values = pd.to_numeric(series, errors="coerce").astype(float)
    blank = pd.Series(False, index=series.index)
    failed = values.isna()
    if failed.any():
        text = _as_text(series[failed])
        blank[failed] = text.str.lower().isin(_NA_TOKENS)
        failed &= ~blank
        text = text[~blank[text.index]]
    if failed.any():
        retry = text.str.replace(r"(?<=\d)[\s\u00a0\u202f'](?=\d{3})", "", regex=True)
        comma_decimal = retry.str.match(_DECIMAL_COMMA_RE)
        thousands = retry.str.match(_THOUSANDS_RE)
        if delimiter == ",":
            comma_decimal &= ~thousands
        else:
            thousands &= ~comma_decimal
        retry = retry.where(~thousands, retry.str.replace(",", "", regex=False))
        retry = retry.where(~comma_decimal, retry.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        values.loc[failed] = pd.to_numeric(retry, errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    bad = ~blank & values.isna()
    return values, blank, bad


def _find_column(columns: Sequence[str], wanted: str) -> str | None:
    """The file's column for ``wanted``: exact, else ignoring case, spaces and dashes."""
    if wanted in columns:
        return wanted
    key = _column_key(wanted)
    return next((c for c in columns if _column_key(c) == key), None)


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _missing_column(column: str, purpose: str, columns: Sequence[str]) -> Issue:
    return _issue("error", "missing_column", column=column, purpose=purpose, available=_names(columns))


def _flag(
    report: ValidationReport,
    mask: pd.Series | BoolArray,
    severity: Severity,
    code: str,
    index: pd.Index,
    labels: pd.Series | None = None,
    **params: Any,
) -> None:
    """Report `code` once for all the rows where `mask` is true, naming them; nothing when none are."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        report.add(_issue(severity, code, rows=_rows(mask, index), labels=_labels(labels, mask), **params))


def _rows(mask: pd.Series | BoolArray, index: pd.Index) -> npt.NDArray[np.int64]:
    """Spreadsheet row numbers of the rows where ``mask`` is true."""
    return np.asarray(index[np.asarray(mask, dtype=bool)], dtype=np.int64) + 2


# --- personal identifiers --------------------------------------------------------------------

# Names privacy.py does not know but case-management exports use: a role followed by "name" or
# "id". A case number is not a name, but it is the key to a person's file in the NGO's system.
_EXTRA_IDENTIFIER_NAMES: Final[list[tuple[re.Pattern[str], str]]] = [
    (
        re.compile(
            r"(^|_)(victim|survivor|client|trafficker|suspect|perpetrator|offender|recruiter|witness|"
            r"contact|beneficiary|child|mother|father|parent|guardian|employer|person|caseworker|"
            r"case_worker|reporter|informant)_?names?($|_)|(^|_)(nick_?name|alias)($|_)"
        ),
        "people's names",
    ),
    (
        re.compile(
            r"(^|_)(victim|survivor|client|person|case|beneficiary|patient|file)_?(id|number|no|nr|code|ref)($|_)"
        ),
        "a case or person identifier",
    ),
]


def _normalised_name(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")


def _numbers_or_dates(sample: pd.Series) -> bool:
    """True when a column's values are numbers or dates, which the value checks would misread:
    '33.7490123' or '2021-07-15' have the shape of a phone number but are not one."""
    if sample.empty:
        return True
    if pd.to_numeric(sample, errors="coerce").notna().all():
        return True
    return bool(pd.to_datetime(sample, format="ISO8601", errors="coerce").notna().mean() >= 0.9)


def _identifier_issues(
    frame: pd.DataFrame, *, exempt: Iterable[str] = (), name_only: Iterable[str] = ()
) -> list[Issue]:
    """Errors for columns that look like personal identifiers (the file is then refused).

    ``exempt`` columns are known not to be about people (an area's id or name); ``name_only``
    columns have a known meaning (coordinates, dates, counts) and are judged by their name only.
    Other columns are judged by their name and a sample of their values."""
    skip = set(exempt)
    by_name = [c for c in frame.columns if c in set(name_only) and c not in skip]
    samples: dict[str, pd.Series] = {}
    for column in frame.columns:
        if column in skip or column in by_name or column == "geometry":
            continue
        series = frame[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            by_name.append(column)
            continue
        head = _as_text(series.head(20_000))
        sample = head[head != ""].head(500).reset_index(drop=True)
        if _numbers_or_dates(sample):
            by_name.append(column)
        else:
            samples[column] = sample.astype(object)
    found = {
        f.column: (f.looks_like, f.by)
        for f in find_identifier_columns(pd.DataFrame(samples)) + find_identifier_columns(pd.DataFrame(columns=by_name))
    }
    for column in frame.columns:
        if column in skip or column in found:
            continue
        key = _normalised_name(str(column))
        label = next((label for pattern, label in _EXTRA_IDENTIFIER_NAMES if pattern.search(key)), None)
        if label:
            found[column] = (label, "name")
    return [
        _issue(
            "error",
            "personal_identifier",
            column=str(column),
            looks_like=found[column][0],
            evidence="its name" if found[column][1] == "name" else "its values",
        )
        for column in frame.columns
        if column in found
    ]


# --- areas -----------------------------------------------------------------------------------


def _empty_areas(periods: Sequence[str] = ()) -> geopandas.GeoDataFrame:
    columns: dict[str, Any] = {
        "area_id": pd.Series([], dtype=str),
        "name": pd.Series([], dtype=str),
        "population": pd.Series([], dtype=float),
    }
    for period in periods:
        columns[f"population_{period}"] = pd.Series([], dtype=float)
    return geopandas.GeoDataFrame(columns, geometry=geopandas.GeoSeries([], crs=WGS84), crs=WGS84)


def _population(raw: pd.Series, column: str, index: pd.Index, labels: pd.Series, report: ValidationReport) -> pd.Series:
    """Population as float, NaN where it cannot serve as a denominator (missing, zero, invalid).

    Such areas stay on the map; dividing by zero or by a guess would put them at the top or the
    bottom of every ranking for no real reason."""
    values, blank, bad = _to_number(raw)
    text = _as_text(raw) if bad.any() else None
    if bad.any() and text is not None:
        report.add(
            _issue(
                "error",
                "population_not_numeric",
                column=column,
                rows=_rows(bad, index),
                labels=_labels(labels, bad.to_numpy()),
                examples=_examples(text[bad]),
            )
        )
    negative = values < 0
    if negative.any():
        report.add(
            _issue(
                "error",
                "population_negative",
                column=column,
                rows=_rows(negative, index),
                labels=_labels(labels, negative.to_numpy()),
                examples=_examples(values[negative].map("{:g}".format)),
            )
        )
    empty = blank | (values == 0)
    _flag(report, empty, "warning", "population_missing", index, labels, column=column)
    return values.where(values > 0)


def _check_unique_ids(ids: pd.Series, column: str, index: pd.Index, report: ValidationReport) -> None:
    """Report empty and repeated area ids, one issue each naming the rows."""
    missing = ids == ""
    _flag(report, missing, "error", "missing_id", index, column=column)
    duplicated = ids.duplicated(keep=False) & ~missing
    if duplicated.any():
        report.add(
            _issue(
                "error",
                "duplicate_id",
                column=column,
                rows=_rows(duplicated, index),
                ids=_names(ids[duplicated].drop_duplicates().head(MAX_ROWS_LISTED)),
            )
        )


def read_areas(
    source: GeoSource,
    *,
    id_col: str,
    name_col: str | None = None,
    population_col: str | Mapping[str, str] | None = None,
) -> tuple[geopandas.GeoDataFrame, ValidationReport]:
    """Area boundaries (GeoPackage, GeoJSON, zipped Shapefile, upload bytes or a GeoDataFrame).

    Returns areas in WGS 84 with ``area_id`` (str), ``name`` (str, the id when missing),
    ``population`` (float, NaN where missing or zero), ``population_<period>`` for each period
    when ``population_col`` maps periods to columns (``population`` is then the latest period's,
    by sorted period label, so single-period maps still have a denominator), every other column
    of the file unchanged (indicators), and ``geometry``.

    Rows are never dropped here: an area without a shape or population is still a place a
    campaign may cover, so it is kept and flagged. Invalid shapes are repaired (``make_valid``,
    polygons kept) because boundary files from national statistics offices often have small
    self-intersections that would otherwise break area and neighbour calculations. Files with
    personal identifiers are refused and return no areas."""
    report = ValidationReport()
    periods: list[str] = []
    pop_columns: dict[str, str] = {}
    if isinstance(population_col, Mapping):
        if not population_col:
            raise ValueError("population_col mapping is empty; pass None for no population")
        periods = sorted(str(p) for p in population_col)
        pop_columns = {str(p): c for p, c in population_col.items()}
    raw = _load_geo(source, report)
    if raw is None:
        return _empty_areas(periods), report
    if raw.empty:
        report.add(_issue("error", "empty_file", file=_file_name(source)))
        return _empty_areas(periods), report
    geometry_name = raw.geometry.name
    attributes = pd.DataFrame(raw.drop(columns=geometry_name))
    attributes.columns = [str(c) for c in attributes.columns]
    columns = list(attributes.columns)
    index = attributes.index

    id_c = _find_column(columns, id_col)
    name_c = _find_column(columns, name_col) if name_col else None
    single_pop_c = _find_column(columns, population_col) if isinstance(population_col, str) else None
    period_pop_c = {p: _find_column(columns, c) for p, c in pop_columns.items()}
    used_pop = [c for c in [single_pop_c, *period_pop_c.values()] if c]

    identifiers = _identifier_issues(attributes, exempt=[c for c in (id_c, name_c) if c], name_only=used_pop)
    if identifiers:
        report.extend(identifiers)
        return _empty_areas(periods), report

    if id_c is None:
        report.add(_missing_column(id_col, "area id", columns))
    if name_col and name_c is None:
        report.add(_missing_column(name_col, "area name", columns))
    if isinstance(population_col, str) and single_pop_c is None:
        report.add(_missing_column(population_col, "population", columns))
    for period, column in pop_columns.items():
        if period_pop_c[period] is None:
            report.add(_missing_column(column, f"population {period}", columns))
    if id_c is None:
        return _empty_areas(periods), report

    ids = _as_text(attributes[id_c])
    labels = id_c + " " + ids
    _check_unique_ids(ids, id_c, index, report)

    if name_c is not None:
        names = _as_text(attributes[name_c])
        no_name = names == ""
        _flag(report, no_name, "warning", "missing_name", index, labels, column=name_c)
        names = names.where(~no_name, ids)
    else:
        names = ids

    out = pd.DataFrame({"area_id": ids.astype(str), "name": names.astype(str)}, index=index)
    out["population"] = np.nan
    if single_pop_c is not None:
        out["population"] = _population(attributes[single_pop_c], single_pop_c, index, labels, report)
    for period in periods:
        pop_c = period_pop_c[period]
        out[f"population_{period}"] = (
            _population(attributes[pop_c], pop_c, index, labels, report) if pop_c is not None else np.nan
        )
    if periods:
        out["population"] = out[f"population_{periods[-1]}"]

    used = {id_c, name_c, *used_pop}
    for column in columns:
        if column in used:
            continue
        target = column
        if target in out.columns:
            target = f"{column}_in_file"
            report.add(_issue("warning", "column_renamed", column=column, new_name=target))
        out[target] = attributes[column]

    geoms = _to_wgs84(raw.geometry, report, labels=labels)
    if geoms is None:
        shapes: npt.NDArray[np.object_] = np.full(len(out), None, dtype=object)
    else:
        shapes = _checked_polygons(_geometry_array(geoms), index, labels, report)
    areas = geopandas.GeoDataFrame(out, geometry=geopandas.GeoSeries(shapes, index=index, crs=WGS84), crs=WGS84)
    return areas, report


def _checked_polygons(
    arr: npt.NDArray[np.object_], index: pd.Index, labels: pd.Series, report: ValidationReport
) -> npt.NDArray[np.object_]:
    """Polygons only: repaired when invalid, None (with an error) when not polygons at all."""
    arr = shapely.force_2d(arr)
    type_id = shapely.get_type_id(arr)
    absent = shapely.is_missing(arr) | shapely.is_empty(arr)
    polygonal = np.isin(type_id, (3, 6))
    collection = type_id == 7
    not_polygon = ~absent & ~polygonal & ~collection
    invalid = ~absent & (polygonal | collection) & ~shapely.is_valid(arr)
    repair = invalid | (~absent & collection)
    if invalid.any():
        arr[invalid] = shapely.make_valid(arr[invalid])
    if repair.any():
        fixed = _polygonal_parts(arr[repair])
        lost = shapely.is_missing(fixed)
        # A collection with no polygon at all is not an area, like a point or a line.
        not_polygon[np.flatnonzero(repair)[lost & collection[repair] & ~invalid[repair]]] = True
        arr[repair] = fixed
    if not_polygon.any():
        kinds = pd.Series(shapely.get_type_id(arr[not_polygon])).map(_GEOMETRY_TYPE_NAMES).fillna("not a polygon")
        report.add(
            _issue(
                "error",
                "geometry_not_polygon",
                rows=_rows(not_polygon, index),
                labels=_labels(labels, not_polygon),
                found=" / ".join(kinds.drop_duplicates().head(3)),
            )
        )
        arr[not_polygon] = None
    repaired = repair & ~not_polygon & ~shapely.is_missing(arr)
    if repaired.any():
        report.add(
            _issue("warning", "geometry_repaired", rows=_rows(repaired, index), labels=_labels(labels, repaired))
        )
    empty = (shapely.is_missing(arr) | shapely.is_empty(arr)) & ~not_polygon
    _flag(report, empty, "warning", "geometry_empty", index, labels)
    return arr


_GEOMETRY_TYPE_NAMES: Final[dict[int, str]] = {
    0: "a point",
    1: "a line",
    2: "a line (ring)",
    3: "a polygon",
    4: "several points",
    5: "several lines",
    6: "several polygons",
    7: "a mixed collection without polygons",
}


# --- incidents -------------------------------------------------------------------------------

_TZ_SUFFIX_RE: Final = r"(?<=\d:\d\d)(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)$"
_QUARTER_RE: Final = r"^(\d{4})\s*-?\s*[Qq]([1-4])$"
_DMY_RE: Final = r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?:[ T].*)?$"
_PRECISION_NAMES: Final = ("a year", "a quarter", "a month")
_REQUIRED_PRECISION: Final[dict[str, int]] = {"year": 0, "quarter": 1, "month": 2}


@dataclass
class _Dates:
    values: pd.Series  # datetime64, NaT where not a date
    precision: npt.NDArray[np.int8]  # 0 year, 1 quarter, 2 month, 3 day; -1 not a date
    blank: BoolArray
    order_example: str | None = None
    order: str | None = None


def _parse_dates(series: pd.Series) -> _Dates:
    """Dates as users write them, parsed once per distinct value (a million rows hold few dates).

    Accepted: ISO dates and times (2021-07-15, 2021-07, 2021, 2021/07/15, with or without time
    and offset), quarters (2021-Q3) and day/month/year with / . or - (15/07/2021). Whether
    03/04/2021 is day- or month-first is decided for the whole file by the values that can only
    be one of them; with no such value it is read day-first and the report says so. The local
    time of day is kept (an offset is ignored), so a New Year's Eve incident stays in its year."""
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
        precision = np.where(values.notna(), 3, -1).astype(np.int8)
        return _Dates(pd.Series(values.to_numpy(), index=series.index), precision, values.isna().to_numpy())
    codes, texts = _distinct_text(series)
    text = pd.Series(texts, dtype=str)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    precision = np.full(len(text), -1, dtype=np.int8)

    quarter = text.str.extract(_QUARTER_RE)
    is_quarter = quarter[0].notna().to_numpy()
    if is_quarter.any():
        q = quarter[is_quarter]
        month = (q[1].astype(int) - 1) * 3 + 1
        starts = pd.to_datetime(pd.DataFrame({"year": q[0].astype(int), "month": month, "day": 1}), errors="coerce")
        parsed.iloc[np.flatnonzero(is_quarter)] = starts.to_numpy()
        precision[is_quarter] = 1

    rest = ~is_quarter & (text != "").to_numpy()
    if rest.any():
        local = text[rest]
        timed = (local.str.len() > 16).to_numpy()  # only a date with a time can carry an offset
        if timed.any():
            local[timed] = local[timed].str.replace(_TZ_SUFFIX_RE, "", regex=True)
        iso = pd.to_datetime(local, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None)
        ok = iso.notna().to_numpy()
        where = np.flatnonzero(rest)[ok]
        parsed.iloc[where] = iso[ok].to_numpy()
        # Parsed ISO text of 4 characters is a year (2021), of 6-7 a month (2021-07, 2021/7).
        length = local[ok].str.len().to_numpy()
        precision[where] = np.select([length == 4, length <= 7], [0, 2], 3)

    order_example = order = None
    left = np.flatnonzero(rest & (precision < 0))
    if left.size:
        parts = text.iloc[left].str.extract(_DMY_RE)
        matched = parts[0].notna().to_numpy()
        if matched.any():
            parts = parts[matched]
            first, second = parts[0].astype(int), parts[1].astype(int)
            year = parts[2].astype(int)
            short = parts[2].str.len() == 2
            pivot = pd.Timestamp.now().year % 100
            year = year.where(~short, np.where(year <= pivot, 2000 + year, 1900 + year))
            month_first = int((second > 12).sum()) > int((first > 12).sum())
            day, month = (second, first) if month_first else (first, second)
            dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
            where = left[matched]
            parsed.iloc[where] = dates.to_numpy()
            precision[where] = np.where(dates.notna().to_numpy(), 3, -1)
            ambiguous = (first <= 12) & (second <= 12) & (first != second)
            if not ((first > 12).any() or (second > 12).any()) and ambiguous.any():
                order_example = str(text.iloc[where[np.flatnonzero(ambiguous.to_numpy())[0]]])
                order = "day/month/year"

    # Years before 1900 are typing slips (0221 for 2021), not incidents.
    too_old = (parsed.dt.year < 1900).to_numpy()
    parsed[too_old] = pd.NaT
    precision[too_old] = -1
    values = pd.Series(parsed.to_numpy()[codes], index=series.index)
    blank = (texts == "")[codes]
    return _Dates(values, precision[codes], blank, order_example, order)


def _empty_incidents(attributes: Sequence[str]) -> geopandas.GeoDataFrame:
    columns: dict[str, Any] = {"period": pd.Series([], dtype=str)}
    for column in attributes:
        columns[column] = pd.Series([], dtype=str)
    return geopandas.GeoDataFrame(columns, geometry=geopandas.GeoSeries([], crs=WGS84), crs=WGS84)


def _period_labels(dates: pd.Series, period: Period) -> npt.NDArray[np.object_]:
    """'2021', '2021-Q3' or '2021-07' per date, formatted once per distinct period."""
    year = dates.dt.year.to_numpy(dtype=np.int64)
    part = {"year": None, "quarter": dates.dt.quarter, "month": dates.dt.month}[period]
    key = year * 100 + (part.to_numpy(dtype=np.int64) if part is not None else 0)
    codes, keys = pd.factorize(key)
    years = pd.Series(keys // 100).astype(str)
    if period == "year":
        labels = years
    elif period == "quarter":
        labels = years + "-Q" + pd.Series(keys % 100).astype(str)
    else:
        labels = years + "-" + pd.Series(keys % 100).astype(str).str.zfill(2)
    return labels.to_numpy(dtype=object)[codes]


def read_incidents(
    source: TableSource | geopandas.GeoDataFrame,
    *,
    date_col: str = "date",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
    period: Period = "year",
    attribute_cols: Sequence[str] | None = None,
) -> tuple[geopandas.GeoDataFrame, ValidationReport]:
    """Incident points from a CSV with latitude/longitude columns or a point map file.

    Returns a GeoDataFrame in WGS 84 with ``period`` (``"2021"``, ``"2021-Q3"`` or ``"2021-07"``),
    the allowed attributes (all of :data:`ALLOWED_ATTRIBUTES` present in the file, or just
    ``attribute_cols``) and point ``geometry``. Rows that cannot be used (no date, no or
    impossible coordinates, a date in the future) are left out and counted in warnings, because
    one bad row in a year of records should not block a campaign; an error means the whole file
    cannot be used (a missing column, nothing usable, personal identifiers). Any other column is
    dropped with a warning, or refuses the file when it looks like a personal identifier."""
    if period not in _REQUIRED_PRECISION:
        raise ValueError(f"period must be 'year', 'quarter' or 'month', not {period!r}")
    if attribute_cols is not None:
        unknown = [c for c in attribute_cols if c not in ALLOWED_ATTRIBUTES]
        if unknown:
            raise ValueError(f"attribute_cols {unknown} are not allowed; choose from {list(ALLOWED_ATTRIBUTES)}")
    wanted = list(attribute_cols) if attribute_cols is not None else list(ALLOWED_ATTRIBUTES)
    report = ValidationReport()
    loaded = _load_table(source, report, allow_geo=True)
    if isinstance(loaded, geopandas.GeoDataFrame):
        frame: pd.DataFrame = pd.DataFrame(loaded.drop(columns=loaded.geometry.name))
        frame.columns = [str(c) for c in frame.columns]
        geo: geopandas.GeoSeries | None = loaded.geometry
        delimiter = ","
        if len(loaded) == 0:
            report.add(_issue("error", "empty_file", file=_file_name(source)))
            return _empty_incidents([]), report
    elif loaded.frame is None:
        return _empty_incidents([]), report
    else:
        frame, geo, delimiter = loaded.frame, None, loaded.delimiter
    columns = list(frame.columns)
    index = frame.index
    date_c = _find_column(columns, date_col)
    lat_c = _find_column(columns, lat_col) if geo is None else None
    lon_c = _find_column(columns, lon_col) if geo is None else None
    identifiers = _identifier_issues(frame, name_only=[c for c in (date_c, lat_c, lon_c) if c])
    if identifiers:
        report.extend(identifiers)
        return _empty_incidents([]), report

    attrs = {c: _find_column(columns, c) for c in wanted}
    if date_c is None:
        report.add(_missing_column(date_col, "incident date", columns))
    if geo is None:
        if lat_c is None:
            report.add(_missing_column(lat_col, "latitude", columns))
        if lon_c is None:
            report.add(_missing_column(lon_col, "longitude", columns))
    if attribute_cols is not None:
        for column in attribute_cols:
            if attrs[column] is None:
                report.add(_missing_column(column, "incident attribute", columns))
    kept_attrs = {c: f for c, f in attrs.items() if f is not None}
    if not report.ok:
        return _empty_incidents(list(kept_attrs)), report

    known = {date_c, lat_c, lon_c, *kept_attrs.values()}
    if geo is not None:  # coordinates come from the shapes; columns repeating them are not news
        known |= {_find_column(columns, lat_col), _find_column(columns, lon_col)}
    dropped = [c for c in columns if c not in known]
    if dropped:
        reads = [date_col] + ([lat_col, lon_col] if geo is None else ["the point shapes"]) + list(kept_attrs)
        report.add(_issue("warning", "columns_dropped", columns=_names(dropped), kept=", ".join(reads)))

    total = len(frame)
    drop = np.zeros(total, dtype=bool)

    if date_c is None:  # reported above; this tells the type checker
        return _empty_incidents(list(kept_attrs)), report
    dates = _parse_dates(frame[date_c])
    no_date = dates.values.isna().to_numpy()
    blank_date = dates.blank

    def date_examples(mask: BoolArray) -> str:
        return _examples(_as_text(frame[date_c][mask]))

    _flag(report, blank_date, "warning", "date_missing", index, column=date_c)
    bad_date = no_date & ~blank_date
    if bad_date.any():
        report.add(
            _issue(
                "warning",
                "date_unparseable",
                column=date_c,
                rows=_rows(bad_date, index),
                examples=date_examples(bad_date),
            )
        )
    if dates.order is not None:
        report.add(
            _issue("warning", "date_order_assumed", column=date_c, example=dates.order_example, order=dates.order)
        )
    today = pd.Timestamp.now().normalize()
    future = ~no_date & (dates.values.dt.normalize() > today).to_numpy()
    if future.any():
        report.add(
            _issue(
                "warning", "date_in_future", column=date_c, rows=_rows(future, index), examples=date_examples(future)
            )
        )
    coarse = ~no_date & ~future & (dates.precision < _REQUIRED_PRECISION[period])
    if coarse.any():
        report.add(
            _issue(
                "warning",
                "date_too_coarse",
                column=date_c,
                rows=_rows(coarse, index),
                precision=_PRECISION_NAMES[int(dates.precision[coarse].min())],
                examples=date_examples(coarse),
                period={"year": "yearly", "quarter": "quarterly", "month": "monthly"}[period],
            )
        )
    drop |= no_date | future | coarse

    if geo is None:
        if lat_c is None or lon_c is None:  # reported above
            return _empty_incidents(list(kept_attrs)), report
        lat, lat_blank, lat_bad = _to_number(frame[lat_c], delimiter)
        lon, lon_blank, lon_bad = _to_number(frame[lon_c], delimiter)
        missing = (lat_blank | lon_blank).to_numpy()
        _flag(report, missing, "warning", "coordinates_missing", index, what=f"column '{lat_c}' or '{lon_c}' is")
        for column, bad, raw in ((lat_c, lat_bad, frame[lat_c]), (lon_c, lon_bad, frame[lon_c])):
            bad = bad.to_numpy() & ~missing
            if bad.any():
                report.add(
                    _issue(
                        "warning",
                        "coordinates_not_numeric",
                        column=column,
                        rows=_rows(bad, index),
                        examples=_examples(_as_text(raw)[bad]),
                    )
                )
        lat_values, lon_values = lat.to_numpy(), lon.to_numpy()
    else:
        lat_c, lon_c = lat_col, lon_col
        located = _to_wgs84(geo, report, check_range=False)
        if located is None:
            return _empty_incidents(list(kept_attrs)), report
        arr = _geometry_array(located)
        type_id = shapely.get_type_id(arr)
        absent = shapely.is_missing(arr) | shapely.is_empty(arr)
        _flag(report, absent, "warning", "coordinates_missing", index, what="the point is")
        not_point = ~absent & (type_id != 0)
        if not_point.any():
            kinds = pd.Series(type_id[not_point]).map(_GEOMETRY_TYPE_NAMES).fillna("not a point")
            report.add(
                _issue(
                    "warning",
                    "geometry_not_point",
                    rows=_rows(not_point, index),
                    found=" / ".join(kinds.drop_duplicates().head(3)),
                )
            )
        point = ~absent & ~not_point
        lat_values = np.where(point, shapely.get_y(arr), np.nan)
        lon_values = np.where(point, shapely.get_x(arr), np.nan)

    usable = np.isfinite(lat_values) & np.isfinite(lon_values)
    lat_out = usable & ~((lat_values >= -90.0) & (lat_values <= 90.0))
    lon_out = usable & ~((lon_values >= -180.0) & (lon_values <= 180.0))
    if usable.any() and lat_out[usable].all() and bool(np.all(np.abs(lon_values[usable]) <= 90.0)):
        report.add(_issue("error", "coordinates_swapped", lat=lat_c, lon=lon_c))
    else:
        for code, column, out_mask, values in (
            ("latitude_out_of_range", lat_c, lat_out, lat_values),
            ("longitude_out_of_range", lon_c, lon_out, lon_values),
        ):
            if out_mask.any():
                report.add(
                    _issue(
                        "warning",
                        code,
                        column=column,
                        rows=_rows(out_mask, index),
                        examples=_examples(pd.Series(values[out_mask]).map("{:g}".format)),
                    )
                )
    zero = usable & (lat_values == 0.0) & (lon_values == 0.0)
    _flag(report, zero, "warning", "coordinates_zero", index)
    drop |= ~usable | lat_out | lon_out | zero

    keep = ~drop
    if drop.any():
        report.add(_issue("warning", "rows_dropped", rows=_rows(drop, index), total=total, kept=int(keep.sum())))
    if not keep.any():
        report.add(_issue("error", "no_usable_rows", total=total))
        return _empty_incidents(list(kept_attrs)), report

    kept_index = index[keep]
    out = pd.DataFrame({"period": pd.Series(_period_labels(dates.values[keep], period), index=kept_index, dtype=str)})
    for column, found in kept_attrs.items():
        text = _as_text(frame[found][keep])
        out[column] = text.where(text != "")
    points = geopandas.points_from_xy(lon_values[keep], lat_values[keep], crs=WGS84)
    incidents = geopandas.GeoDataFrame(out, geometry=geopandas.GeoSeries(points, index=kept_index), crs=WGS84)
    return incidents, report


# --- counts and indicators -------------------------------------------------------------------


def read_counts(
    source: TableSource,
    *,
    area_col: str = "area_id",
    period_col: str = "period",
    count_col: str = "count",
) -> tuple[pd.DataFrame, ValidationReport]:
    """Incident counts in long form (one row per area and period) from a CSV.

    Returns ``area_id`` (str), ``period`` (str, as written: '2021', '2021-Q3'), ``count``
    (int64; nullable Int64 when some counts are invalid, which the report lists as errors).
    A count is a statement about a place and time, so a blank, fractional, negative or repeated
    one is an error rather than a guess: a hot-spot analysis built on it would be wrong."""
    report = ValidationReport()
    empty = pd.DataFrame(
        {"area_id": pd.Series([], dtype=str), "period": pd.Series([], dtype=str), "count": pd.Series([], dtype="int64")}
    )
    loaded = _load_csv(source, report)
    if loaded.frame is None:
        return empty, report
    frame = loaded.frame
    columns = list(frame.columns)
    index = frame.index
    area_c, period_c, count_c = (_find_column(columns, c) for c in (area_col, period_col, count_col))
    identifiers = _identifier_issues(
        frame, exempt=[c for c in (area_c,) if c], name_only=[c for c in (period_c, count_c) if c]
    )
    if identifiers:
        report.extend(identifiers)
        return empty, report
    for wanted, found, purpose in (
        (area_col, area_c, "area id"),
        (period_col, period_c, "period"),
        (count_col, count_c, "count"),
    ):
        if found is None:
            report.add(_missing_column(wanted, purpose, columns))
    if area_c is None or period_c is None or count_c is None:
        return empty, report
    dropped = [c for c in columns if c not in (area_c, period_c, count_c)]
    if dropped:
        report.add(
            _issue("warning", "columns_dropped", columns=_names(dropped), kept=_names([area_c, period_c, count_c]))
        )

    ids = _as_text(frame[area_c])
    periods = _as_text(frame[period_c])
    no_id = ids == ""
    _flag(report, no_id, "error", "missing_id", index, column=area_c)
    no_period = periods == ""
    _flag(report, no_period, "error", "period_missing", index, column=period_c)

    values, blank, bad = _to_number(frame[count_c], loaded.delimiter)
    _flag(report, blank, "error", "count_missing", index, column=count_c)
    fractional = values.notna() & (np.mod(values.fillna(0.0), 1) != 0)
    not_integer = bad | fractional
    if not_integer.any():
        report.add(
            _issue(
                "error",
                "count_not_integer",
                column=count_c,
                rows=_rows(not_integer, index),
                examples=_examples(_as_text(frame[count_c])[not_integer]),
            )
        )
    negative = values < 0
    if negative.any():
        report.add(
            _issue(
                "error",
                "count_negative",
                column=count_c,
                rows=_rows(negative, index),
                examples=_examples(values[negative].map("{:g}".format)),
            )
        )
    pairs = pd.DataFrame({"a": ids, "p": periods})
    repeated = pairs.duplicated(keep=False) & ~no_id & ~no_period
    if repeated.any():
        shown = (pairs["a"][repeated] + " / " + pairs["p"][repeated]).drop_duplicates().head(MAX_ROWS_LISTED)
        report.add(
            _issue(
                "error",
                "duplicate_area_period",
                column=area_c,
                rows=_rows(repeated, index),
                pairs=_names(shown),
                period_column=period_c,
            )
        )
    valid = values.where(~not_integer & ~negative)
    counts = valid.astype("int64") if valid.notna().all() else valid.round().astype("Int64")
    out = pd.DataFrame({"area_id": ids.astype(str), "period": periods.astype(str), "count": counts}, index=index)
    return out, report


_SHARE_RE: Final = re.compile(r"^(share|pct)_", re.IGNORECASE)


def read_indicators(source: TableSource, *, area_col: str = "area_id") -> tuple[pd.DataFrame, ValidationReport]:
    """Per-area indicators from a CSV: one row per area, one numeric column per indicator.

    Returns ``area_id`` (str) and every other column as float. Columns named ``share_*`` or
    ``pct_*`` are shares: values between 0 and 1, or percentages up to 100, which are divided
    by 100 (with a warning) because partners export both and mixing them would make a 40 %
    share outrank everything. Counts by nationality, language, age and sex
    (``pop_nationality_RO``, ``pop_age_18-24_female``) are plain numbers."""
    report = ValidationReport()
    empty = pd.DataFrame({"area_id": pd.Series([], dtype=str)})
    loaded = _load_csv(source, report)
    if loaded.frame is None:
        return empty, report
    frame = loaded.frame
    columns = list(frame.columns)
    index = frame.index
    area_c = _find_column(columns, area_col)
    identifiers = _identifier_issues(frame, exempt=[area_c] if area_c else [])
    if identifiers:
        report.extend(identifiers)
        return empty, report
    if area_c is None:
        report.add(_missing_column(area_col, "area id", columns))
        return empty, report
    value_columns = [c for c in columns if c != area_c]
    if not value_columns:
        report.add(_issue("error", "no_indicator_columns", column=area_c))

    ids = _as_text(frame[area_c])
    _check_unique_ids(ids, area_c, index, report)

    out = pd.DataFrame({"area_id": ids.astype(str)}, index=index)
    for column in value_columns:
        values, blank, bad = _to_number(frame[column], loaded.delimiter)
        if bad.any():
            report.add(
                _issue(
                    "error",
                    "not_numeric",
                    column=column,
                    rows=_rows(bad, index),
                    examples=_examples(_as_text(frame[column])[bad]),
                )
            )
        _flag(report, blank, "warning", "value_missing", index, column=column)
        if _SHARE_RE.match(_column_key(column)):
            outside = (values < 0) | (values > 100)
            if outside.any():
                report.add(
                    _issue(
                        "error",
                        "share_out_of_range",
                        column=column,
                        rows=_rows(outside, index),
                        examples=_examples(values[outside].map("{:g}".format)),
                    )
                )
            elif (values > 1).any():
                report.add(_issue("warning", "share_percent_converted", column=column, max=f"{values.max():g}"))
                values = values / 100.0
        out[column] = values.astype(float)
    return out, report


# --- across files ----------------------------------------------------------------------------


def check_area_ids(data: pd.DataFrame, areas: geopandas.GeoDataFrame, *, column: str = "area_id") -> ValidationReport:
    """Warn about rows whose area id is not among the areas: they cannot be mapped or ranked.

    A warning, not an error: counts for an area outside the campaign's map (a neighbouring
    region, a retired code) do not make the rest of the file wrong, but the user should know
    how many rows fall away and which ids to look for."""
    report = ValidationReport()
    if column not in data.columns:
        report.add(_missing_column(column, "area id", [str(c) for c in data.columns]))
        return report
    if "area_id" not in areas.columns:
        raise ValueError("areas need an 'area_id' column; read them with read_areas")
    ids = _as_text(data[column])
    unknown = (ids != "") & ~ids.isin(set(_as_text(areas["area_id"])))
    if unknown.any():
        distinct = ids[unknown].drop_duplicates()
        report.add(
            _issue(
                "warning",
                "unknown_area",
                column=column,
                count=int(unknown.sum()),
                n_ids=len(distinct),
                ids=_names(distinct.head(MAX_ROWS_LISTED))
                + (f" and {len(distinct) - MAX_ROWS_LISTED} more" if len(distinct) > MAX_ROWS_LISTED else ""),
            )
        )
    return report
