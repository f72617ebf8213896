"""CSV that is safe to open in a spreadsheet: every CSV the planner writes goes through here.

Area names, ids, segment labels and indicator names come from uploaded files, and a
spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, with a tab
or carriage return before one of them) as a formula: `=HYPERLINK(...)` leaks data when clicked,
`+cmd|' /C calc'!A0` runs a program through DDE. Following OWASP's advice ("CSV Injection"),
such a text cell gets a leading single quote, which spreadsheets read as "this is text" and
show without the quote. Real numbers are left alone, negative ones included, whether they
arrive as numbers or as the text of a number, so the columns still sum and sort.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Final

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "csv_bytes", "csv_text", "neutralise_cell"]

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_cell(value: object) -> object:
    """`value` as it may stand in a CSV cell: text a spreadsheet would run as a formula gets a
    leading `'`; numbers, and text that is exactly a number such as "-12.5", are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows written with the csv module's defaults, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return out.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as UTF-8 CSV (no index, `\\n` line ends), header and text cells neutralised;
    numeric columns are written exactly as pandas writes them."""
    out = frame.copy()
    out.columns = [str(neutralise_cell(str(column))) for column in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column) or isinstance(
            column.dtype, pd.CategoricalDtype
        ):
            out.isetitem(position, column.astype(object).map(neutralise_cell, na_action="ignore"))
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
