"""Reports: every campaign's effectiveness report as a page, a PDF and a CSV.

Reviewers read them; nothing here changes a campaign or a survey. An evaluated campaign's report
is the frozen one (`freeze.py`), shown with its data hash and code version; any other campaign's
is computed on each view from the stored answers.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pandas as pd
from flask import Response, current_app, g, render_template, request
from flask_babel import format_date, format_decimal, format_percent, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..access import Section
from ..extensions import db
from ..models import Campaign, CampaignStatus, Role
from ..queries import org_owned
from ..surveys.models import ReportFreeze, SurveyResponse, SurveyWave
from ..views.campaigns_ import CHANNEL_LABELS, STATUS_LABELS
from ..views.charts import PALETTE, Interval, interval_chart, reach_chart, reach_series
from ..views.filters import percent
from . import build, freeze

bp = Section("reports", __name__, url_prefix="/reports", roles={Role.ADMIN, Role.COORDINATOR, Role.REVIEWER})

WAVE_LABELS: Final = {"baseline": _l("Before (baseline)"), "endline": _l("After (endline)"),
                      "follow_up": _l("Later (follow-up)")}  # fmt: skip
GROUP_LABELS: Final = {"campaign": _l("campaign areas"), "comparison": _l("comparison areas")}
# What the hoped-for answer means, to complete "... said they ..." in the summary.
OUTCOME_PHRASES: Final = {
    "signs-two": _l("could name at least two signs of exploitation"),
    "knows-report": _l("would report to a helpline or the police"),
    "act-differently": _l("would do something if they noticed signs"),
    "trusts-helpline": _l("trust the helpline"),
    "seen-material": _l("had seen material about exploitation at work"),
    "seen-where": _l("saw it there"),
}
CSV_COLUMNS: Final = ("outcome", "option", "wave", "group", "breakdown", "value", "n", "count", "share", "lower",
                      "upper", "test", "statistic", "p_value", "mean")  # fmt: skip


def _ci() -> str:
    """ "95%" as the reader's locale writes it (CLDR), kept out of the messages: a bare % breaks them."""
    return str(format_percent(0.95))


def _k() -> int:
    return int(current_app.config["SETTINGS"].suppression_k)


def report_numbers(campaign: Campaign) -> tuple[dict[str, Any], ReportFreeze | None]:
    """The frozen numbers of an evaluated campaign, otherwise the numbers as of now."""
    frozen = db.session.get(ReportFreeze, campaign.id) if campaign.status == CampaignStatus.EVALUATED else None
    if frozen is not None:
        return frozen.numbers, frozen
    return build.build_report(campaign, _k()), None


@bp.route("/")
def index() -> Any:
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.organisation_id == g.user.organisation_id)
        .order_by(Campaign.starts.desc(), Campaign.id)
    ).all()  # fmt: skip
    ids = [c.id for c in campaigns]  # this organisation's only: no counting over everyone's surveys
    waves = dict(db.session.execute(
        select(SurveyWave.campaign_id, func.count()).where(SurveyWave.campaign_id.in_(ids))
        .group_by(SurveyWave.campaign_id)).all())  # fmt: skip
    answered = dict(db.session.execute(
        select(SurveyWave.campaign_id, func.count(SurveyResponse.id))
        .join(SurveyResponse, SurveyResponse.wave_id == SurveyWave.id).where(SurveyWave.campaign_id.in_(ids))
        .group_by(SurveyWave.campaign_id)).all())  # fmt: skip
    frozen = set(db.session.scalars(select(ReportFreeze.campaign_id).where(ReportFreeze.campaign_id.in_(ids))))
    k = _k()
    rows = [{"campaign": c, "waves": waves.get(c.id, 0), "answers": answered.get(c.id, 0),
             "small": 1 <= answered.get(c.id, 0) < k, "frozen": c.id in frozen} for c in campaigns]  # fmt: skip
    return render_template("reports/index.html", rows=rows, status_labels=STATUS_LABELS, k=k, ci=_ci())


def _label(row: dict[str, Any]) -> str:
    return f"{WAVE_LABELS[row['wave_kind']]}, {GROUP_LABELS[row['group']]}"


def outcome_title(numbers: dict[str, Any], outcome: dict[str, Any]) -> str:
    question = numbers["questions"][outcome["key"]]
    text = gettext(question["text"]) if question["bank"] else question["text"]
    if outcome["option"] is not None:
        choice = question["choices"][str(outcome["option"])]
        return f"{text} — {gettext(choice) if question['bank'] else choice}"
    return str(text)


