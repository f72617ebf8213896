"""WTForms forms: labelled fields, CSRF on every one."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from ..config import SUPPORTED_LOCALES


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(),
        Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an e-mail address, like name@example.org.")),
    ],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=512)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Preferred language"), choices=[])
    submit = SubmitField(_l("Save"))

    def set_choices(self, choices: Sequence[tuple[str, str]]) -> None:
        self.locale.choices = [("", _l("Use my browser's language"))] + [
            (code, name) for code, name in choices if code in SUPPORTED_LOCALES
        ]
