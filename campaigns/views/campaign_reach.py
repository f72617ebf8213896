"""Reach of a campaign: rows typed in a form, files imported through a column mapping, and
corrections. The rules (what a row may say, what adds up) live in `services.reach`; this module
parses, keeps no transaction open while a big file is checked, and says what to fix."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import pandas as pd
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l

from content.locales import LOCALES

from ..bounded_ints import int_arg
from ..extensions import db
from ..models import REACH_MEASURES, Campaign, ReachRow
from ..plain_text import strip_controls, uploaded_filename
from ..queries import org_owned
from ..services import parked_uploads, reach, reach_import
from ..services.campaigns import CampaignError
from .campaigns_ import CHANNEL_LABELS, _refusal, bp, problem_text
from .reach_text import located, problem_message, rejection_summary

MEASURE_LABELS: Final = {
    "reached": _l("People reached"),
    "impressions": _l("Impressions"),
    "clicks": _l("Clicks"),
    "events": _l("Events held"),
    "trained": _l("People trained"),
    "materials": _l("Materials handed out"),
}
FIELD_LABELS: Final = {
    "day": _l("Day (a one-day period)"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "channel": _l("Channel"),
    "area": _l("Area (code or name)"),
    "segment": _l("Group"),
    "locale": _l("Language"),
    **MEASURE_LABELS,
}
PERIOD: Final = ("period_start", "period_end")
PAGE_SIZE: Final = 50
PREVIEW_ROWS: Final = 8


def _page(campaign: Campaign, *, errors: list[str] | None = None, form: Any = None, status: int = 200) -> Any:
    offset = max(0, int_arg(request.args, "offset", 0))
    return render_template(
        "campaigns/reach.html", campaign=campaign, rows=reach.rows_page(campaign.id, offset=offset, limit=PAGE_SIZE),
        total=reach.row_count(campaign.id), offset=offset, page_size=PAGE_SIZE, errors=errors or [],
        form=form if form is not None else {}, channel_labels=CHANNEL_LABELS, measure_labels=MEASURE_LABELS,
        locales=LOCALES, open_problem=_open_problem(campaign), today=date.today(),
        area_names={a.area_code: a.name for a in campaign.areas},
    ), status  # fmt: skip


def _open_problem(campaign: Campaign) -> str | None:
    try:
        reach.check_open(campaign)
    except CampaignError as exc:
        return problem_text(exc)
    return None


@bp.route("/<int:campaign_id>/reach", methods=["GET", "POST"])
def reach_rows(campaign_id: int) -> Any:
    """Rows as stored, newest period first, and a form for one more row (or a correction: a row
    with the same period, channel, area, group and language replaces the stored one)."""
    campaign = org_owned(Campaign, campaign_id)
    if request.method == "GET":
        return _page(campaign)
    form = request.form
    raw = pd.DataFrame([{
        "period_start": form.get("period_start", ""), "period_end": form.get("period_end", "")
        or form.get("period_start", ""), "channel": form.get("channel", ""), "area_code": form.get("area_code", ""),
        "segment": strip_controls(form.get("segment"))[:100], "locale": form.get("locale", ""),
        **{m: form.get(m, "") for m in REACH_MEASURES},
    }])  # fmt: skip
    try:
        reach.check_open(campaign)
        rows = reach.coerce(campaign, raw, row_numbers=[1], columns=_form_columns(), today=date.today())
    except CampaignError as exc:
        return _page(campaign, errors=[problem_text(exc)], form=form, status=409)
    except reach.ReachRejected as exc:
        return _page(campaign, errors=[_row_free(p) for p in exc.problems], form=form, status=422)
    batch = reach.store(g.actor, campaign, rows, source="form")
    if batch.replaced:
        flash(gettext("The row for that period, channel and area was replaced (a correction)."), "success")
    else:
        flash(gettext("Reach saved."), "success")
    return redirect(url_for("campaigns.reach_rows", campaign_id=campaign.id))


def _row_free(problem: reach.RowProblem) -> str:
    """A form has one row: the message names the field, not a row number."""
    return f"{problem.column}: {problem_message(problem)}"


def _form_columns() -> dict[str, str]:
    """The form's field labels, in the reader's language, for the checks' messages."""
    labels = {f: str(FIELD_LABELS[f]) for f in reach.FIELDS if f in FIELD_LABELS}
    return labels | {"area_code": str(FIELD_LABELS["area"])}


