"""What a coordinator prints for a wave: the QR code of its public link, and one-time codes for
the cards of a wave answered with codes (routes on `views.bp`)."""

from __future__ import annotations

import csv
import io
from typing import Any

import segno
from flask import Response, abort, g, render_template, request
from flask_babel import gettext

from content.locales import language_name

from ..downloads import attachment
from ..extensions import db
from ..models import Campaign
from ..queries import org_owned
from ..services import audit
from . import codes
from .models import SurveyWave, WaveAccess, WaveStatus
from .public import public_links, wave_locales
from .views import bp


def _wave(campaign_id: int, wave_id: int) -> tuple[Campaign, SurveyWave]:
    """The campaign (of the user's organisation) and its wave; a wave of another campaign is 404."""
    campaign = org_owned(Campaign, campaign_id)
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None or wave.campaign_id != campaign.id:
        abort(404)
    return campaign, wave


@bp.get("/<int:wave_id>/qr.svg")
def qr_code(campaign_id: int, wave_id: int) -> Response:
    """The public link as an SVG QR code, for posters and cards. `?locale=` links straight to one
    language's form; without it (or with a language the wave does not ask in) to the chooser."""
    _campaign, wave = _wave(campaign_id, wave_id)
    links = public_links(wave)
    link = links.get(request.args.get("locale", ""), links[""])
    out = io.BytesIO()
    # Error level M survives a crease or a smudge on a printed card; the quiet zone of 4 is the norm.
    segno.make(link, error="m", micro=False).save(out, kind="svg", scale=10, border=4, xmldecl=True, svgns=True)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = attachment(f"survey-{wave.id}-qr.svg", inline=True)
    return response


@bp.post("/<int:wave_id>/codes")
def issue(campaign_id: int, wave_id: int) -> Any:
    """Issue N one-time codes (1..5000) and hand them over once: as a page to print on cards, or
    as a CSV of the codes only (for a print shop's mail merge). Only their hashes are kept, so
    losing this page means issuing new codes."""
    campaign, wave = _wave(campaign_id, wave_id)
    if wave.access != WaveAccess.CODES:
        abort(400, gettext("This wave is answered through its link; one-time codes are only for waves answered "
                           "with codes."))  # fmt: skip
    if wave.status == WaveStatus.CLOSED:
        abort(400, gettext("This wave is closed: nobody can answer with new codes."))
    try:
        n = int(request.form.get("n", "").strip())
    except ValueError:
        n = 0
    if not 1 <= n <= codes.MAX_CODES:
        abort(400, gettext("Type how many codes to issue: a whole number from 1 to %(maximum)s.",
                           maximum=codes.MAX_CODES))  # fmt: skip
    fmt = "csv" if request.form.get("format") == "csv" else "html"
    issued = codes.issue_codes(wave, n)
    audit.record(g.actor, "survey_wave.codes_issue", "survey_wave", wave.id, count=n, format=fmt)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["code"])
        writer.writerows([code] for code in issued)
        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = attachment(f"survey-{wave.id}-codes.csv")
        return response
    links = public_links(wave)
    languages = [(code, language_name(code)) for code in wave_locales(wave)]
    return render_template(
        "surveys/codes_print.html", campaign=campaign, wave=wave, issued=issued, link=links[""], languages=languages
    )