def _phrase(numbers: dict[str, Any], outcome: dict[str, Any]) -> str:
    if outcome["key"] in OUTCOME_PHRASES and outcome["option"] is None:
        return str(OUTCOME_PHRASES[outcome["key"]])
    return gettext("gave the hoped-for answer to “%(question)s”", question=outcome_title(numbers, outcome))


def _interval(row: dict[str, Any]) -> str:
    return gettext("%(share)s (%(lower)s to %(upper)s)", share=percent(row["share"]), lower=percent(row["lower"]),
                   upper=percent(row["upper"]))  # fmt: skip


def summary(numbers: dict[str, Any], outcome: dict[str, Any]) -> str:
    """The sentence a non-statistician can quote, with n, interval and the verdict's words."""
    rows = {(r["wave_kind"], r["group"]): r for r in outcome["rows"]}
    before, after = rows.get(("baseline", "campaign")), rows.get(("endline", "campaign"))
    phrase = _phrase(numbers, outcome)
    if after is None or after["hidden"] or not after["n"]:
        return gettext("Too few answers after the campaign to say how many %(phrase)s.", phrase=phrase)
    text = gettext("Of %(n)s people asked after the campaign, %(interval)s %(phrase)s", n=format_decimal(after["n"]),
                   interval=_interval(after), phrase=phrase)  # fmt: skip
    if before is None or before["hidden"] or not before["n"]:
        return text + "; " + gettext("too few answers before it to compare.")
    change = next((c for c in outcome["changes"] if c["group"] == "campaign" and c["to_kind"] == "endline"), None)
    word = "up" if after["share"] > before["share"] else "down"
    text += ", " + (gettext("up from %(interval)s of %(n)s before", interval=_interval(before),
                            n=format_decimal(before["n"])) if word == "up" else
                    gettext("down from %(interval)s of %(n)s before", interval=_interval(before),
                            n=format_decimal(before["n"])))  # fmt: skip
    if change is not None and change["too_few_answers"]:
        return text + " (" + gettext("too few answers") + ")."
    if change is not None and not change["significant"]:
        return text + " (" + gettext("not significant") + ")."
    return text + "."


