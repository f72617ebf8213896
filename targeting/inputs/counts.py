"""Reading incident counts per area and period (long form: area_id, period, count).

A count is a statement about a place and a time, so anything doubtful is an error rather than a
guess: blank, fractional, negative or repeated counts, and periods that are not one kind (year,
quarter or month) throughout, which would otherwise be sorted as text and break every trend."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .columns import LAYOUTS
from .files import TableSource, _load_csv
from .identifiers import _identifier_issues
from .parsing import (
    GRANULARITIES,
    PERIOD_FORMS,
    PERIOD_NAMES,
    Period,
    _as_text,
    _find_column,
    _to_number,
    _unquote_formula,
    parse_periods,
)
from .report import (
    MAX_ROWS_LISTED,
    BoolArray,
    ValidationReport,
    _examples,
    _flag,
    _issue,
    _missing_columns,
    _names,
    _rows,
)

_LABEL: Final = LAYOUTS["counts"].column("area_name").name
#: What the planner's counts download writes for a count it hides (1 to k-1).
SUPPRESSED_CELL: Final = "suppressed"
_SUPPRESSED: Final = SUPPRESSED_CELL


def _periods(
    raw: pd.Series, column: str, index: pd.Index, report: ValidationReport
) -> tuple[pd.Series, BoolArray, Period | None]:
    """Canonical period labels, the mask of blank ones and the file's kind of period (None when
    it has no valid period), with every problem reported by row.

    '2012' and '2012.0' are one year, so both become '2012'; a value that is no period at all,
    or a period of another kind than the rest of the file (a quarter among years), is an error:
    ranking sorts periods in time and compares like with like, and a year next to a month has
    no place in one series. Values that are not periods keep their text, so the preview shows
    what the file says."""
    parsed = parse_periods(raw)
    text = _as_text(raw)
    _flag(report, parsed.blank, "error", "period_missing", index, column=column)
    invalid = parsed.invalid
    if invalid.any():
        report.add(
            _issue(
                "error",
                "period_unparseable",
                column=column,
                rows=_rows(invalid, index),
                examples=_examples(text[invalid]),
            )
        )
    main = parsed.main_kind()
    if main is not None:
        other = parsed.valid & (parsed.kind != main)
        if other.any():
            expected = GRANULARITIES[main]
            found = [GRANULARITIES[k] for k in np.unique(parsed.kind[other])]
            report.add(
                _issue(
                    "error",
                    "period_mixed",
                    column=column,
                    rows=_rows(other, index),
                    labels=text[other].head(MAX_ROWS_LISTED).tolist(),
                    found=" and ".join(PERIOD_NAMES[kind][1] for kind in found),
                    expected=PERIOD_NAMES[expected][1],
                    expected_one=PERIOD_NAMES[expected][0],
                    example=text[parsed.kind == main].iloc[0],
                    form=PERIOD_FORMS[expected],
                )
            )
    labels = pd.Series(np.where(parsed.valid, parsed.label, text.to_numpy(dtype=object)), index=raw.index, dtype=str)
    return labels, parsed.blank, None if main is None else GRANULARITIES[main]


def read_counts(
    source: TableSource,
    *,
    area_col: str = "area_id",
    period_col: str = "period",
    count_col: str = "count",
) -> tuple[pd.DataFrame, ValidationReport]:
    """Incident counts in long form (one row per area and period) from a CSV.

    Returns ``area_id`` (str), ``period`` (str, canonical: '2021', '2021-Q3' or '2021-07', so
    '2021.0' reads as '2021' and 'Jul 2021' as '2021-07'), ``count`` (int64; nullable Int64 when
    some counts are invalid, which the report lists as errors); ``attrs["granularity"]`` says
    which kind of period the file uses. A count is a statement about a place and time, so a
    blank, fractional, negative or repeated one is an error rather than a guess, and so is a
    period that is none of year, quarter or month, or of another kind than the rest of the file:
    a hot-spot analysis or trend built on it would be wrong."""
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
    # An area's name next to its id (as the planner's own download writes it) helps whoever edits
    # the file; it is read past without a warning, since names come from the boundaries.
    label_c = _find_column([c for c in columns if c not in (area_c, period_c, count_c)], _LABEL)
    identifiers = _identifier_issues(
        frame, exempt=[c for c in (area_c, label_c) if c], name_only=[c for c in (period_c, count_c) if c]
    )
    if identifiers:
        report.extend(identifiers)
        return empty, report
    missing = [
        (wanted, purpose)
        for wanted, found, purpose in (
            (area_col, area_c, "area id"),
            (period_col, period_c, "period"),
            (count_col, count_c, "count"),
        )
        if found is None
    ]
    issue = _missing_columns(missing, columns)
    if issue is not None or area_c is None or period_c is None or count_c is None:
        if issue is not None:
            report.add(issue)
        return empty, report
    dropped = [c for c in columns if c not in (area_c, period_c, count_c, label_c)]
    if dropped:
        report.add(
            _issue("warning", "columns_dropped", columns=_names(dropped), kept=_names([area_c, period_c, count_c]))
        )

    ids = _unquote_formula(_as_text(frame[area_c]))
    no_id = ids == ""
    _flag(report, no_id, "error", "missing_id", index, column=area_c)
    periods, no_period, granularity = _periods(frame[period_c], period_c, index, report)

    values, blank, bad = _to_number(frame[count_c], loaded.delimiter)
    _flag(report, blank, "error", "count_missing", index, column=count_c)
    if bad.any():  # the word the planner's download writes for a hidden small count
        suppressed = bad & (_as_text(frame[count_c]).str.lower() == _SUPPRESSED)
        _flag(report, suppressed, "error", "count_suppressed", index, column=count_c)
        bad = bad & ~suppressed
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
    out.attrs["granularity"] = granularity
    return out, report
