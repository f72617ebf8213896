"""The data rules every output obeys: no personal identifiers in, no small counts out.

**One mechanism for every published number** (docs/threat-model.md says why):

1. The *cells* of a table are the counts it is built from (incidents per area and period,
   per segment, per exploitation type, downloads per toolkit). A cell from 1 to k-1 is *hidden*.
2. Every other number that is published -- totals, rates, smoothed rates, rate ratios, Gi*
   z-scores and p-values, trends, shares, relative risks, scores and ranks -- is computed from
   the *published cells*: the shown cells as they are and each hidden cell replaced by a fill
   that is itself computed from published numbers only (:func:`protect_counts`).

So whatever an outsider solves for -- inverting a smoothed rate, a least-squares fit of the
z-scores, subtracting one table from another -- the answer for a hidden cell is the fill, the
same for every hidden cell whatever its true value: nothing published depends on a hidden count
beyond the fact that it is from 1 to k-1.

Two kinds of table:

* **Independent** (the default): nothing outside the table pins its total. Only the small cells
  are hidden and each is filled with ``k / 2`` (5.5 for k = 11, the middle of 1..10 and never
  a count). Totals are published as ranges (:func:`total_range`), never as sums of true cells.
* **With a known total** (``known_total=``): the table splits a total that is published
  elsewhere (the segments of the shown incidents of chosen areas). Subtraction from that total
  would reveal a lone hidden cell, so every such table hides at least two cells (complementary
  suppression, :func:`suppress_table`), and the hidden cells share what the known total leaves
  equally between them.

`find_identifier_columns` is what imports call to refuse files that carry people's identities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import gammaln

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


def fill_value(k: int = DEFAULT_K) -> float:
    """What a hidden cell of an independent table counts as in every derived number.

    The middle of 1..k-1. Being a constant, it carries nothing about the true count; being
    a half (for odd k), an inversion that lands on it cannot be mistaken for a recovered count."""
    return k / 2


@dataclass(frozen=True)
class ProtectedCounts:
    """A table's cells as they may be used for anything published.

    `published` holds the true count where shown and the fill where hidden (floats: the fill is
    5.5 for k = 11). Derived statistics are computed from `published`; `shown()` is what a
    table prints. The true hidden counts are not kept."""

    published: npt.NDArray[np.float64]
    hidden: npt.NDArray[np.bool_]
    k: int

    def shown(self) -> npt.NDArray[np.float64]:
        """The cells as printed: NaN where hidden."""
        return np.where(self.hidden, np.nan, self.published)

    def shown_values(self) -> list[int | None]:
        """The printed cells, flattened, as whole numbers (None where hidden), for JSON and templates."""
        flat = np.where(self.hidden, 0, self.published).astype(np.int64).ravel()
        return [None if h else int(v) for v, h in zip(flat.tolist(), self.hidden.ravel().tolist(), strict=True)]


def expected_hidden(mean: npt.ArrayLike, k: int = DEFAULT_K) -> npt.NDArray[np.float64]:
    """E[c | 1 <= c <= k-1] for c ~ Poisson(mean): what a hidden count is expected to be when all
    that is known is the bracket and how many incidents the area's population would have at the
    overall rate. Near 1 for a village, near k-1 for a town; k/2 where the mean is unknown."""
    mu = np.asarray(mean, dtype=float)
    c = np.arange(1, k, dtype=float)
    known = np.isfinite(mu) & (mu > 0)
    safe = np.where(known, mu, 1.0)[..., None]
    log_p = c * np.log(safe) - gammaln(c + 1)  # the common e^-mu cancels
    weights = np.exp(log_p - log_p.max(axis=-1, keepdims=True))
    expected = (weights * c).sum(axis=-1) / weights.sum(axis=-1)
    return np.where(known, expected, fill_value(k))


def _fill_from_exposure(
    values: npt.NDArray[np.int64], hidden: npt.NDArray[np.bool_], exposure: npt.NDArray[np.float64], k: int
) -> npt.NDArray[np.float64]:
    """Each hidden cell's expected value given its bracket and its exposure (population), at the
    column's overall rate; the rate is estimated from the shown cells and the fills themselves
    (a fixed point, a few steps), so only published numbers go in."""
    usable = np.isfinite(exposure) & (exposure > 0)
    pop = np.where(usable, exposure, 0.0)
    shown = np.where(hidden | ~usable, 0.0, values.astype(float))
    fill = np.where(hidden, fill_value(k), 0.0)
    per_column = pop.sum(axis=0)
    for _ in range(50):
        used = np.where(usable, fill, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (shown.sum(axis=0) + used.sum(axis=0)) / per_column
        new = np.where(hidden, expected_hidden(rate * pop, k), 0.0)
        done = np.allclose(new, fill, rtol=0, atol=1e-12)
        fill = new
        if done:
            break
    return np.where(hidden & ~usable, fill_value(k), fill)


def protect_counts(
    counts: npt.ArrayLike,
    k: int = DEFAULT_K,
    *,
    known_total: int | None = None,
    exposure: npt.ArrayLike | None = None,
) -> ProtectedCounts:
    """The published version of a table of non-negative counts (any shape; 1-D with `known_total`).

    Independent table: cells 1..k-1 hidden. Each is filled with :func:`fill_value`, or, given an
    `exposure` of the same shape (the population of each area and period), with its expected
    value given the bracket and the exposure (:func:`expected_hidden`): a small town's hidden
    count then weighs like a small town's, not like 5.5 in a hamlet. Either fill is computed from
    published numbers only. With `known_total` (the sum of the cells is published elsewhere):
    primary and complementary suppression against that total, and the hidden cells share
    ``known_total - shown`` equally (a function of published numbers, so it reveals nothing)."""
    arr = np.asarray(counts)
    if arr.size and (np.any(arr < 0) or not np.all(np.equal(np.mod(arr, 1), 0))):
        raise ValueError("counts must be non-negative whole numbers")
    if k < 2:
        raise ValueError(f"k must be 2 or more, got {k}")
    values = arr.astype(np.int64)
    if known_total is None:
        hidden = _is_small(values, k)
        if exposure is None:
            fill = np.full(values.shape, fill_value(k))
        else:
            people = np.asarray(exposure, dtype=float)
            if people.shape != values.shape:
                raise ValueError(f"exposure has shape {people.shape}, the counts {values.shape}")
            as_matrix = (values.shape[0], -1) if values.ndim else (1, 1)
            fill = _fill_from_exposure(
                values.reshape(as_matrix), hidden.reshape(as_matrix), people.reshape(as_matrix), k
            ).reshape(values.shape)
        return ProtectedCounts(np.where(hidden, fill, values.astype(float)), hidden, k)
    if values.ndim != 1:
        raise ValueError("a table with a known total must be 1-D")
    if int(values.sum()) != int(known_total):
        raise ValueError(f"the cells sum to {int(values.sum())}, not to the known total {known_total}")
    if 1 <= known_total < k:
        raise ValueError(f"a known total of {known_total} is itself a small count; it cannot be published")
    table = suppress_table(values, k, row_totals=True)
    hidden = table.cells_hidden[0].copy()
    published = values.astype(float)
    if hidden.any():
        remainder = float(known_total) - float(values[~hidden].sum())
        published[hidden] = remainder / int(hidden.sum())
    return ProtectedCounts(published, hidden, k)


def published_count(n: int, k: int = DEFAULT_K) -> int | str:
    """A single count as it may be written where a reader other than its source could see it (an
    audit entry, a message): the number, or "fewer than k" for 1..k-1."""
    return f"fewer than {k}" if 1 <= n < k else int(n)


def total_range(
    protected: ProtectedCounts, axis: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The published bounds of sums of an independent table's cells (along `axis`, or all).

    A total is never the sum of the true cells when a hidden cell is in it: that sum minus the
    shown cells is the hidden count. What the shown cells allow is a range: each hidden cell
    from 1 to k-1. Low equals high when nothing in the sum is hidden."""
    shown = np.where(protected.hidden, 0, protected.published).astype(np.int64)
    n_hidden = protected.hidden.sum(axis=axis)
    base = shown.sum(axis=axis)
    return np.asarray(base + n_hidden), np.asarray(base + n_hidden * (protected.k - 1))


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
