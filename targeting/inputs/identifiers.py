"""Refusing files that hold personal identifiers, judged by column names and sampled values.

The planner stores no personal data, so a file with a name, phone, address or case-number column
is refused as a whole rather than silently trimmed: the coordinator must see that such a column
was there and remove it at the source."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import pandas as pd

from ..privacy import find_identifier_columns
from .parsing import _as_text
from .report import Issue, _issue

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