@bp.route("/<int:campaign_id>/reach/<int:row_id>", methods=["GET", "POST"])
def reach_row(campaign_id: int, row_id: int) -> Any:
    """Correct one row's figures (audited with the figures before), or delete it."""
    campaign = org_owned(Campaign, campaign_id)
    found = db.session.get(ReachRow, row_id)
    if found is None or found.campaign_id != campaign.id:
        abort(404)
    row: ReachRow = found
    errors: list[str] = []
    if request.method == "POST":
        if request.form.get("delete"):
            refused = _refusal(lambda: reach.remove(g.actor, campaign, row))
            if refused is None:
                flash(gettext("The row was deleted."), "success")
                return redirect(url_for("campaigns.reach_rows", campaign_id=campaign.id))
            errors.append(problem_text(refused))
        else:
            # The stored key with the typed figures, through the same checks as every other row.
            key = {k: getattr(row, k) for k in reach.KEY} | {k: getattr(row, k).isoformat() for k in PERIOD}
            raw = pd.DataFrame([key | {m: request.form.get(m, "") for m in REACH_MEASURES}])
            try:
                checked = reach.coerce(campaign, raw, row_numbers=[1], columns=_form_columns(), today=date.today())
            except reach.ReachRejected as exc:
                errors.extend(_row_free(p) for p in exc.problems)
            else:
                values = {m: None if pd.isna(checked.at[0, m]) else int(checked.at[0, m]) for m in REACH_MEASURES}
                refused = _refusal(lambda: reach.correct(g.actor, campaign, row, values))
                if refused is None:
                    flash(gettext("Row corrected; the change is in the audit log."), "success")
                    return redirect(url_for("campaigns.reach_rows", campaign_id=campaign.id))
                errors.append(problem_text(refused))
        campaign = org_owned(Campaign, campaign_id)
        row = db.session.get(ReachRow, row_id) or abort(404)  # read again: the refusal rolled back
    return render_template("campaigns/reach_row.html", campaign=campaign, row=row, errors=errors,
                           channel_labels=CHANNEL_LABELS, measure_labels=MEASURE_LABELS,
                           form=request.form if errors else None), (422 if errors else 200)  # fmt: skip


# --- importing a file -------------------------------------------------------------------------------


def _preview(table: reach_import.ReachFile) -> dict[str, Any]:
    head = table.frame.head(PREVIEW_ROWS)
    return {"columns": table.columns, "rows": head.astype(object).where(head.notna(), "").values.tolist(),
            "total": len(table.frame)}  # fmt: skip


def _import_page(campaign: Campaign, **context: Any) -> Any:
    status = context.pop("status", 200)
    context.setdefault("problems", [])
    context.setdefault("summary", "")
    return render_template(
        "campaigns/reach_import.html", campaign=campaign, field_labels=FIELD_LABELS, channel_labels=CHANNEL_LABELS,
        open_problem=_open_problem(campaign), **context,
    ), status  # fmt: skip


@bp.route("/<int:campaign_id>/reach/import", methods=["GET", "POST"])
def reach_import_file(campaign_id: int) -> Any:
    """Step 1: upload a file; step 2 (with `token`): map its columns and import. A file with any
    bad row stores nothing, and the page lists the rows and columns to fix."""
    campaign = org_owned(Campaign, campaign_id)
    if request.method == "GET":
        return _import_page(campaign)
    token = request.form.get("token", "")
    if not token:
        file = request.files.get("file")
        name = uploaded_filename(file.filename) if file is not None else ""
        if file is None or not name:
            return _import_page(campaign, summary=gettext("Choose a file to upload."), status=400)
        data = file.read()
        try:
            table = reach_import.read(name, data)
        except reach_import.FileRefused as exc:
            return _import_page(campaign, summary=gettext(
                "The file could not be read as a table: %(reason)s", reason=exc.params.get("reason", "")), status=422)
        token = parked_uploads.park(current_app.instance_path, g.user.id, name, data)
        return _mapping_page(campaign, table, token, reach_import.guess_mapping(table.columns), None)
    try:
        parked = parked_uploads.take(current_app.instance_path, g.user.id, token)
    except ValueError:
        abort(400)
    except parked_uploads.UploadExpired:
        return _import_page(campaign, summary=gettext("The uploaded file has expired; upload it again."), status=410)
    table = reach_import.read(parked.name, parked.data)
    mapping = {f: request.form[f"map:{f}"] for f in reach_import.MAPPABLE if request.form.get(f"map:{f}")}
    channel = request.form.get("channel") or None
    try:
        reach.check_open(campaign)
    except CampaignError as exc:
        return _mapping_page(campaign, table, token, mapping, channel, summary=problem_text(exc), status=409)
    rules = reach.CampaignRules.of(campaign)
    db.session.commit()  # no transaction (no SQLite write lock) open while a big file is checked
    try:
        rows = reach_import.apply(rules, table, mapping, channel=channel, today=date.today())
    except reach.ReachRejected as exc:
        return _mapping_page(campaign_id, table, token, mapping, channel, summary=rejection_summary(exc),
                             problems=[located(p) for p in exc.problems], status=422)  # fmt: skip
    campaign = org_owned(Campaign, campaign_id)
    refused = _refusal(lambda: reach.store(g.actor, campaign, rows, source="csv", file_name=parked.name,
                                           mapping={**mapping, "channel": channel or ""}))  # fmt: skip
    if refused is not None:
        return _mapping_page(campaign_id, table, token, mapping, channel, summary=problem_text(refused), status=409)
    db.session.commit()
    parked.path.unlink(missing_ok=True)
    flash(gettext("%(n)s reach rows imported from %(file)s.", n=format_decimal(len(rows)), file=parked.name),
          "success")  # fmt: skip
    return redirect(url_for("campaigns.show", campaign_id=campaign.id) + "#coverage")


def _mapping_page(
    campaign: Campaign | int, table: reach_import.ReachFile, token: str, mapping: dict[str, str], channel: str | None,
    **context: Any,
) -> Any:
    if isinstance(campaign, int):
        campaign = org_owned(Campaign, campaign)
    return _import_page(campaign, token=token, preview=_preview(table), mapping=mapping, channel=channel,
                        fields=reach_import.MAPPABLE, **context)  # fmt: skip
