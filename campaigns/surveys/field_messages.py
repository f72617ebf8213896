"""What to fix in survey answers, in the user's language: one sentence per `RowProblem`.

`answers.check` and `field_import` only name a code and its values; this module phrases them,
for the field imports and for anyone else showing a refused batch (the public form, the API).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import format_date, gettext

from ..services.reach import RowProblem
from .answers import SurveyRejected


def _day(value: Any) -> str:
    return format_date(value, "long") if isinstance(value, date) else str(value)


def problem_message(problem: RowProblem) -> str:
    """The problem as one sentence saying what is wrong and what to do; the code itself when it
    is one this module does not know (a new check shows up untranslated, never as nothing)."""
    p = problem.params
    value = str(p.get("value", ""))
    texts: dict[str, Callable[[], str]] = {
        "survey_area": lambda: gettext("“%(value)s” is not one of the wave's areas. Use the form downloaded for "
                                       "this wave, whose area list gives each area's code.", value=value),
        "survey_locale": lambda: gettext("“%(value)s” is not one of the wave's languages (%(allowed)s).",
                                         value=value, allowed=p.get("allowed", "")),
        "survey_day": lambda: gettext("%(value)s is outside the wave, which runs from %(opens)s to %(closes)s. "
                                      "Remove the row, or change the wave's dates if they were wrong.",
                                      value=_day(value), opens=_day(p.get("opens", "")),
                                      closes=_day(p.get("closes", ""))),
        "survey_duplicate": lambda: gettext("The submission id “%(value)s” appears twice in the file; remove one "
                                            "of the two rows.", value=value),
        "survey_question": lambda: gettext("“%(value)s” is not one of the wave's questions.", value=value),
        "survey_number": lambda: gettext("“%(value)s” is not a whole number from 0 to %(maximum)s.", value=value,
                                         maximum=p.get("maximum", "")),
        "survey_choice": lambda: gettext("“%(value)s” is not one of the question's answer codes (%(allowed)s). "
                                         "Export the answers as codes (XML values), not as labels.", value=value,
                                         allowed=p.get("allowed", "")),
        "survey_twice": lambda: gettext("The question is answered twice for the same person; keep one answer."),
        "text_too_long": lambda: gettext("Use at most %(limit)s characters.", limit=p.get("limit", 0)),
        "field_missing_column": lambda: gettext(
            "The file has no column “%(column)s”. Upload the CSV export of this wave's form as the server gives "
            "it, without renaming or removing columns (in KoboToolbox, export with “XML values and headers”).",
            column=problem.column,
        ),
        "field_not_csv": lambda: gettext("The file is not a CSV file. In KoboToolbox or ODK Central, download the "
                                         "submissions as CSV and upload that file."),
        "field_encoding": lambda: gettext("The file is not UTF-8 text. Upload the CSV exactly as the server "
                                          "exported it, without opening and saving it in a spreadsheet."),
        "field_empty": lambda: gettext("The file holds no submissions."),
        "field_unknown_export": lambda: gettext("The file is not a KoboToolbox or ODK Central export: it has "
                                                "neither a “_uuid” nor a “meta-instanceID” column. Upload the "
                                                "server's CSV export of this wave's form."),
        "field_no_instance": lambda: gettext("The submission has no id; upload the export as the server gives "
                                             "it."),
        "field_date": lambda: gettext("“%(value)s” is not a date and time as the server writes it.",
                                      value=value),
        "field_group": lambda: gettext("“%(value)s” is not one of the campaign's groups (%(allowed)s). Use the "
                                       "form downloaded for this wave.", value=value, allowed=p.get("allowed", "")),
    }  # fmt: skip
    text = texts.get(problem.code)
    return text() if text else problem.code


def located(problem: RowProblem) -> str:
    """The problem with where it is: "Row 14, column “area”: …", or the file as a whole."""
    if problem.row <= 0:
        return problem_message(problem)
    if problem.row == 1 and problem.code == "field_missing_column":
        return problem_message(problem)
    if not problem.column:
        return gettext("Row %(row)s: %(message)s", row=problem.row, message=problem_message(problem))
    return gettext("Row %(row)s, column “%(column)s”: %(message)s", row=problem.row, column=problem.column,
                   message=problem_message(problem))  # fmt: skip


def rejection_summary(exc: SurveyRejected) -> str:
    """One line over the list: that nothing was stored, and how many problems were found."""
    return gettext(
        "Nothing was stored: %(n)s problem(s) found. Fix them in the file and upload it again; the first ones "
        "are listed.",
        n=exc.total,
    )
