"""Error pages that say what happened and what to do; JSON for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..access import api_error_handler, is_api_request


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return render_template("errors/error.html", code=400, kind="csrf"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if is_api_request():
            return api_error_handler(exc)
        code = exc.code or 500
        kind = {403: "forbidden", 404: "not_found", 405: "not_allowed", 413: "too_large"}.get(code, "other")
        return render_template("errors/error.html", code=code, kind=kind, description=exc.description), code
