"""The data rules every output obeys: no personal identifiers in, no small counts out.

`suppress_table` is the one suppression function behind every count the planner shows (page, CSV,
PDF, API). Counts from 1 to k-1 are hidden (primary suppression). A hidden cell could still be
worked out by subtracting the shown cells from a shown total, so every line of the table (a row or
column with its margin) that hides exactly one entry hides one more: its smallest remaining
positive entry (complementary suppression), repeated until no line hides exactly one. All hidden
entries carry the same mark, so a reader cannot tell a small count from a protecting one.

`find_identifier_columns` is what imports call to refuse files that carry people's identities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

DEFAULT_K = 11


@dataclass(frozen=True)
class SuppressedTable:
    """Counts with their margins and which entries may not be shown.

    `values` is the (R+1) x (C+1) table: the counts, a column of row totals and a row of column
    totals with the grand total in the corner (a 1-D input is 1 x (C+1)). `hidden` marks what
    must not be shown; `primary` marks the small counts among them."""

    values: npt.NDArray[np.int64]
    hidden: npt.NDArray[np.bool_]
    primary: npt.NDArray[np.bool_]
    k: int

    @property
    def cells(self) -> npt.NDArray[np.int64]:
        return self.values[:-1, :-1] if self.values.shape[0] > 1 else self.values[:, :-1]

    @property
    def cells_hidden(self) -> npt.NDArray[np.bool_]:
        return self.hidden[:-1, :-1] if self.hidden.shape[0] > 1 else self.hidden[:, :-1]

    def shown(self) -> npt.NDArray[np.float64]:
        """The full table as floats, NaN where hidden."""
        out = self.values.astype(float)
        out[self.hidden] = np.nan
        return out


def _is_small(values: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.bool_]:
    return (values >= 1) & (values < k)


def _protect_lines(values: npt.NDArray[np.int64], hidden: npt.NDArray[np.bool_], axis: int) -> bool:
    """Hide one more entry in every line (along `axis`) that hides exactly one. True if it changed."""
    lines = hidden if axis == 1 else hidden.T
    vals = values if axis == 1 else values.T
    lone = np.flatnonzero(lines.sum(axis=1) == 1)
    if lone.size == 0:
        return False
    candidates = np.where(lines[lone], np.iinfo(np.int64).max, vals[lone]).astype(float)
    # Prefer a positive entry: hiding a zero next to a small count protects nothing when zeros are
    # structural; take a zero only when the line has nothing else left.
    candidates[candidates == 0] = np.inf
    pick = np.argmin(candidates, axis=1)
    none_positive = ~np.isfinite(candidates[np.arange(lone.size), pick])
    if none_positive.any():
        fallback = np.where(lines[lone], 1, 0).argmin(axis=1)
        pick = np.where(none_positive, fallback, pick)
    if axis == 1:
        hidden[lone, pick] = True
    else:
        hidden[pick, lone] = True
    return True


def suppress_table(
    counts: npt.ArrayLike, k: int = DEFAULT_K, *, row_totals: bool = True, col_totals: bool = True
) -> SuppressedTable:
    """Suppress a 1-D or 2-D table of non-negative counts together with its published totals.

    A 1-D input is treated as one row with its total. Pass `row_totals=False` or `col_totals=False`
    when those totals are not published anywhere (then they cannot be used to subtract)."""
    arr = np.asarray(counts)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
        col_totals = False
    if arr.ndim != 2:
        raise ValueError(f"counts must be 1-D or 2-D, got {arr.ndim}-D")
    if arr.size and (np.any(arr < 0) or not np.all(np.equal(np.mod(arr, 1), 0))):
        raise ValueError("counts must be non-negative whole numbers")
    if k < 2:
        raise ValueError(f"k must be 2 or more, got {k}")
    arr = arr.astype(np.int64)
    n_rows = arr.shape[0]
    values = np.zeros((n_rows + 1, arr.shape[1] + 1), dtype=np.int64)
    values[:n_rows, :-1] = arr
    values[:n_rows, -1] = arr.sum(axis=1)
    values[n_rows, :-1] = arr.sum(axis=0)
    values[n_rows, -1] = arr.sum()
    primary = _is_small(values, k)
    hidden = primary.copy()
    if n_rows == 1 and not col_totals:
        values, hidden, primary = values[:1], hidden[:1], primary[:1]
        if row_totals:
            while _protect_lines(values, hidden, axis=1):
                pass
        else:
            hidden[:, -1] = False
        return SuppressedTable(values, hidden, primary & hidden, k)
    if not row_totals:
        hidden[:, -1] = False
    if not col_totals:
        hidden[-1, :] = False
    changed = True
    while changed:
        changed = False
        if row_totals:
            changed |= _protect_lines(values, hidden, axis=1)
        if col_totals:
            changed |= _protect_lines(values, hidden, axis=0)
    return SuppressedTable(values, hidden, primary & hidden, k)


def suppress_series(counts: pd.Series, k: int = DEFAULT_K, *, with_total: bool = True) -> pd.Series:
    """A pandas convenience: the same index, nullable integers, <NA> where hidden."""
    table = suppress_table(counts.to_numpy(), k, row_totals=with_total)
    shown = pd.array(table.cells[0], dtype="Int64")
    shown[table.cells_hidden[0]] = pd.NA
    return pd.Series(shown, index=counts.index, name=counts.name)


# --- identifiers ---------------------------------------------------------------------------

_NAME_PATTERNS: list[tuple[str, str]] = [
    (r"(^|_)(first|last|given|family|full|middle|maiden|sur)_?name($|_)|^name$|^surname$|^person", "a person's name"),
    (r"phone|mobile|^tel($|_)|telephone|whatsapp|viber|telegram", "a phone number"),
    (r"e_?mail", "an e-mail address"),
    (r"address|street|^addr|house_?n|postcode|zip_?code|post_?code", "a street address"),
    (r"birth|^dob$|_dob$|birthday", "a date of birth"),
    (
        r"passport|national_?id|id_?card|ssn|social_?security|personal_?code|asmens_?kodas|pesel|cnp",
        "an identity document number",
    ),
    (r"^notes?$|comment|remark|description|narrative|free_?text|story", "free-text notes"),
    (r"ip_?address|device_?id|imei|licen[cs]e_?plate|plate_?number", "a device or vehicle identifier"),
]

_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE_RE = re.compile(r"^\+?[\d\s().-]{8,}$")


@dataclass(frozen=True)
class IdentifierColumn:
    column: str
    looks_like: str
    by: str  # "name" or "values"

    def __str__(self) -> str:
        evidence = "its name" if self.by == "name" else "its values"
        return f"column '{self.column}' looks like {self.looks_like} (by {evidence})"


def _normalise(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")


def find_identifier_columns(
    frame: pd.DataFrame, *, allowed: frozenset[str] = frozenset(), sample: int = 500
) -> list[IdentifierColumn]:
    """Columns that look like personal identifiers, by their name or by a sample of their values.

    `allowed` names columns the caller knows are not about people (an area's name in a boundary
    file). The caller refuses the whole file when anything is found, naming every column."""
    found: list[IdentifierColumn] = []
    for column in frame.columns:
        if column in allowed or column == "geometry":
            continue
        key = _normalise(str(column))
        hit = next((label for pattern, label in _NAME_PATTERNS if re.search(pattern, key)), None)
        if hit:
            found.append(IdentifierColumn(str(column), hit, "name"))
            continue
        series = frame[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        values = series.dropna().astype(str).head(sample)
        if values.empty:
            continue
        if values.str.fullmatch(_EMAIL_RE).mean() > 0.2:
            found.append(IdentifierColumn(str(column), "an e-mail address", "values"))
        elif values.str.match(_PHONE_RE).mean() > 0.5 and values.str.count(r"\d").median() >= 8:
            found.append(IdentifierColumn(str(column), "a phone number", "values"))
        elif values.str.len().median() > 60 and values.str.count(" ").median() >= 8:
            found.append(IdentifierColumn(str(column), "free-text notes", "values"))
    return found
