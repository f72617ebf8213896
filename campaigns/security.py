"""Response headers and cookie flags that every response carries."""

from __future__ import annotations

import unicodedata
from typing import Final
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

# Unicode controls, format characters (bidi overrides, zero-width), separators, unassigned and
# private-use code points: nothing a real path on this site contains.
_CONTROL_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Mark the cookie Secure whenever the request came over HTTPS (directly or, with
    BEHIND_PROXY, as the proxy says), so one configuration serves local HTTP and production."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        from flask import has_request_context

        return bool(has_request_context() and request.is_secure)


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site relative paths may be used as the `next` page after login.

    Browsers forgive a lot before they parse a URL: they drop tabs and newlines anywhere in it,
    trim leading spaces and controls, and read a backslash as a slash. So `?next=/%09/evil.example`
    (a tab) and `/\\evil.example` both lead to another site, and a newline in a Location header
    is a 500 (or worse, a header injection). The target is refused when, as given or once more
    percent-decoded, it holds any control or format character, whitespace or backslash, has a
    scheme or a host, or does not start with exactly one slash: what is left is a path here."""
    if not target:
        return False
    for text in (target, unquote(target)):
        if any(ch == "\\" or ch.isspace() or unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text):
            return False
        if not text.startswith("/") or text.startswith("//"):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True
