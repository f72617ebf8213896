"""Login by default: one gate in front of every endpoint, and an explicit list of public ones.

A decorator on each view is easy to forget on the next view someone adds; here a view that is
not public and has no role policy makes `create_app` fail at start-up (`check_policies`), and
the route-audit test walks `app.url_map` to prove the gate answers for every endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .models import Role
from .services import accounts
from .services.audit import Actor

# The only endpoints anyone may reach without signing in: the login page, static files, the
# health check, the toolkits a coordinator chose to publish, the survey answer forms, and the
# site's /favicon.ico and /robots.txt.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({
    "auth.login", "static", "home.health", "public_toolkits.public_page", "public_toolkits.public_download",
    "public_surveys.choose", "public_surveys.answer", "public_files.favicon", "public_files.robots",
    "auth.set_password",  # the page a set-password link opens: the link's secret is the key
})

ALL_ROLES: frozenset[Role] = frozenset(Role)

F = TypeVar("F", bound=Callable[..., Any])


class Section(Blueprint):
    """A blueprint for one area of the site, with the roles that may use it."""

    def __init__(self, name: str, import_name: str, *, roles: Iterable[Role], **kwargs: Any) -> None:
        super().__init__(name, import_name, **kwargs)
        self.roles: frozenset[Role] = frozenset(roles)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Narrow or widen one view's roles against its section's default."""

    def mark(view: F) -> F:
        view.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def allowed_roles(app: Flask, endpoint: str) -> frozenset[Role] | None:
    view = app.view_functions.get(endpoint)
    explicit = getattr(view, "allowed_roles", None)
    if explicit is not None:
        return frozenset(explicit)
    blueprint_name = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    blueprint = app.blueprints.get(blueprint_name) if blueprint_name else None
    return getattr(blueprint, "roles", None)


def check_policies(app: Flask) -> None:
    """Refuse to start with an endpoint that is neither public nor restricted to roles."""
    missing = sorted(
        ep for ep in app.view_functions if ep not in PUBLIC_ENDPOINTS and allowed_roles(app, ep) is None
    )
    if missing:
        raise RuntimeError(f"endpoints with no access policy (add roles or make them public): {missing}")


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _api_error(status: int, message: str) -> Any:
    response = jsonify(error={"status": status, "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def load_user() -> None:
    """Find who is asking: a bearer token for the API, the session cookie for pages."""
    g.user = None
    settings = current_app.config["SETTINGS"]
    if is_api_request():
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = accounts.resolve_token(header.removeprefix("Bearer ").strip())
        g.actor = Actor("api", g.user)
        return
    sid = session.get("sid")
    if sid:
        g.user = accounts.resolve_session(settings, sid)
        if g.user is None:
            session.pop("sid", None)
    g.actor = Actor("web", g.user)


def refuse_oversized_body() -> None:
    """Answer 413 before anything reads a body larger than MAX_CONTENT_LENGTH.

    Werkzeug only checks the limit when something first reads the form, and what reads it first
    differs per route (the CSRF check, a view, nothing at all on the API), so the same request
    could be a 413, a 400 or a redirect. Checking the declared length here gives every route the
    same answer; a body sent without a length is still cut off by Werkzeug when it is read."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def gate() -> Any:
    """Before every request: public endpoints pass; others need a user with an allowed role.

    A body over the size limit is refused first (after finding the user, so the error page
    still shows who is signed in), whatever the route or the method."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 handler answer
        refuse_oversized_body()
        return None
    if endpoint != "static":
        load_user()
    refuse_oversized_body()
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        if is_api_request():
            return _api_error(401, "Authentication required: send 'Authorization: Bearer <token>'.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    permitted = allowed_roles(current_app, endpoint) or frozenset()
    if g.user.role not in permitted:
        if is_api_request():
            return _api_error(403, f"Your role ({g.user.role.value}) may not use this endpoint.")
        abort(403)
    return None


def api_error_handler(exc: HTTPException) -> Any:
    """JSON errors for the API instead of HTML pages."""
    return _api_error(exc.code or 500, exc.description or exc.name)
