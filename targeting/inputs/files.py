"""Which kind of file an upload is, and reading its bytes into a table of text or a GeoDataFrame.

Users rename files and spreadsheets save in many encodings and separators, so the kind is judged
by the first bytes before the extension, text is decoded with a stated fallback, and the CSV
separator is sniffed and checked against the header. Nothing here interprets values: every cell
stays text, so each reader can report exactly what the file said."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeAlias

import geopandas
import numpy as np
import pandas as pd
import pyogrio

from .report import ValidationReport, _issue, _names, _reason

TableSource: TypeAlias = "str | Path | pd.DataFrame | tuple[str, bytes]"
GeoSource: TypeAlias = "str | Path | geopandas.GeoDataFrame | tuple[str, bytes]"

# --- reading bytes ---------------------------------------------------------------------------

_EXCEL_SUFFIXES: Final = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods", ".numbers"})
_GEO_SUFFIXES: Final = frozenset({".gpkg", ".geojson", ".json", ".zip", ".shp", ".fgb", ".kml", ".gml"})
_ZIP_MEMBER_SUFFIXES: Final = (".shp", ".gpkg", ".geojson", ".json")
_DELIMITERS: Final = ",;\t|"
_SNIFF_CHARS: Final = 16_384

Kind: TypeAlias = Literal["text", "excel", "zip", "geo", "shp", "binary"]
MAX_UNZIPPED_BYTES: Final = 256 * 2**20
"""What a zipped upload may unpack to. The upload limit bounds what is sent, not what it expands
to: a 509 KiB zip of 0.5 GiB of whitespace GeoJSON took 9 s to read. At this size a read stays
within a few seconds, and real boundary files (every US county, detailed) are well under it."""


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
                expanded = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError) as exc:
            report.add(_issue("error", "file_unreadable", file=name, expected="a zip file", reason=_reason(exc)))
            return None
        if expanded > MAX_UNZIPPED_BYTES:  # a few hundred KiB can hold gigabytes of whitespace
            size, limit = f"{expanded / 1e6:,.0f}", f"{MAX_UNZIPPED_BYTES / 1e6:,.0f}"
            report.add(_issue("error", "zip_too_large", file=name, size=size, limit=limit))
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


def read_text_table(source: TableSource) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Any table a user uploads (CSV in any common encoding and separator, or an Excel sheet's
    CSV export), every cell as stripped text, index = data row position (row number minus 2).

    For callers outside this package that read tables of their own kind (a campaign's reach
    export) with the same tolerance for what spreadsheets produce."""
    report = ValidationReport()
    table = _load_csv(source, report)
    return table.frame, report


_HEAD_BYTES: Final = 256 * 1024


def read_head(source: tuple[str, bytes], rows: int = 10) -> pd.DataFrame | None:
    """The header and first ``rows`` data rows of an uploaded CSV, every cell as the user typed it
    (stripped text), index = data row position as in the readers; None for anything but a CSV
    whose start can be read on its own.

    Only the file's first 256 KiB are parsed, so a column-mapping step or a preview of a
    million-row file does not read the file twice. Columns come out as the header names them."""
    name, data = _file_name(source), bytes(source[1])
    if _detect_kind(name, data[:8192]) != "text":
        return None
    head = data[:_HEAD_BYTES]
    if len(data) > _HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    table = _parse_csv(name, head, ValidationReport())  # cut at a line end: no character is split
    return None if table.frame is None else table.frame.head(rows)


def read_columns(source: tuple[str, bytes]) -> list[str] | None:
    """The header of an uploaded CSV as the user named the columns; None when it is no CSV (a map
    file, a spreadsheet) or has no data rows."""
    head = read_head(source, rows=1)
    return None if head is None else [str(c) for c in head.columns]
