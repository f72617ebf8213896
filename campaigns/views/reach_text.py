"""What to fix in reach rows, in the user's language: one sentence per `RowProblem`, naming the
row, the column and what was expected. Shared by the import pages and the JSON API."""

from __future__ import annotations

from flask_babel import format_date, gettext

from ..services.reach import ReachRejected, RowProblem


def problem_message(problem: RowProblem) -> str:
    p = problem.params
    value = str(p.get("value", ""))
    texts = {
        "missing": lambda: gettext("No column gives “%(column)s”; choose the file's column for it.",
                                   column=problem.column),
        "date_invalid": lambda: gettext("“%(value)s” is not a date; write it as year-month-day, for example "
                                        "2027-03-01.", value=value),
        "period_reversed": lambda: gettext("The period ends before it starts."),
        "before_start": lambda: gettext("%(value)s is before the campaign started (%(day)s).", value=value,
                                        day=format_date(p["starts"], "long")) if "starts" in p else "",
        "after_end": lambda: gettext("%(value)s is after %(day)s: reach can be recorded up to the campaign's last "
                                     "day and not for days still to come.", value=value,
                                     day=format_date(p["last"], "long")) if "last" in p else "",
        "too_long": lambda: gettext("Use at most %(limit)s characters.", limit=p.get("limit", 0)),
        "channel_unknown": lambda: gettext("“%(value)s” is not one of this campaign's channels (%(allowed)s).",
                                           value=value, allowed=p.get("allowed", "")),
        "area_unknown": lambda: gettext("“%(value)s” is not one of this campaign's areas; use the area's code or "
                                        "name as the campaign lists it.", value=value),
        "locale_unknown": lambda: gettext("“%(value)s” is not a language code the planner knows (for example en, "
                                          "lt, pl).", value=value),
        "number_invalid": lambda: gettext("“%(value)s” is not a whole number of 0 or more.", value=value),
        "nothing_reported": lambda: gettext("The row gives no figure: fill in at least one of people reached, "
                                            "impressions, clicks, events, people trained or materials."),
        "impressions_below_reach": lambda: gettext("Fewer impressions than people reached: every person reached "
                                                   "saw at least one impression. Check that the columns are not "
                                                   "swapped."),
        "identifier": lambda: gettext("This column looks like it holds %(what)s; reach rows must not hold personal "
                                      "data. Remove the column or map another one.", what=p.get("what", "")),
        "duplicate": lambda: gettext("Same period, channel, area, group and language as row %(value)s; keep one "
                                     "of the two.", value=value),
    }  # fmt: skip
    text = texts.get(problem.code)
    return text() if text else problem.code


def located(problem: RowProblem) -> str:
    """The problem with where it is: "Row 14, column Reach: …"."""
    return gettext("Row %(row)s, column “%(column)s”: %(message)s", row=problem.row, column=problem.column,
                   message=problem_message(problem))  # fmt: skip


def rejection_summary(exc: ReachRejected) -> str:
    """One line over the list: how many problems, and that nothing was stored."""
    return gettext(
        "Nothing was stored: %(n)s problem(s) in the rows. Fix them and try again; the first ones are listed.",
        n=exc.total,
    )
