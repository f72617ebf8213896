"""Reading a field team's export, from KoboToolbox or ODK Central, into a `Batch` of answers.

The file is the server's CSV export of the wave's XLSForm (`xlsform`), as the team downloads it:

* KoboToolbox: "XML values and headers", usually semicolon separated, groups joined by "/",
  `_uuid` and `_submission_time`; a select-multiple comes as one column of space-separated
  codes (read) and one 0/1 column per option (ignored).
* ODK Central: comma separated, groups joined by "-", `meta-instanceID` and `SubmissionDate`.

Columns are matched by the last part of their name (after any group path) against the form's
field names; every other column (`_id`, `deviceid`, `SubmitterName`, `start`, …) is ignored and
never stored. The day is the submission's date, in UTC as the server writes it; the time is
dropped. Neither export says in which language a form was filled in, so answers count in the
wave's first language unless the file has a `language` or `_language` column (a team may add
one by hand). A blank cell is a question not answered.

Problems with the file itself (a column missing, a value that is not a code) are found here,
named by the file's own column and the row as a spreadsheet counts it (the header is row 1);
`answers.check` then applies the rules every source shares, and `answers.store` stores nothing
when there is any problem.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from content.questions import NUMBER_MAX, Question

from ..services.reach import RowProblem
from .answers import MAX_PROBLEMS, SEGMENT_MAX, Batch
from .models import ANSWERED, SurveyWave
from .xlsform import AREA_FIELD, GROUP_FIELD, FieldForm, field_form

KOBO: Final = "kobo"
ODK: Final = "odk"
# The columns each server writes for a submission's id and time; the first one found is used.
INSTANCE_COLUMNS: Final = {KOBO: ("_uuid",), ODK: ("meta-instanceID", "KEY")}
DATE_COLUMNS: Final = {KOBO: ("_submission_time",), ODK: ("SubmissionDate",)}
LANGUAGE_FIELDS: Final = ("language", "_language")
INSTANCE_MAX: Final = 80
DIGITS_MAX: Final = 9  # a longer "number" is a typo, and would overflow the INTEGER column
_SEGMENT_SPLIT: Final = re.compile(r"[/\-.]")
_INTEGER: Final = rf"-?\d{{1,{DIGITS_MAX}}}"

RESPONSE_COLUMNS: Final = ["row", "area_code", "locale", "segment", "day", "instance_id"]
ANSWER_COLUMNS: Final = ["row", "question", "value", "column"]


def last_segment(column: str) -> str:
    """A column's field name without its group path: `intro/area` (Kobo) and `intro-area` (ODK)
    are both `area`; `meta-instanceID` is `instanceID`."""
    return _SEGMENT_SPLIT.split(column.strip())[-1]


def _empty(problems: list[RowProblem]) -> Batch:
    """No rows, only the file's problems: `answers.store` refuses it and lists them."""
    return Batch(pd.DataFrame(columns=RESPONSE_COLUMNS), pd.DataFrame(columns=ANSWER_COLUMNS), problems)