def _charts(numbers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, outcome in enumerate(numbers["outcomes"]):
        rows = [Interval(_label(r), r["share"], r["lower"], r["upper"],
                         PALETTE[0] if r["group"] == "campaign" else PALETTE[1]) for r in outcome["rows"]]  # fmt: skip
        out[f"outcome-{i}"] = interval_chart(
            rows, title=outcome_title(numbers, outcome),
            describe=gettext("Each dot is the share, each bar its %(ci)s interval, per wave and group.", ci=_ci()),
            format_share=percent,
        )  # fmt: skip
    timeline = numbers["reach"]["timeline"]
    if timeline:
        frame = pd.DataFrame(timeline)
        frame["period_start"] = frame["period_start"].map(date.fromisoformat)
        frame["period_end"] = frame["period_end"].map(date.fromisoformat)
        series = reach_series(frame, {k: str(v) for k, v in CHANNEL_LABELS.items()},
                              {1: gettext("per day"), 7: gettext("per week")})  # fmt: skip
        if series:
            first = min(s for x in series for s, _e, _v in x.steps)
            last = max(e for x in series for _s, e, _v in x.steps)
            out["reach"] = reach_chart(
                series, first=first, last=last, title=gettext("People reached per reporting period, by channel"),
                describe=gettext("Each line is one channel's figures for periods of one length; figures of "
                                 "different periods are not added up."),
                format_number=format_decimal, format_day=lambda d: format_date(d, "medium"),
            )  # fmt: skip
    areas = [a for a in numbers["reach"]["areas"] if a["coverage"] is not None]
    if areas:
        out["coverage"] = interval_chart(
            [Interval(a["name"], a["coverage"], None, None, PALETTE[2]) for a in areas],
            title=gettext("Share of each area's people certainly reached"),
            describe=gettext("The largest number one reporting period reached, over the area's population."),
            format_share=percent,
        )  # fmt: skip
    return out


def _context(campaign: Campaign) -> dict[str, Any]:
    numbers, frozen = report_numbers(campaign)
    return {
        "campaign": campaign, "r": numbers, "frozen": frozen, "charts": _charts(numbers), "summary": summary,
        "outcome_title": outcome_title, "wave_labels": WAVE_LABELS, "group_labels": GROUP_LABELS,
        "channel_labels": CHANNEL_LABELS, "ci": _ci(), "status_labels": STATUS_LABELS,
        "day": date.fromisoformat,
    }  # fmt: skip


@bp.route("/<int:campaign_id>")
def campaign(campaign_id: int) -> Any:
    found = org_owned(Campaign, campaign_id)
    return render_template("reports/report.html", **_context(found))


@bp.route("/<int:campaign_id>/verify")
def verify(campaign_id: int) -> Any:
    found = org_owned(Campaign, campaign_id)
    frozen = db.session.get(ReportFreeze, found.id)
    result = freeze.verify(found, frozen, _k()) if frozen is not None else None
    return render_template("reports/verify.html", campaign=found, frozen=frozen, result=result)


STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"


def _static_only(url: str) -> dict[str, Any]:
    """WeasyPrint's fetcher for the report: the app's own stylesheets from disk, nothing else (no
    request back into the server that is rendering, nothing from the network)."""
    path = urlsplit(url).path
    prefix = "/static/"
    target = (STATIC_DIR / path[len(prefix):]).resolve() if path.startswith(prefix) else None
    if target is None or STATIC_DIR not in target.parents or not target.is_file():
        raise ValueError(f"the report PDF loads only the app's static files, not {url}")
    mime = "text/css" if target.suffix == ".css" else "image/svg+xml" if target.suffix == ".svg" else None
    return {"string": target.read_bytes(), "mime_type": mime, "redirected_url": url}


@bp.route("/<int:campaign_id>.pdf")
def pdf(campaign_id: int) -> Any:
    from weasyprint import HTML

    found = org_owned(Campaign, campaign_id)
    html = render_template("reports/report.html", printing=True, **_context(found))
    data = HTML(string=html, base_url=request.url_root, url_fetcher=_static_only).write_pdf()
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="report-{found.id}.pdf"'})  # fmt: skip


def csv_rows(numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per outcome x wave x group (and per breakdown value), with the test where one applies."""
    waves = {w["id"]: w["kind"] for w in numbers["waves"]}
    out: list[dict[str, Any]] = []
    for o in numbers["outcomes"]:
        base = {"outcome": o["key"], "option": "" if o["option"] is None else o["option"]}
        changes = {(c["group"], c["to"]): c for c in o["changes"]}
        for r in o["rows"]:
            change = changes.get((r["group"], r["wave"]))
            out.append({**base, "wave": r["wave_kind"], "group": r["group"], "n": r["n"], "count": r["count"],
                        "share": r["share"], "lower": r["lower"], "upper": r["upper"],
                        "test": "two-proportion z vs baseline" if change and change["statistic"] is not None else "",
                        "statistic": change["statistic"] if change else None,
                        "p_value": change["p_value"] if change else None})  # fmt: skip
        if o["did"]:
            d = o["did"]
            out.append({**base, "wave": "endline vs baseline", "group": "campaign vs comparison", "n": d["n"],
                        "share": d["estimate"], "lower": d["lower"], "upper": d["upper"],
                        "test": "difference in differences (LPM, area-clustered t)", "p_value": d["p_value"],
                        "statistic": d["estimate"] / d["se"] if d["se"] else None})  # fmt: skip
        for by, rows in o["breakdowns"].items():
            for r in rows:
                out.append({**base, "wave": waves.get(r["wave"], ""), "group": r["group"], "breakdown": by,
                            "value": r["value"], "n": r["n"], "count": r["count"], "share": r["share"],
                            "lower": r["lower"], "upper": r["upper"]})  # fmt: skip
    for q in numbers["numbers"]:
        for r in q["rows"]:
            out.append({"outcome": q["key"], "wave": r["wave_kind"], "group": r["group"], "n": r["n"],
                        "mean": r["mean"], "lower": r["lower"], "upper": r["upper"]})  # fmt: skip
    return out


@bp.route("/<int:campaign_id>.csv")
def csv_download(campaign_id: int) -> Any:
    found = org_owned(Campaign, campaign_id)
    numbers, _frozen = report_numbers(found)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in csv_rows(numbers):
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_COLUMNS})
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="report-{found.id}.csv"'})  # fmt: skip
