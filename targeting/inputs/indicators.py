"""Reading per-area indicators: one row per area, one numeric column per indicator.

Partners export shares both as fractions and as percentages; mixed, a 40 % share would outrank
everything, so ``share_*`` and ``pct_*`` columns are brought to 0-1 (with a warning)."""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from .areas import _check_unique_ids
from .columns import LAYOUTS
from .files import TableSource, _load_csv
from .identifiers import _identifier_issues
from .parsing import _as_text, _column_key, _find_column, _to_number, _unquote_formula
from .report import ValidationReport, _examples, _flag, _issue, _missing_column, _rows

_SHARE_RE: Final = re.compile(r"^(share|pct)_", re.IGNORECASE)
_LABEL: Final = LAYOUTS["indicators"].column("area_name").name


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
    # An area's name next to its id (as the planner's own download writes it) is not an indicator.
    label_c = _find_column([c for c in columns if c != area_c], _LABEL)
    identifiers = _identifier_issues(frame, exempt=[c for c in (area_c, label_c) if c])
    if identifiers:
        report.extend(identifiers)
        return empty, report
    if area_c is None:
        report.add(_missing_column(area_col, "area id", columns))
        return empty, report
    value_columns = [c for c in columns if c not in (area_c, label_c)]
    if not value_columns:
        report.add(_issue("error", "no_indicator_columns", column=area_c))

    ids = _unquote_formula(_as_text(frame[area_c]))
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