def _table(data: bytes) -> pd.DataFrame | RowProblem:
    """The CSV as text cells (blank = ""), or what keeps it from being read."""
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        return RowProblem(0, "", "field_not_csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return RowProblem(0, "", "field_encoding")
    header = text.split("\n", 1)[0]
    if not header.strip():
        return RowProblem(0, "", "field_empty")
    separator = max((";", ",", "\t"), key=header.count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, na_filter=False,
                            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True)  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error):
        return RowProblem(0, "", "field_not_csv")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def detect(columns: Sequence[str]) -> str | None:
    """KOBO, ODK, or None when the columns are neither server's export."""
    names = set(columns)
    if "_uuid" in names or "_submission_time" in names:
        return KOBO
    if names & {"SubmissionDate", "KEY", "meta-instanceID"}:
        return ODK
    return None


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first column named one of `names`, as written or as the last part of a group path."""
    for name in names:
        if name in columns:
            return name
    for name in names:
        for column in columns:
            if last_segment(column) == last_segment(name):
                return column
    return None


class _Problems:
    """Problems found over whole columns at once: the first few are named, rows with one are
    dropped from the batch (it is refused anyway) so the shared checks do not name them twice."""

    def __init__(self) -> None:
        self.items: list[RowProblem] = []
        self.bad_rows: set[int] = set()

    def flag(
        self, rows: pd.Series, values: pd.Series, mask: pd.Series, column: str, code: str, **params: object
    ) -> None:
        hit = np.asarray(mask, dtype=bool)
        if not hit.any():
            return
        self.bad_rows.update(int(r) for r in rows[hit].unique())
        for row, value in zip(rows[hit].head(MAX_PROBLEMS), values[hit].head(MAX_PROBLEMS), strict=True):
            self.items.append(RowProblem(int(row), column, code, {**params, "value": value}))


def read_export(data: bytes, wave: SurveyWave, questions: Sequence[Question], areas: Sequence[str],
                segments: Sequence[str] = ()) -> tuple[str, Batch]:  # fmt: skip
    """(source, batch) of a Kobo or ODK CSV export of the wave's form.

    `questions` are the wave's questions in order, `areas` the area codes it asks (comparison
    areas too) and `segments` the campaign's group labels, exactly as `xlsform.build_xlsform`
    was given them, so the field names agree. `source` is "kobo" or "odk" (stored with each
    response), or "" when the file is not an export at all; the batch's `problems` then say why."""
    table = _table(data)
    if isinstance(table, RowProblem):
        return "", _empty([table])
    source = detect(list(table.columns))
    if source is None:
        return "", _empty([RowProblem(0, "", "field_unknown_export")])
    form = field_form(questions, dict.fromkeys(areas, ""), segments)
    return source, _read(table, source, wave, form)


def _read(table: pd.DataFrame, source: str, wave: SurveyWave, form: FieldForm) -> Batch:
    columns = list(table.columns)
    required = {
        "instance": (_find(columns, INSTANCE_COLUMNS[source]), INSTANCE_COLUMNS[source][0]),
        "date": (_find(columns, DATE_COLUMNS[source]), DATE_COLUMNS[source][0]),
        "area": (_find(columns, [AREA_FIELD]), AREA_FIELD),
    }
    missing = [RowProblem(1, expected, "field_missing_column", {"source": source})
               for found, expected in required.values() if found is None]  # fmt: skip
    if missing:
        return _empty(missing)
    instance_col, date_col, area_col = (found for found, _expected in required.values())
    assert instance_col is not None and date_col is not None and area_col is not None
    if table.empty:
        return _empty([RowProblem(0, "", "field_empty")])

    problems = _Problems()
    rows = pd.Series(np.arange(2, len(table) + 2), index=table.index)
    # A submission the field supervisor rejected on the server is not an answer to count.
    rejected = pd.Series(False, index=table.index)
    for column, value in (("ReviewState", "rejected"), ("_validation_status", "validation_status_not_approved")):
        found = _find(columns, [column])
        if found is not None:
            rejected |= table[found].fillna("").str.strip().str.lower() == value
    table, rows = table[~rejected], rows[~rejected]
    if table.empty:
        return _empty([RowProblem(0, "", "field_empty")])

    instance = table[instance_col].str.strip()
    problems.flag(rows, instance, instance == "", instance_col, "field_no_instance")
    problems.flag(rows, instance, instance.str.len() > INSTANCE_MAX, instance_col, "text_too_long",
                  limit=INSTANCE_MAX)  # fmt: skip
    problems.flag(rows, instance, (instance != "") & instance.duplicated(keep="first"), instance_col,
                  "survey_duplicate")  # fmt: skip

    # The day the form was filled in on the device (the form's `today` field) when the export has
    # it: a team that syncs after the wave closed still answered within it. Else the upload's day.
    today_col = _find(columns, ["today"])
    if today_col is not None and table[today_col].fillna("").str.strip().ne("").all():
        date_col = today_col
    raw_day = table[date_col].str.strip()
    stamps = pd.to_datetime(raw_day, errors="coerce", utc=True, format="ISO8601")
    midnight = stamps.dt.tz_convert(None).dt.normalize()
    day = midnight.dt.date
    problems.flag(rows, raw_day, stamps.isna(), date_col, "field_date")
    outside = (midnight < pd.Timestamp(wave.opens_on)) | (midnight > pd.Timestamp(wave.closes_on))
    problems.flag(rows, raw_day, outside, date_col, "survey_day", opens=wave.opens_on, closes=wave.closes_on)

    raw_area = table[area_col].str.strip()
    area = raw_area.map(form.areas)
    problems.flag(rows, raw_area, area.isna(), area_col, "survey_area")

    segment = pd.Series("", index=table.index)
    group_col = _find(columns, [GROUP_FIELD]) if form.groups else None
    if group_col is not None:
        raw_group = table[group_col].str.strip()
        mapped = raw_group.map(form.groups)
        problems.flag(rows, raw_group, (raw_group != "") & mapped.isna(), group_col, "field_group",
                      allowed=", ".join(form.groups))  # fmt: skip
        segment = mapped.fillna("").str.slice(0, SEGMENT_MAX)

    locale = pd.Series(wave.locales[0] if wave.locales else "en", index=table.index)
    language_col = _find(columns, LANGUAGE_FIELDS)
    if language_col is not None:
        raw_language = table[language_col].str.strip()
        # "lt", or ODK's language label "Lietuvių (lt)"
        code = raw_language.str.extract(r"\(([^()]+)\)\s*$", expand=False).fillna(raw_language)
        given = raw_language != ""
        problems.flag(rows, raw_language, given & ~code.isin(list(wave.locales)), language_col, "survey_locale",
                      allowed=", ".join(wave.locales))  # fmt: skip
        locale = locale.where(~given, code)

    answers = [_answers(table, rows, name, question, problems) for name, question in form.questions.items()]
    responses = pd.DataFrame({"row": rows, "area_code": area.fillna(raw_area), "locale": locale,
                              "segment": segment, "day": day, "instance_id": instance})  # fmt: skip
    frame = pd.concat([a for a in answers if not a.empty] or [pd.DataFrame(columns=ANSWER_COLUMNS)],
                      ignore_index=True)  # fmt: skip
    if problems.bad_rows:
        bad = list(problems.bad_rows)
        responses = responses[~responses["row"].isin(bad)]
        frame = frame[~frame["row"].isin(bad)]
    items = sorted(problems.items, key=lambda p: p.row)
    return Batch(responses.reset_index(drop=True), frame.reset_index(drop=True), items)


