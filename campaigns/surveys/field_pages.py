"""Field teams: the XLSForm download and the Kobo / ODK answer imports (routes on `views.bp`).

A team that asks offline downloads the wave's XLSForm, puts it on KoboToolbox or ODK Central,
and brings the server's CSV export back here. The import stores the whole file in one
transaction or nothing, and importing the same export again stores nothing new.
"""

from __future__ import annotations

from typing import Any, Final

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l

from content.locales import SOURCE_LOCALE, language_name

from ..downloads import attachment
from ..extensions import db
from ..models import Campaign, CampaignStatus
from ..plain_text import uploaded_filename
from ..queries import org_owned
from ..services import audit
from . import answers, field_import, xlsform
from .field_messages import located, rejection_summary
from .models import SurveyWave, WaveKind
from .views import bp

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_LABELS: Final = {
    WaveKind.BASELINE: _l("Baseline (before the campaign)"),
    WaveKind.ENDLINE: _l("Endline (after the campaign)"),
    WaveKind.FOLLOW_UP: _l("Follow-up (some time after the endline)"),
}


def _wave(campaign_id: int, wave_id: int) -> tuple[Campaign, SurveyWave]:
    """The user's organisation's campaign and one of its waves; 404 for anyone else's."""
    campaign = org_owned(Campaign, campaign_id)
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None or wave.campaign_id != campaign.id:
        abort(404)
    return campaign, wave


def _segments(campaign: Campaign) -> list[str]:
    return [str(s.get("segment", "")) for s in campaign.segments or [] if str(s.get("segment", "")).strip()]


@bp.route("/<int:wave_id>/xlsform")
def wave_xlsform(campaign_id: int, wave_id: int) -> Any:
    """The wave's XLSForm, to upload to KoboToolbox or ODK Central."""
    campaign, wave = _wave(campaign_id, wave_id)
    areas = {code: name for code, (name, _comparison) in answers.wave_areas(wave).items()}
    title = f"{campaign.name} – {KIND_LABELS[wave.kind]}"
    data = xlsform.build_xlsform(wave, answers.wave_questions(wave), areas, _segments(campaign), title)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment(f"{campaign.name}-{wave.kind.value}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(campaign: Campaign, wave: SurveyWave, status: int = 200, **context: Any) -> Any:
    context.setdefault("summary", "")
    context.setdefault("problems", [])
    read_only = campaign.status == CampaignStatus.EVALUATED
    first = wave.locales[0] if wave.locales else SOURCE_LOCALE
    return render_template(
        "surveys/field_import.html", campaign=campaign, wave=wave, kind_label=KIND_LABELS[wave.kind],
        read_only=read_only, stored=answers.count(wave.id), first_language=language_name(first, str(get_locale())),
        **context,
    ), status  # fmt: skip


@bp.route("/<int:wave_id>/import", methods=["GET", "POST"])
def wave_import(campaign_id: int, wave_id: int) -> Any:
    """Upload a Kobo or ODK CSV export of the wave's form. A file with any bad row stores nothing
    and the page lists the rows and columns to fix; a good one is stored in one transaction."""
    campaign, wave = _wave(campaign_id, wave_id)
    if request.method == "GET":
        return _page(campaign, wave)
    if campaign.status == CampaignStatus.EVALUATED:
        return _page(
            campaign,
            wave,
            409,
            summary=gettext(
                "This campaign has been evaluated and its report published: its answers can no longer change."
            ),
        )
    file = request.files.get("file")
    name = uploaded_filename(file.filename) if file is not None else ""
    if file is None or not name:
        return _page(campaign, wave, 400, summary=gettext("Choose a file to upload."))
    areas = list(answers.wave_areas(wave))
    source, batch = field_import.read_export(file.read(), wave, answers.wave_questions(wave), areas,
                                             _segments(campaign))  # fmt: skip
    try:
        stored, already = answers.store(wave, batch, source or "field")
    except answers.SurveyRejected as exc:
        db.session.rollback()
        campaign, wave = _wave(campaign_id, wave_id)
        return _page(campaign, wave, 422, summary=rejection_summary(exc), problems=[located(p) for p in exc.problems])
    audit.record(g.actor, "survey.import", "survey_wave", wave.id, organisation_id=campaign.organisation_id,
                 source=source, stored=stored, already=already, rows=len(batch.responses))  # fmt: skip
    db.session.commit()
    flash(gettext("%(stored)s responses stored; %(already)s were already there from an earlier import.",
                  stored=format_decimal(stored), already=format_decimal(already)), "success")  # fmt: skip
    return redirect(url_for("surveys.wave_import", campaign_id=campaign.id, wave_id=wave.id))
