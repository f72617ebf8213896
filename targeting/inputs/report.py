"""Issues and reports: how every reader tells a coordinator what is wrong with a file.

One :class:`Issue` per problem, naming at most the first five rows and the total count, so a file
with 100,000 bad rows gives one line, not 100,000. The ``_``-prefixed helpers here are shared by
the readers of this package only; the public names are re-exported by :mod:`targeting.inputs`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from .messages import MESSAGES

Severity: TypeAlias = Literal["error", "warning"]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

MAX_ROWS_LISTED: Final = 5
#: Rows at the start of a file whose problems an issue keeps cell by cell (``Issue.head_rows``), so a
#: preview of the first rows can mark every bad cell it shows, not just the first five of the file.
HEAD_ROWS_KEPT: Final = 50


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
    #: Every affected spreadsheet row among the file's first ``HEAD_ROWS_KEPT`` data rows.
    head_rows: tuple[int, ...] = field(default=(), compare=False, hash=False, repr=False)

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
    head = tuple(int(row) for row in all_rows[all_rows < HEAD_ROWS_KEPT + 2][:HEAD_ROWS_KEPT])
    total = int(all_rows.size if count is None else count)
    values: dict[str, Any] = {
        "column": column,
        "count": total,
        "where": _where(first, total, list(labels)[:MAX_ROWS_LISTED] if labels is not None else None),
        **params,
    }
    return Issue(severity, code, MESSAGES[code].format(**values), column, first, total, values, head)


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


def _labels(labels: pd.Series | None, mask: BoolArray) -> list[str] | None:
    if labels is None:
        return None
    return [str(v) for v in labels.to_numpy()[mask][:MAX_ROWS_LISTED]]


def _missing_column(column: str, purpose: str, columns: Sequence[str]) -> Issue:
    return _issue("error", "missing_column", column=column, purpose=purpose, available=_names(columns))


def _missing_columns(missing: Sequence[tuple[str, str]], columns: Sequence[str]) -> Issue | None:
    """One issue for every required column not found, as (wanted name, purpose) pairs: a file with
    the wrong header gets one message naming them all, not one near-identical message per column.
    ``column`` is the first one missing; ``params["columns"]`` lists them all."""
    if not missing:
        return None
    if len(missing) == 1:
        return _missing_column(missing[0][0], missing[0][1], columns)
    return _issue(
        "error",
        "missing_columns",
        column=missing[0][0],
        columns=_names(wanted for wanted, _purpose in missing),
        purposes=", ".join(f"'{wanted}' ({purpose})" for wanted, purpose in missing),
        available=_names(columns),
        missing=[wanted for wanted, _purpose in missing],
    )


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