def _answers(table: pd.DataFrame, rows: pd.Series, name: str, question: Question, problems: _Problems) -> pd.DataFrame:
    """One question's column as answer rows (row, question, value, column); blank cells give none.

    A select-multiple cell "1 3" gives ANSWERED, 1 and 3 (how every source stores one)."""
    column = _find(list(table.columns), [name])
    if column is None:
        return pd.DataFrame(columns=ANSWER_COLUMNS)
    cells = table[column].str.strip()
    given = cells != ""
    if question.kind == "multiple":
        tokens = cells[given].str.split().explode()
        cell_rows = rows[given].loc[tokens.index]
        good = tokens.str.fullmatch(_INTEGER)
        problems.flag(cell_rows, tokens, ~good, column, "survey_choice",
                      allowed=", ".join(str(c) for c in question.codes()))  # fmt: skip
        chosen = pd.DataFrame({"row": cell_rows[good].to_numpy(), "value": tokens[good].astype(int).to_numpy()})
        marked = pd.DataFrame({"row": rows[given].to_numpy(), "value": ANSWERED})
        out = pd.concat([marked, chosen], ignore_index=True).drop_duplicates(["row", "value"])
    else:
        values = cells[given]
        good = values.str.fullmatch(_INTEGER)
        if question.kind == "number":
            problems.flag(rows[given], values, ~good, column, "survey_number", maximum=NUMBER_MAX)
        else:
            problems.flag(rows[given], values, ~good, column, "survey_choice",
                          allowed=", ".join(str(c) for c in question.codes()))  # fmt: skip
        out = pd.DataFrame({"row": rows[given][good].to_numpy(), "value": values[good].astype(int).to_numpy()})
    return out.assign(question=question.key, column=column).sort_values(["row", "value"])[ANSWER_COLUMNS]
