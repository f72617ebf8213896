"""Sign in and sign out, and choose a password through a set-password link."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

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


class SetPasswordForm(FlaskForm):
    """A new password, typed twice; the length rule is the one `accounts.check_password_policy`
    enforces (checked again there)."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(message=_l("Enter a new password.")),
        Length(min=accounts.MIN_PASSWORD_LENGTH,
               message=_l("Choose a password of at least %(min)d characters.")),
        Length(max=512, message=_l("Choose a password of at most %(max)d characters.")),
    ], render_kw={"autocomplete": "new-password"})  # fmt: skip
    confirm = PasswordField(_l("The same password again"), validators=[
        DataRequired(message=_l("Type the password a second time, to be sure it is what you meant.")),
        EqualTo("password", message=_l("The two passwords are not the same. Type them again.")),
    ], render_kw={"autocomplete": "new-password"})  # fmt: skip
    submit = SubmitField(_l("Save my password"))


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    """The page a set-password link opens (public: the link's secret is the key). It works once,
    until it expires or a newer link is given; unknown and dead links get the same answer, and
    count against the client in the sign-in throttle, so links cannot be guessed either."""
    settings = current_app.config["SETTINGS"]
    headers = {"Referrer-Policy": "no-referrer"}  # the secret is in the address: never pass it on
    wait = accounts.password_link_retry_after(settings, request.remote_addr)
    if wait is not None:
        headers["Retry-After"] = str(wait)
        return render_template("auth/set_password.html", state="throttled"), 429, headers
    user = accounts.user_for_password_link(token)
    if user is None:
        accounts.note_password_link_failure(settings, request.remote_addr)
        return render_template("auth/set_password.html", state="invalid"), 404, headers
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.use_password_link(token, form.password.data or "")
        except accounts.AccountError as exc:
            if exc.code == "link_invalid":  # used a moment ago, in another tab
                return render_template("auth/set_password.html", state="invalid"), 404, headers
            form.password.errors = [*form.password.errors, _(
                "Choose a password of at least %(num)s characters.", num=accounts.MIN_PASSWORD_LENGTH)]
        else:
            flash(_("Your password is saved. Sign in with your e-mail address and the new password."), "success")
            return redirect(url_for("auth.login")), 302, headers
    errors = [str(m) for field in (form.password, form.confirm, form.csrf_token) for m in field.errors]
    status = 400 if errors else 200
    return render_template("auth/set_password.html", state="form", form=form, member=user, errors=errors,
                           min_length=accounts.MIN_PASSWORD_LENGTH), status, headers
