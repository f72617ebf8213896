"""Sign in and sign out."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..access import ALL_ROLES, Section
from ..security import is_safe_redirect
from ..services import accounts
from .forms import LoginForm

bp = Section("auth", __name__, roles=ALL_ROLES)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if g.get("user") is not None and request.method == "GET":
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    error = None
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        # remote_addr is the client as ProxyFix resolved it (BEHIND_PROXY), else the peer.
        result = accounts.authenticate(current_app.config["SETTINGS"], form.email.data or "", form.password.data or "",
                                       client=request.remote_addr)
        if result.throttled:
            if result.throttle == "client":
                error = _("Too many failed sign-in attempts from your network. Wait a few minutes, then try again.")
            else:
                error = _("Too many failed sign-in attempts for this account. Wait a minute, then try again.")
            status = 429
            headers["Retry-After"] = str(result.retry_after)
        elif result.user is None:
            error = _("That e-mail and password do not match an active account. Check both and try again.")
            status = 401
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on every sign-in: nothing carries over from before
            session["sid"] = result.session_token
            session.permanent = True
            if lang:
                session["lang"] = lang
            target = request.args.get("next")
            return redirect(target if target and is_safe_redirect(target) else url_for("home.index"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    sid = session.get("sid")
    if sid:
        accounts.end_session(sid, g.user)
    session.clear()
    return redirect(url_for("auth.login"))
