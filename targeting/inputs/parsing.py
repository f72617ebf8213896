"""Cells as people type them: text, numbers, dates and periods, parsed once per distinct value.

A million-row column holds few distinct values (dates, years, area ids), so every parser here
factorises the column, cleans the distinct values with vectorised string operations and maps the
result back: no Python loop over rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

Period: TypeAlias = Literal["year", "quarter", "month"]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

_NA_TOKENS: Final = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "—", "..", "#n/a"})


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


_QUOTED_FORMULA_RE: Final = r"^'(?=[=+\-@\t\r])"


def _unquote_formula(text: pd.Series) -> pd.Series:
    """Ids as the planner wrote them before its CSV downloads protected them: a leading ``'`` in
    front of ``=``, ``+``, ``-`` or ``@`` (see :mod:`targeting.csv_cells`) is dropped again, so a
    download uploaded back unchanged names the same areas. Only distinct values are looked at."""
    codes, uniques = pd.factorize(text)
    values = pd.Series(uniques, dtype=object).astype(str)
    quoted = values.str.startswith("'")
    if not quoted.any():
        return text
    values = values.str.replace(_QUOTED_FORMULA_RE, "", regex=True)
    return pd.Series(np.append(values.to_numpy(dtype=object), "")[codes], index=text.index, dtype=str)


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


# --- dates -----------------------------------------------------------------------------------

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


# --- periods ---------------------------------------------------------------------------------

#: The three kinds of period, coarsest first; their position is the ``kind`` code of ParsedPeriods.
GRANULARITIES: Final[tuple[Period, ...]] = ("year", "quarter", "month")
NOT_A_PERIOD: Final = -2
BLANK_PERIOD: Final = -1
_FIRST_YEAR, _LAST_YEAR = 1900, 2100  # outside: a typing slip (0221, 20211), not a period
_YEAR_RE: Final = r"^(?P<y>\d{4})(?:\.0+)?$"  # '2012.0' is how a spreadsheet writes a whole-number year
_QUARTER_RES: Final = (
    r"^(?P<y>\d{4})\s*[-/ ]?\s*[Qq](?P<q>[1-4])$",  # 2012-Q1, 2012Q1, 2012 Q1
    r"^[Qq](?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$",  # Q1 2012, Q1-2012
)
_MONTH_NUMBER_RES: Final = (
    r"^(?P<y>\d{4})\s*[-/]\s*(?P<m>\d{1,2})$",  # 2013-01, 2013/1 (not 2013.01: that is a number)
    r"^(?P<m>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})$",  # 01/2013, 1-2013, 01.2013
)
_MONTH_NAME_RES: Final = (
    r"^(?P<n>[^\W\d_]+)\.?\s*[-/ ]?\s*(?P<y>\d{4})$",  # Jan 2012, January-2012, ian. 2012
    r"^(?P<y>\d{4})\s*[-/ ]?\s*(?P<n>[^\W\d_]+)\.?$",  # 2012 Jan, 2012-January
)
#: (pattern, kind, what else it gives: y year only, q quarter, m month number, n month name)
_PERIOD_PATTERNS: Final[tuple[tuple[str, int, str], ...]] = (
    (_YEAR_RE, 0, "y"),
    *((pattern, 1, "q") for pattern in _QUARTER_RES),
    *((pattern, 2, "m") for pattern in _MONTH_NUMBER_RES),
    *((pattern, 2, "n") for pattern in _MONTH_NAME_RES),
)
#: Languages whose month names are recognised: the planner's own (see translations/).
_MONTH_NAME_LOCALES: Final = ("en", "lt", "pl", "ro", "bg", "uk", "ar", "vi", "es")
#: How each kind of period is written in labels and messages.
PERIOD_FORMS: Final[Mapping[Period, str]] = {"year": "2021", "quarter": "2021-Q3", "month": "2021-07"}
PERIOD_NAMES: Final[Mapping[Period, tuple[str, str]]] = {
    "year": ("a year", "years"),
    "quarter": ("a quarter", "quarters"),
    "month": ("a month", "months"),
}


@dataclass(frozen=True)
class ParsedPeriods:
    """One column of periods, parsed: a kind, a time key and a canonical label for every value.

    ``kind`` is the index into :data:`GRANULARITIES` (0 year, 1 quarter, 2 month), ``BLANK_PERIOD``
    for an empty cell and ``NOT_A_PERIOD`` for text that is none of them. ``start`` counts months
    from year 0 to the period's first month, so sorting by it orders periods in time, which
    sorting labels as text does not ('Jan 2012' sorts after '2014'). ``label`` is the canonical
    text ('2021', '2021-Q3', '2021-07'; '' where not a period): '2012' and '2012.0' are one year."""

    kind: npt.NDArray[np.int8]
    start: npt.NDArray[np.int64]
    label: npt.NDArray[np.object_]

    @property
    def blank(self) -> BoolArray:
        return np.asarray(self.kind == BLANK_PERIOD)

    @property
    def invalid(self) -> BoolArray:
        return np.asarray(self.kind == NOT_A_PERIOD)

    @property
    def valid(self) -> BoolArray:
        return np.asarray(self.kind >= 0)

    def main_kind(self) -> int | None:
        """The kind most values have (ties: the kind of the first valid value); None if none is valid.

        A file that mixes kinds is refused, and the rows to name are those that differ from what
        most of the file does: usually a few rows typed differently, not the other way round."""
        valid = self.kind[self.kind >= 0]
        if valid.size == 0:
            return None
        tally = np.bincount(valid, minlength=len(GRANULARITIES))
        best = np.flatnonzero(tally == tally.max())
        return int(valid[0]) if valid[0] in best else int(best[0])


@cache
def _month_names() -> dict[str, int]:
    """Lower-case month names and abbreviations (no trailing dot) in the planner's languages.

    A name that means different months in two languages is left out rather than guessed."""
    from babel.dates import get_month_names

    found: dict[str, set[int]] = {}
    for locale in _MONTH_NAME_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, locale).items():
                    key = str(name).strip().rstrip(".").lower()
                    if key and not any(ch.isdigit() or ch.isspace() for ch in key):
                        found.setdefault(key, set()).add(int(month))
    found.setdefault("sept", set()).add(9)
    return {name: months.pop() for name, months in found.items() if len(months) == 1}


def parse_periods(values: pd.Series | Sequence[object] | npt.NDArray[Any]) -> ParsedPeriods:
    """Parse periods as people write them, once per distinct value (no loop over rows).

    Years: ``2021`` (also ``2021.0``, as a spreadsheet writes a whole number, and numbers 2021 or
    2021.0). Quarters: ``2021-Q3``, ``2021Q3``, ``2021 Q3``, ``Q3 2021``. Months: ``2021-07``,
    ``2021/7``, ``07/2021``, ``07.2021``, ``Jul 2021``, ``July 2021``, ``2021 Jul`` (month names
    in English and the planner's other languages). A full date is not a period: it does not say
    which kind of period is meant. Years outside 1900-2100 are typing slips, not periods."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object), dtype=object)
    codes, texts = _distinct_text(series)
    plain = np.asarray(texts, dtype=str)
    lengths = np.char.str_len(plain)
    if bool(np.all(((lengths == 4) & np.char.isdigit(plain)) | (lengths == 0))):
        # Plain four-digit years (and blanks), the usual case: already canonical, no pattern needed.
        year = np.where(lengths == 4, plain, "0").astype(np.int64)
        ok = (year >= _FIRST_YEAR) & (year <= _LAST_YEAR)
        kind_y = np.where(lengths == 0, BLANK_PERIOD, np.where(ok, 0, NOT_A_PERIOD)).astype(np.int8)
        start_y = np.where(ok, year * 12, -1)
        label_y = np.where(ok, plain.astype(object), "").astype(object)
        return ParsedPeriods(kind_y[codes], start_y[codes], label_y[codes])
    text = pd.Series(texts, dtype=object).astype(str)
    n = len(text)
    year = np.full(n, -1, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)  # 0-based first month of the period
    kind = np.where(text.to_numpy() == "", BLANK_PERIOD, NOT_A_PERIOD).astype(np.int8)
    # Each pattern only sees the values no earlier one matched, and most files stop at the first.
    for pattern, code, part in _PERIOD_PATTERNS:
        left = np.flatnonzero(kind == NOT_A_PERIOD)
        if left.size == 0:
            break
        found = text.iloc[left].str.extract(pattern)
        found_year = pd.to_numeric(found["y"]).to_numpy(dtype=float, na_value=np.nan)
        if part == "y":
            month0 = np.zeros(left.size, dtype=np.int64)
        elif part == "q":
            month0 = (pd.to_numeric(found["q"]).fillna(0).to_numpy(dtype=np.int64) - 1) * 3
        elif part == "m":
            number = pd.to_numeric(found["m"]).fillna(0).to_numpy(dtype=np.int64)
            month0 = np.where((number >= 1) & (number <= 12), number - 1, -1)
        else:
            number = found["n"].str.lower().map(_month_names()).fillna(0).to_numpy(dtype=np.int64)
            month0 = np.where(number >= 1, number - 1, -1)
        hit = np.isfinite(found_year) & (month0 >= 0)
        rows = left[hit]
        year[rows] = found_year[hit].astype(np.int64)
        month[rows] = month0[hit]
        kind[rows] = code
    slip = (kind >= 0) & ((year < _FIRST_YEAR) | (year > _LAST_YEAR))
    kind[slip] = NOT_A_PERIOD
    ok = kind >= 0
    start = np.where(ok, year * 12 + month, -1)
    years = pd.Series(year).astype(str)
    label = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            years,
            years + "-Q" + pd.Series(month // 3 + 1).astype(str),
            years + "-" + pd.Series(month + 1).astype(str).str.zfill(2),
        ],
        "",
    ).astype(object)
    return ParsedPeriods(kind[codes], start[codes], label[codes])


class PeriodError(ValueError):
    """Period labels that are not one kind of period (year, quarter or month) throughout."""


def sort_periods(labels: Iterable[object]) -> list[str]:
    """Distinct canonical labels in time order ('2012' and '2012.0' are one); blanks are skipped.

    Raises :class:`PeriodError` for a value that is not a period or for a mix of kinds, because
    a year and a month have no single order (is '2012' before or after '2012-06'?)."""
    values = list(labels)
    parsed = parse_periods(pd.Series(values, dtype=object))
    bad = parsed.invalid
    if bad.any():
        shown = ", ".join(f"'{v}'" for v in pd.unique(pd.Series(values, dtype=object)[bad].astype(str))[:5])
        raise PeriodError(f"{shown} are not periods; write a year (2021), a quarter (2021-Q3) or a month (2021-07)")
    kinds = np.unique(parsed.kind[parsed.valid])
    if kinds.size > 1:
        raise PeriodError(
            "periods mix " + " and ".join(PERIOD_NAMES[GRANULARITIES[k]][1] for k in kinds) + "; use one kind only"
        )
    order = np.argsort(parsed.start[parsed.valid], kind="stable")
    return list(dict.fromkeys(str(v) for v in parsed.label[parsed.valid][order]))
