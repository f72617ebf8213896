"""Error pages that say what happened and what to do; JSON for the API."""

from __future__ import annotations

import contextlib
from typing import Any

from babel.units import format_unit
from flask import Flask, current_app, render_template
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from .. import connection
from ..access import api_error_handler, is_api_request
from ..extensions import db

RETRY_AFTER_SECONDS = 5


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return render_template("errors/error.html", code=400, kind="csrf"), 400

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception) -> Any:
        """A database restart or outage costs the requests in flight a 503, not a traceback; the
        pool's pre-ping reconnects the next ones. Other database errors are bugs and stay 500s."""
        if not connection.is_unavailable(exc):
            raise exc
        current_app.logger.warning("database unavailable: %s", str(exc).splitlines()[0])
        with contextlib.suppress(Exception):  # the connection is gone; the pool discards it
            db.session.rollback()
        if is_api_request():
            response = api_error_handler(ServiceUnavailable("The database is not answering; retry shortly."))
        else:
            response = current_app.make_response(
                (render_template("errors/error.html", code=503, kind="unavailable"), 503)
            )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        """The site's error page (JSON under /api/). It must not read the request body: a 413 is
        raised because the body is too large, and reading it again here would raise again."""
        if is_api_request():
            return api_error_handler(exc)
        code = exc.code or 500
        kind = {403: "forbidden", 404: "not_found", 405: "not_allowed", 413: "too_large"}.get(code, "other")
        return render_template(
            "errors/error.html", code=code, kind=kind, description=exc.description, size_limit=_size_limit(),
        ), code


def _size_limit() -> str:
    """MAX_CONTENT_LENGTH in the reader's language and units ("200 MB", "200 МБ")."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return ""
    unit, size = ("digital-megabyte", limit / 2**20) if limit >= 2**20 else ("digital-kilobyte", limit / 2**10)
    amount = round(size, 1)
    return format_unit(int(amount) if amount.is_integer() else amount, unit, length="short",
                       locale=get_locale() or "en")
