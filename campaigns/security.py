"""Response headers and cookie flags that every response carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

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
    """Only same-site relative paths may be used as the `next` page after login."""
    if not target:
        return False
    return target.startswith("/") and not target.startswith("//") and "\\" not in target
