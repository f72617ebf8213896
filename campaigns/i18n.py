"""Which language a page is in: `?lang=` (kept for the browser session), the user's saved
preference, then the browser's Accept-Language, then the configured default."""

from __future__ import annotations

from functools import cache

from flask import current_app, g, request, session

from content.locales import language_name

from .config import SUPPORTED_LOCALES


def select_locale() -> str:
    requested = request.args.get("lang")
    if requested in SUPPORTED_LOCALES:
        session["lang"] = requested
        return requested
    remembered = session.get("lang")
    if remembered in SUPPORTED_LOCALES:
        return str(remembered)
    user = g.get("user")
    if user is not None and user.locale in SUPPORTED_LOCALES:
        return str(user.locale)
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or current_app.config["SETTINGS"].default_locale


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """(code, the language's own name) for the switcher, so a reader finds their language
    whatever the current page's language is."""
    return tuple((code, language_name(code)) for code in SUPPORTED_LOCALES)
