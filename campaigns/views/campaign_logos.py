"""Partner logos on a campaign's edit page: upload one (checked by `content.logos.check_logo`),
remove one, and show them back. Whoever may edit the campaign may change its logos.

A refused file comes back on the edit page in the error summary, naming the file and what was
wrong, with nothing stored (the check runs before anything is added, and the response's status
rolls the transaction back in any case)."""

from __future__ import annotations

import os
from typing import Any, Final

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from content.logos import MAX_BYTES, MESSAGES, LogoError, check_logo, size_text

from ..extensions import db
from ..models import Campaign
from ..plain_text import strip_controls
from ..queries import org_owned
from ..services import logos as service
from .campaigns_ import _edit_page, bp

REFUSALS: Final = {
    "name_missing": _l("Give the partner's name: it is printed for people who cannot see the logo."),
    "name_too_long": _l("Use at most %(limit)s characters for the partner's name."),
    "too_many": _l("%(file)s was not added: a campaign can have at most %(limit)s logos. Remove one first."),
    "duplicate": _l("%(file)s is already on the campaign, as the logo of %(name)s."),
    "read_only": _l("This campaign has been evaluated and can no longer be changed. Copy it to plan a similar one."),
    "not_found": _l("That logo is no longer on the campaign."),
    "no_file": _l("Choose the logo's file (PNG or SVG)."),
}
# A CSP for the logo served on its own: an SVG opened directly runs no script and loads nothing.
IMAGE_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def logo_text(exc: LogoError) -> str:
    """The refusal in the reader's language: the library's English text is a catalog message."""
    return str(gettext(MESSAGES[exc.code], **exc.params))


def refusal_text(exc: service.LogoRefused) -> str:
    return str(REFUSALS[exc.code]) % exc.params


def _read(storage: Any) -> bytes:
    """The upload's bytes; a file larger than a logo may be is refused without reading it all."""
    stream = storage.stream
    try:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError):
        size = None
    if size is not None and size > MAX_BYTES:
        raise LogoError("too_big", file=_shown(storage.filename), size=size_text(size), limit=size_text(MAX_BYTES))
    return bytes(stream.read(MAX_BYTES + 1))


def _shown(filename: str | None) -> str:
    """The file's name as the messages print it: no control or direction characters, no folders."""
    name = strip_controls(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:120] or "logo"


@bp.route("/<int:campaign_id>/logos", methods=["POST"])
def upload_logo(campaign_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    storage = request.files.get("logo")
    name = strip_controls(request.form.get("logo_name"))
    errors: dict[str, str] = {}
    if not name:
        errors["logo_name"] = str(REFUSALS["name_missing"])
    elif len(name) > service.MAX_NAME:
        errors["logo_name"] = refusal_text(service.LogoRefused("name_too_long", limit=service.MAX_NAME))
    logo = None
    filename = _shown(storage.filename if storage is not None else "")
    if storage is None or not storage.filename:
        errors["logo"] = str(REFUSALS["no_file"])
    else:
        try:
            logo = check_logo(filename, _read(storage), name=name)
        except LogoError as exc:
            errors["logo"] = logo_text(exc)
    if logo is not None and not errors:
        try:
            service.add(g.actor, campaign, logo, filename=filename)
        except service.LogoRefused as exc:
            db.session.rollback()
            errors["logo"] = refusal_text(exc)
    if errors:
        campaign = org_owned(Campaign, campaign_id)
        return _edit_page(campaign, errors, None, logo_form=request.form), 422
    flash(gettext("The logo of %(name)s was added. It prints on the campaign's toolkits.", name=name), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id, _anchor="logos"))


@bp.route("/<int:campaign_id>/logos/<int:logo_id>/remove", methods=["POST"])
def remove_logo(campaign_id: int, logo_id: int) -> Any:
    campaign = org_owned(Campaign, campaign_id)
    try:
        removed = service.remove(g.actor, campaign, logo_id)
    except service.LogoRefused as exc:
        db.session.rollback()
        campaign = org_owned(Campaign, campaign_id)
        return _edit_page(campaign, {"logos": refusal_text(exc)}, None), 404 if exc.code == "not_found" else 422
    flash(gettext("The logo of %(name)s was removed.", name=removed.name), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id, _anchor="logos"))


@bp.route("/<int:campaign_id>/logos/<int:logo_id>")
def logo_image(campaign_id: int, logo_id: int) -> Any:
    """The logo itself, for the thumbnails on the campaign's pages."""
    row = service.logo_of(org_owned(Campaign, campaign_id), logo_id)
    if row is None:
        abort(404)
    response = Response(row.data, mimetype=row.media_type)
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.set_etag(row.sha256)
    return response.make_conditional(request)
