"""The columns of each kind of table file, in one place: readers, templates and column mapping share them.

A coordinator's file rarely has the planner's exact header: partners export ``county, year,
incidents`` or ``GEOID;Jahr;Fälle``. So each kind of file is described once here
(:data:`LAYOUTS`: the header the importer expects, what each column is for and the names people
give it), and three things are built from that one description:

* :func:`guess_columns` proposes which of the file's columns holds each required one (same name,
  a known synonym, a synonym inside a longer name, then a close spelling), for a person to confirm
  or correct; nothing is applied without them;
* :func:`template_table` writes the exact header with a few example rows, using real area ids;
* the readers' defaults (``area_id``, ``period``, ``count``, ``date``, ``latitude``, ``longitude``)
  are the names given here, and :func:`reader_arguments` turns a confirmed mapping into their
  keyword arguments.

Only required columns are mapped. Optional ones (an incident's exploitation type, an area's name
written next to its id to help whoever edits the file) are found by their name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from .incidents import ALLOWED_ATTRIBUTES
from .parsing import BoolArray, _find_column, _to_number

FileKind: TypeAlias = Literal["counts", "points", "indicators"]
FILE_KINDS: Final[tuple[FileKind, ...]] = ("counts", "points", "indicators")


@dataclass(frozen=True)
class ColumnSpec:
    """One column a kind of file has: its expected header, what it is for, and what people call it.

    ``argument`` is the reader's keyword that takes the file's name for this column (None for
    columns found by name only); ``expected`` says in English what a value looks like."""

    name: str
    purpose: str
    required: bool
    expected: str
    synonyms: tuple[str, ...] = ()
    argument: str | None = None


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file; ``more`` describes further columns of free name, if any."""

    kind: FileKind
    columns: tuple[ColumnSpec, ...]
    more: str | None = None

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


_AREA_ID: Final = ColumnSpec(
    "area_id",
    "area id",
    True,
    "the id of an area exactly as in the boundary set (leading zeros count)",
    ("area", "area_code", "areacode", "area_key", "areakey", "code", "id", "county", "county_code", "county_id",
     "fips", "fips_code", "geoid", "geo_id", "geocode", "region", "region_code", "district", "district_code",
     "municipality", "municipality_code", "admin_code", "adm_code", "nuts", "nuts_code", "lau", "zone", "unit"),
    "area_col",
)  # fmt: skip
_AREA_NAME: Final = ColumnSpec(
    "area_name",
    "area name",
    False,
    "optional: the area's name, to help whoever edits the file; not imported (names come from the boundaries)",
    ("name", "county_name", "region_name", "district_name"),
)
LAYOUTS: Final[Mapping[FileKind, Layout]] = {
    "counts": Layout(
        "counts",
        (
            _AREA_ID,
            _AREA_NAME,
            ColumnSpec(
                "period",
                "period",
                True,
                "a year, for example 2021",
                ("year", "yr", "years", "period", "date", "time", "reporting_year", "report_year", "month", "quarter",
                 "jahr", "anno", "ano", "rok", "metai"),  # fmt: skip
                "period_col",
            ),
            ColumnSpec(
                "count",
                "count",
                True,
                "a whole number of incidents, 0 or more",
                ("incidents", "incident", "cases", "case_count", "counts", "n", "number", "num", "total", "reports",
                 "victims", "value", "frequency", "freq", "incident_count", "number_of_incidents"),
                "count_col",
            ),  # fmt: skip
        ),
    ),
    "points": Layout(
        "points",
        (
            ColumnSpec(
                "date",
                "incident date",
                True,
                "the date of the incident as year-month-day, for example 2021-07-15",
                ("incident_date", "event_date", "date_of_incident", "report_date", "reported", "reported_on",
                 "day", "datetime", "timestamp", "when", "time"),
                "date_col",
            ),  # fmt: skip
            ColumnSpec(
                "latitude",
                "latitude",
                True,
                "latitude in decimal degrees, -90 to 90, for example 33.749",
                ("lat", "lat_dd", "y", "y_coord", "ycoord", "breite"),
                "lat_col",
            ),
            ColumnSpec(
                "longitude",
                "longitude",
                True,
                "longitude in decimal degrees, -180 to 180, for example -84.388",
                ("lon", "lng", "long", "lon_dd", "x", "x_coord", "xcoord", "laenge"),
                "lon_col",
            ),
            *(
                ColumnSpec(name, "incident attribute", False, "optional: a short category, never a name or note")
                for name in ALLOWED_ATTRIBUTES
            ),
        ),
    ),
    "indicators": Layout(
        "indicators",
        (_AREA_ID, _AREA_NAME),
        "one column of numbers per indicator, for example missing_children; share_* and pct_* columns are "
        "shares from 0 to 1 (or percentages up to 100)",
    ),
}


