"""The public answer form at an unguessable link: no login, nothing that identifies anyone.

`/s/<token>` lets the respondent pick a language (or goes straight to the only one), and
`/s/<token>/<locale>` shows the form and takes the answers. What is stored is what
`answers.store` stores: area, language, optional group, the day (never the time) and the answers
as small integers. The client's address is used only as the key of the rate limit, which lives in
the limiter's storage (memory, or RATELIMIT_STORAGE_URI) and never in the database.

Why the form is exempt from CSRF tokens: Flask-WTF keeps its token in the session, so the form
would set a cookie on every respondent's phone, and fail with "the form expired" for anyone whose
browser refuses cookies. A CSRF token protects a signed-in person from actions forged in their
name; a respondent has no account to abuse, and anyone may post answers here on purpose. What a
forged cross-site post could still do is use many visitors' browsers to get round the per-address
rate limit, and that is refused by the same-origin check instead: every current browser sends an
`Origin` header with a POST, and a post from another site (or an opaque `null` origin) is refused.
Bots posting directly meet the honeypot field and the rate limit; waves that need more use
one-time codes (`WaveAccess.CODES`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_babel import force_locale, format_date, gettext
from limits import parse_many
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from content import questions as bank_questions
from content.locales import LOCALES, SOURCE_LOCALE, Translator, direction, language_name
from content.questions import Question, in_locale

from .. import connection
from ..extensions import csrf, db, limiter
from . import codes
from .answers import SEGMENT_MAX, Batch, SurveyRejected, store, wave_areas, wave_questions
from .models import SurveyWave, WaveAccess, WaveStatus

public = Blueprint("public_surveys", __name__, url_prefix="/s")

# Per client address, on the POST only: a person answers once or twice; a script a hundred times.
DEFAULT_RATE_LIMIT: Final = "10 per minute;100 per hour"
HONEYPOT: Final = "website"  # a field people never see and bots fill in
TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
AREA_RADIOS_MAX: Final = 8  # more areas than this are a <select>, not a long list of radios
RETRY_AFTER_SECONDS: Final = 60


def init_app(app: Flask) -> None:
    """Bind the rate limiter with the survey's settings (called by `create_app`).

    SURVEY_RATE_LIMIT (`Settings.survey_rate_limit`, from the environment) is the limit on posting
    answers, in Flask-Limiter's notation ("10 per minute;100 per hour"). RATELIMIT_STORAGE_URI
    (`Settings`, likewise) is where the counts live: the default `memory://` counts per worker
    process, so with several gunicorn workers each allows the limit; point it at a shared store
    (`redis://host:6379`) to count once. Either way the counts are keyed by the client's address
    and expire with their window: the address never reaches the database."""
    settings = app.config["SETTINGS"]
    app.config.setdefault("SURVEY_RATE_LIMIT", settings.survey_rate_limit or DEFAULT_RATE_LIMIT)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri or "memory://")
    try:
        parse_many(str(app.config["SURVEY_RATE_LIMIT"]))
    except ValueError:
        raise connection.StartupError(
            f"SURVEY_RATE_LIMIT must be a rate limit such as {DEFAULT_RATE_LIMIT!r}, "
            f"got {app.config['SURVEY_RATE_LIMIT']!r}"
        ) from None
    limiter.init_app(app)
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, WithholdAddress) for f in limiter_log.filters):
        limiter_log.addFilter(WithholdAddress())


class WithholdAddress(logging.Filter):
    """Flask-Limiter logs each breach with its key, the client's address, at INFO: an operator's log
    would then list who answered the survey too often. Keep the record, drop the address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("ratelimit ") and isinstance(record.args, tuple):
            record.args = tuple("(address withheld)" if i == 1 else a for i, a in enumerate(record.args))
        return True


def _rate_limit() -> str:
    return str(current_app.config["SURVEY_RATE_LIMIT"])


@dataclass
class FormState:
    """What the respondent sent, to show the form again as they left it, and what was wrong."""

    area: str = ""
    group: str = ""
    code: str = ""
    chosen: dict[str, list[str]] = field(default_factory=dict)  # question key -> values as sent
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message; "form" for all


def _wave_or_404(token: str) -> SurveyWave:
    """The wave at this link; any other token is the site's plain 404, which says nothing about
    whether a survey exists, ever existed or is only closed."""
    if not TOKEN.match(token):
        abort(404)
    wave = db.session.scalar(select(SurveyWave).where(SurveyWave.token == token))
    if wave is None:
        abort(404)
    return wave