def _key(name: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _score(column: str, spec: ColumnSpec) -> float:
    """How well a file's column name fits ``spec`` (0 = not at all, 1 = the expected name)."""
    key = _key(column)
    if not key:
        return 0.0
    names = [_key(spec.name), *(_key(s) for s in spec.synonyms)]
    if key == names[0]:
        return 1.0
    if key in names[1:]:
        return 0.95
    tokens = key.split("_")
    if len(tokens) > 1 and any(token in names for token in tokens if token):
        return 0.85
    ratio = max(difflib.SequenceMatcher(None, key, name).ratio() for name in names if len(name) >= 3)
    return 0.8 * ratio if ratio >= 0.75 else 0.0


def guess_columns(
    columns: Sequence[str], kind: FileKind, given: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """For each required column of ``kind``, the file's column that probably holds it (or None).

    ``given`` maps expected names to the names a person typed; a required column found under its
    given (or expected) name, ignoring case, spaces and dashes, keeps that column. The others are
    guessed: the expected name, a synonym (``county``, ``fips``, ``geoid`` for the area id;
    ``year`` for the period; ``incidents``, ``cases``, ``n`` for the count), a synonym inside a
    longer name (``county_fips``), then a close spelling (``incidnets``). Each file column is
    proposed for at most one required column, best fits first. A guess is a proposal to show, not
    something to apply unseen."""
    layout = LAYOUTS[kind]
    given = given or {}
    names = [str(c) for c in columns]
    chosen: dict[str, str | None] = {}
    for spec in layout.required:
        found = _find_column(names, given.get(spec.name) or spec.name)
        chosen[spec.name] = found
    taken = {c for c in chosen.values() if c is not None}
    candidates = sorted(
        (
            (-_score(column, spec), position, order, spec.name, column)
            for position, spec in enumerate(layout.required)
            if chosen[spec.name] is None
            for order, column in enumerate(names)
            if column not in taken
        ),
    )
    for negative, _position, _order, field, column in candidates:
        if negative >= 0:
            break
        if chosen[field] is None and column not in taken:
            chosen[field] = column
            taken.add(column)
    return chosen


def needs_mapping(columns: Sequence[str], kind: FileKind, given: Mapping[str, str] | None = None) -> bool:
    """True when some required column of ``kind`` is not in ``columns`` under its given or expected name."""
    given = given or {}
    names = [str(c) for c in columns]
    return any(_find_column(names, given.get(spec.name) or spec.name) is None for spec in LAYOUTS[kind].required)


def find_column(columns: Sequence[str], name: str) -> str | None:
    """The file's column called ``name``, ignoring case, spaces and dashes, as the readers find it."""
    return _find_column([str(c) for c in columns], name)


def small_count_cells(values: pd.Series, k: int) -> BoolArray:
    """The cells of a count column that hold a number from 1 to k-1, as the readers read numbers:
    what every output hides, even when echoing a coordinator's own file back to them."""
    numbers, _blank, _bad = _to_number(values.astype(str))
    return np.asarray((numbers >= 1) & (numbers < k), dtype=bool)


def reader_arguments(kind: FileKind, mapping: Mapping[str, str | None]) -> dict[str, str]:
    """Keyword arguments for ``kind``'s reader from a confirmed mapping (expected name -> file column)."""
    return {
        spec.argument: str(mapping[spec.name])
        for spec in LAYOUTS[kind].columns
        if spec.argument is not None and mapping.get(spec.name)
    }


_EXAMPLE_ATTRIBUTES: Final[Mapping[str, tuple[str, str, str]]] = {
    "exploitation_type": ("labour", "sexual", "domestic_servitude"),
    "recruitment": ("job_offer", "online", "acquaintance"),
    "age_band": ("25-34", "18-24", "35-49"),
    "sex": ("female", "male", "female"),
    "nationality": ("RO", "UA", "VN"),
    "language": ("ro", "uk", "vi"),
}


def template_table(
    kind: FileKind,
    area_ids: Sequence[str],
    *,
    area_names: Sequence[str] = (),
    points: Sequence[tuple[float, float]] = (),
    year: int = 2023,
) -> pd.DataFrame:
    """The exact header of ``kind`` with two or three example rows, every cell as text.

    ``area_ids`` (and their ``area_names``) are real ids of the boundary set, so the template
    uploads back as it is; a points template needs ``points``, (latitude, longitude) pairs inside
    areas of the set. ``year`` is the examples' period (use a past year: future dates are left out)."""
    if not area_ids:
        raise ValueError("area_ids must name at least one area of the boundary set")
    layout = LAYOUTS[kind]
    n = min(3, len(area_ids)) if kind != "points" else min(3, len(points))
    if kind == "points" and n == 0:
        raise ValueError("a points template needs points inside areas of the boundary set")
    ids = [str(area_ids[i % len(area_ids)]) for i in range(n)]
    names = [str(area_names[i]) if i < len(area_names) else "" for i in range(n)]
    if kind == "counts":
        # Two areas in one year and the first again the next year (0 where none were recorded).
        first, second = (0, 1) if n > 1 else (0, 0)
        picks = [(first, year, "12"), (second, year, "0"), (first, year + 1, "15")] if n > 1 else [
            (first, year, "12"), (first, year + 1, "15")]  # fmt: skip
        return pd.DataFrame(
            {
                "area_id": [ids[i] for i, _y, _c in picks],
                "area_name": [names[i] for i, _y, _c in picks],
                "period": [str(y) for _i, y, _c in picks],
                "count": [c for _i, _y, c in picks],
            },
            dtype=str,
        )
    if kind == "points":
        rows: dict[str, list[str]] = {
            "date": [f"{year}-03-15", f"{year}-07-02", f"{year + 1}-01-20"][:n],
            "latitude": [f"{lat:.6f}" for lat, _lon in points[:n]],
            "longitude": [f"{lon:.6f}" for _lat, lon in points[:n]],
        }
        for column in layout.header[3:]:
            rows[column] = list(_EXAMPLE_ATTRIBUTES.get(column, ("", "", "")))[:n]
        return pd.DataFrame(rows, dtype=str)
    return pd.DataFrame(
        {
            "area_id": ids,
            "area_name": names,
            "missing_children": ["4", "0", "2"][:n],
            "share_seasonal_workers": ["0.12", "0.3", "0.05"][:n],
        },
        dtype=str,
    )