def wave_locales(wave: SurveyWave) -> list[str]:
    """The wave's languages the site can show (English when none is set)."""
    return [code for code in wave.locales if code in LOCALES] or [SOURCE_LOCALE]


def wave_state(wave: SurveyWave, today: date) -> str:
    """"open", "planned" or "closed": the wave's status, and its dates, since a wave nobody closed
    by hand still stops taking answers after `closes_on` (`store` would refuse the day anyway)."""
    if wave.status == WaveStatus.CLOSED or today > wave.closes_on:
        return "closed"
    if wave.status == WaveStatus.PLANNED or today < wave.opens_on:
        return "planned"
    return "open"


def _render(template: str, locale: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A public page in the survey's language, not the browser's: the form, its dates and the
    page's `lang`/`dir` all follow the locale in the link.

    The template is rendered without the site's context processors: they build the signed-in
    header's sign-out form, whose CSRF token would be saved in a session cookie on every
    respondent's phone. These pages need only `url_for` and gettext, which are Jinja globals."""
    with force_locale(locale):
        body = current_app.jinja_env.get_template(template).render(
            survey_locale=locale, survey_dir=direction(locale), survey_language=language_name(locale), **context
        )
    return body, status


def _closed_page(wave: SurveyWave, locale: str, state: str) -> tuple[str, int]:
    if state == "planned":
        day = wave.opens_on
    else:
        closed = wave.closed_at.date() if wave.closed_at else None
        day = min(closed, wave.closes_on) if closed else wave.closes_on
    with force_locale(locale):
        shown = format_date(day, "long")
    return _render("surveys/public_closed.html", locale, kind=state, day=shown)


def _thanks(wave: SurveyWave, locale: str) -> tuple[str, int]:
    campaign = wave.campaign
    number = campaign.helpline_number.strip()
    return _render(
        "surveys/public_thanks.html", locale,
        helpline_name=campaign.helpline_name.strip(), helpline_number=number,
        helpline_tel=re.sub(r"[^0-9+]", "", number),
    )  # fmt: skip


@public.get("/<token>")
def choose(token: str) -> Any:
    """The language chooser, or straight to the form when the wave has one language."""
    wave = _wave_or_404(token)
    locales = wave_locales(wave)
    shown_in = request.accept_languages.best_match(locales) or locales[0]
    state = wave_state(wave, date.today())
    if state != "open":
        return _closed_page(wave, shown_in, state)
    if len(locales) == 1:
        return redirect(url_for(".answer", token=token, locale=locales[0]))
    choices = [(code, language_name(code), direction(code)) for code in locales]
    return _render("surveys/public_choose.html", shown_in, token=token, choices=choices)


@public.route("/<token>/<locale>", methods=["GET", "POST"])
@csrf.exempt  # see the module docstring: same-origin check, honeypot and rate limit instead
@limiter.limit(_rate_limit, methods=["POST"])
def answer(token: str, locale: str) -> Any:
    """Show the form; take one person's answers (POST), store them, say thank you."""
    wave = _wave_or_404(token)
    if locale not in wave_locales(wave):
        return redirect(url_for(".choose", token=token))
    today = date.today()
    state = wave_state(wave, today)
    if state != "open":
        return _closed_page(wave, locale, state)
    if request.method == "GET":
        return _form(wave, locale, FormState())
    if not _same_origin():
        abort(403)
    if request.form.get(HONEYPOT, "").strip():
        return _thanks(wave, locale)  # looks like success to the bot; nothing is stored
    questions = wave_questions(wave)
    state_, batch = read_form(wave, questions, locale, request.form, today)
    if batch is None:
        return _form(wave, locale, state_, status=422)
    if wave.access == WaveAccess.CODES and not codes.redeem(wave, state_.code, today):
        state_.errors["code"] = (
            gettext("This code has already been used. Each card's code can be used once.")
            if codes.is_used(wave, state_.code)
            else gettext("This code is not one of this survey's codes. Check it against your card.")
        )
        db.session.rollback()
        return _form(wave, locale, state_, status=422)
    try:
        store(wave, batch, "form")
    except SurveyRejected:
        db.session.rollback()  # the code, if any, stays unused
        state_.errors["form"] = gettext("Some answers could not be saved. Check them and send the form again.")
        return _form(wave, locale, state_, status=422)
    return _thanks(wave, locale)  # the request's transaction commits answers and code together


def _same_origin() -> bool:
    """Whether a browser sent this POST from one of our pages (see the module docstring). A client
    that sends neither Origin nor Referer is not a browser tricked by another site."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    parts = urlsplit(source)
    return bool(parts.scheme) and f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def segment_labels(wave: SurveyWave) -> list[str]:
    """The campaign's groups, as the respondent picks them (and as stored, cut to SEGMENT_MAX)."""
    labels = [str(s.get("segment", "")).strip() for s in wave.campaign.segments or [] if isinstance(s, Mapping)]
    return list(dict.fromkeys(label for label in labels if label))


def read_form(
    wave: SurveyWave, questions: Sequence[Question], locale: str, form: Any, today: date
) -> tuple[FormState, Batch | None]:
    """The posted form as one response, or None and the problems to show beside each field.

    A question with no answer is simply left out (no row): every question may be skipped. Only
    the area is required, since every response is counted in one."""
    state = FormState(
        area=form.get("area", ""), group=form.get("group", ""), code=form.get("code", "").strip()[:40],
    )  # fmt: skip
    if state.area not in wave_areas(wave):
        state.area = ""
        state.errors["area"] = gettext("Choose where you live or work.")
    labels = segment_labels(wave)
    if state.group and state.group not in labels:
        state.group = ""
        state.errors["group"] = gettext("Choose one of the groups, or leave it empty.")
    if wave.access == WaveAccess.CODES and codes.normalise(state.code) is None:
        state.errors["code"] = gettext(
            "Type the code printed on your card: 8 letters and digits, like %(example)s.", example="ABCD-2345"
        )
    answers: dict[str, int | list[int]] = {}
    for question in questions:
        name = f"q-{question.key}"
        sent = [v.strip() for v in form.getlist(name) if v.strip()]
        if not sent:
            continue
        state.chosen[question.key] = sent
        value = _read_answer(question, sent)
        if value is None:
            state.errors[name] = (
                gettext("Type a whole number from 0 to %(maximum)s, or leave it empty.",
                        maximum=bank_questions.NUMBER_MAX)
                if question.kind == "number" else gettext("Choose one of the answers, or leave the question.")
            )  # fmt: skip
            continue
        answers[question.key] = value
    if state.errors:
        return state, None
    group = state.group[:SEGMENT_MAX]
    return state, Batch.one(state.area, locale, today, answers, segment=group)


def _read_answer(question: Question, sent: list[str]) -> int | list[int] | None:
    """One question's answer as `Batch.one` takes it, or None when it is not one it can have."""
    try:
        values = [int(v) for v in sent]
    except ValueError:
        return None
    if question.kind == "number":
        ok = len(values) == 1 and 0 <= values[0] <= bank_questions.NUMBER_MAX
        return values[0] if ok else None
    allowed = set(question.codes())
    if any(v not in allowed for v in values):
        return None
    if question.kind == "multiple":
        return sorted(set(values))
    return values[0] if len(values) == 1 else None


def _form(wave: SurveyWave, locale: str, state: FormState, status: int = 200) -> tuple[str, int]:
    translator = Translator(locale, html=True)
    questions = [in_locale(q, translator) for q in wave_questions(wave)]
    areas = sorted(((code, name) for code, (name, _cmp) in wave_areas(wave).items()), key=lambda a: a[1].casefold())
    return _render(
        "surveys/public_form.html", locale, status,
        token=wave.token, questions=questions, areas=areas, area_radios=len(areas) <= AREA_RADIOS_MAX,
        groups=segment_labels(wave), needs_code=wave.access == WaveAccess.CODES, state=state,
        honeypot=HONEYPOT, number_max=bank_questions.NUMBER_MAX,
    )  # fmt: skip


@public.errorhandler(TooManyRequests)
def too_many(_exc: TooManyRequests) -> Any:
    """The rate limit's answer, in plain words and in the survey's language."""
    locale = (request.view_args or {}).get("locale")
    locale = locale if locale in LOCALES else SOURCE_LOCALE
    body, _status = _render("surveys/public_closed.html", locale, kind="busy", day="")
    return body, 429, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def public_links(wave: SurveyWave) -> Mapping[str, str]:
    """{locale: full link to the form} and "" for the chooser, for posters and QR codes."""
    links = {"": url_for("public_surveys.choose", token=wave.token, _external=True)}
    for code in wave_locales(wave):
        links[code] = url_for("public_surveys.answer", token=wave.token, locale=code, _external=True)
    return links
