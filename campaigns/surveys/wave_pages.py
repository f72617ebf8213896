"""Waves, questions and the primary outcome (routes on `views.bp`).

The rules live in `surveys.planning`; this module parses forms and says, in the user's
language, what to fix. An evaluated campaign's survey pages are read-only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from content import questions as bank_questions
from content.locales import language_name

from ..extensions import db
from ..models import AuditEntry, Campaign, CampaignStatus
from ..plain_text import strip_controls
from ..queries import org_owned
from ..views.campaigns_ import form_date
from ..views.filters import percent
from . import answers, planning
from .models import (
    QuestionKind,
    SurveyPlan,
    SurveyQuestion,
    SurveyResponse,
    SurveyWave,
    WaveAccess,
    WaveKind,
    WaveStatus,
)
from .views import bp

KIND_LABELS: Final = {
    WaveKind.BASELINE: _l("Baseline (before the campaign)"),
    WaveKind.ENDLINE: _l("Endline (after the campaign)"),
    WaveKind.FOLLOW_UP: _l("Follow-up (some time after the endline)"),
}
STATUS_LABELS: Final = {WaveStatus.PLANNED: _l("Planned"), WaveStatus.OPEN: _l("Open"), WaveStatus.CLOSED: _l("Closed")}
ACCESS_LABELS: Final = {
    WaveAccess.LINK: _l("Anyone with the link"),
    WaveAccess.CODES: _l("One answer per printed code"),
}
QUESTION_KIND_LABELS: Final = {
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.SINGLE: _l("One choice"),
    QuestionKind.MULTIPLE: _l("Several choices"),
    QuestionKind.LIKERT: _l("Agree or disagree (five steps)"),
    QuestionKind.NUMBER: _l("A number"),
}
BLANK_CHOICES: Final = 3  # empty choice rows offered beyond the existing ones


def _day(value: Any) -> str:
    return format_date(value, "long") if isinstance(value, date) else ""


def _language(code: str) -> str:
    """A language named in the reader's language: a sentence reads "no text in Lithuanian"."""
    return language_name(code, str(get_locale() or "en"))


def problem_text(exc: planning.SurveyError) -> str:
    """The refusal in the user's language, saying what to change."""
    p = exc.params
    language = _language(p["locale"]) if p.get("locale") else ""
    texts: dict[str, Callable[[], str]] = {
        "read_only": lambda: gettext("This campaign has been evaluated: its surveys can no longer be changed."),
        "dates_missing": lambda: gettext("Give the day the wave opens and the day it closes."),
        "campaign_dates_missing": lambda: gettext(
            "Set the campaign's start and end dates first (Edit on the campaign page): waves are planned around "
            "them."),
        "closes_before_opens": lambda: gettext(
            "The wave closes on %(closes)s, before it opens on %(opens)s; it must close on or after the day it "
            "opens.", closes=_day(p.get("closes")), opens=_day(p.get("opens"))),
        "baseline_after_start": lambda: gettext(
            "A baseline must close on or before the day the campaign starts (%(starts)s), so that its answers show "
            "how things were before the campaign.", starts=_day(p.get("starts"))),
        "endline_before_end": lambda: gettext(
            "An endline must open on or after the day the campaign ends (%(ends)s), so that its answers show how "
            "things are after the campaign.", ends=_day(p.get("ends"))),
        "follow_up_before_endline": lambda: gettext(
            "A follow-up must open after the endline closes (%(closes)s).", closes=_day(p.get("closes"))),
        "follow_up_before_end": lambda: gettext(
            "A follow-up must open after the campaign ends (%(ends)s).", ends=_day(p.get("ends"))),
        "one_baseline": lambda: gettext(
            "The campaign has a baseline already: one baseline is compared with one endline. Edit the existing "
            "one instead."),
        "one_endline": lambda: gettext(
            "The campaign has an endline already: one baseline is compared with one endline. Edit the existing "
            "one, or plan a follow-up."),
        "no_locales": lambda: gettext("Choose at least one language."),
        "locale_not_in_campaign": lambda: gettext(
            "%(locales)s is not a language of the campaign; choose among %(allowed)s, or add the language to the "
            "campaign first.", locales=p.get("locales", ""), allowed=p.get("allowed", "")),
        "no_questions": lambda: gettext("Choose at least one question."),
        "unknown_question": lambda: gettext("There is no question %(keys)s; choose from the list.",
                                            keys=p.get("keys", "")),
        "comparison_in_campaign": lambda: gettext(
            "%(areas)s is in the campaign, so it cannot be a comparison area; choose areas the campaign does not "
            "reach.", areas=p.get("areas", "")),
        "comparison_unknown": lambda: gettext(
            "%(areas)s is not an area of the campaign's boundary set; use the area codes of that set.",
            areas=p.get("areas", "")),
        "wave_frozen": lambda: gettext(
            "This wave is open: its kind, first day, questions, languages and areas can no longer change (answers "
            "already given would not compare). Only its closing day can."),
        "wave_closed": lambda: gettext("This wave is closed and can no longer be changed."),
        "wave_not_planned": lambda: gettext(
            "Only a planned wave can be opened or deleted; this one has been opened already."),
        "wave_not_open": lambda: gettext("Only an open wave can be closed."),
        "wave_has_answers": lambda: gettext("This wave holds %(answers)s answers and cannot be deleted.",
                                            answers=format_decimal(p.get("answers", 0))),
        "wave_past": lambda: gettext(
            "The wave's last day (%(closes)s) has passed; move its closing day before opening it.",
            closes=_day(p.get("closes"))),
        "untranslated": lambda: gettext(
            "The question “%(question)s” has no text in %(language)s (or one of its choices has none). Add the "
            "translation, or take %(language)s off the wave, before it opens.",
            question=p.get("question", ""), language=language),
        "key_invalid": lambda: gettext(
            "Give the question a key of 2 to 40 lower-case letters, digits and hyphens, starting with a letter, "
            "such as knows-hotline."),
        "key_taken": lambda: gettext("The key %(key)s is taken by another question; choose another.",
                                     key=p.get("key", "")),
        "kind_invalid": lambda: gettext("Choose the kind of question."),
        "text_missing": lambda: gettext("Write the question in at least one language."),
        "text_too_long": lambda: gettext("A text can be at most %(limit)s characters long.",
                                         limit=p.get("limit", 0)),
        "choices_too_few": lambda: gettext("A one-choice or several-choice question needs at least two choices."),
        "choices_too_many": lambda: gettext("A question can have at most %(limit)s choices.",
                                            limit=p.get("limit", 0)),
        "choice_text_missing": lambda: gettext("Write each choice in at least one language."),
        "success_invalid": lambda: gettext(
            "Tick the answers that count as the outcome happening (at least one of the question's choices)."),
        "question_in_use": lambda: gettext(
            "A wave that has opened asks “%(key)s”: its kind, choices and hoped-for answers can no longer change; "
            "its texts and translations can.", key=p.get("key", "")),
        "plan_locked": lambda: gettext(
            "The endline has opened, so the primary outcome is fixed and can no longer change."),
        "plan_question": lambda: gettext("Choose a question that the campaign's waves ask."),
        "plan_number_question": lambda: gettext(
            "The primary outcome must be a share of people: choose a yes-or-no, choice or agree-or-disagree "
            "question, not a number."),
        "share_invalid": lambda: gettext("Write a share between 0 and 100 per cent, such as 21."),
        "shares_equal": lambda: gettext(
            "The share hoped for after the campaign must differ from the share before: otherwise there is no "
            "change to detect."),
    }  # fmt: skip
    made = texts.get(exc.code)
    return made() if made is not None else exc.code


def _refusal(change: Callable[[], object]) -> planning.SurveyError | None:
    """Run a change; None when it is saved, else the refusal, with the transaction rolled back."""
    try:
        change()
    except planning.SurveyError as exc:
        db.session.rollback()
        return exc
    return None


def _campaign(campaign_id: int) -> Campaign:
    return org_owned(Campaign, campaign_id)


def _wave(campaign: Campaign, wave_id: int) -> SurveyWave:
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None or wave.campaign_id != campaign.id:
        abort(404)
    return wave


def _overview(campaign: Campaign) -> Any:
    return redirect(url_for("surveys.overview", campaign_id=campaign.id), 303)


def _read_only(campaign: Campaign) -> Any | None:
    """A redirect to the overview with the reason, when the campaign can no longer change."""
    if campaign.status == CampaignStatus.EVALUATED:
        flash(problem_text(planning.SurveyError("read_only")), "error")
        return _overview(campaign)
    return None


# --- overview ------------------------------------------------------------------------------------


def _gaps_text(gaps: Mapping[str, list[str]]) -> list[str]:
    return [gettext("“%(question)s” has no text in %(language)s.", question=key, language=_language(locale))
            for locale, keys in gaps.items() for key in keys]  # fmt: skip


def _refusals(wave_ids: list[int]) -> dict[int, AuditEntry]:
    """The scheduler's latest refusal to open each wave, from the audit log."""
    if not wave_ids:
        return {}
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "survey_wave.open_refused",
                                 AuditEntry.target_type == "survey_wave",
                                 AuditEntry.target_id.in_([str(i) for i in wave_ids]))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()  # fmt: skip
    return {int(entry.target_id or 0): entry for entry in rows}


def power_text(plan: SurveyPlan | None, groups: bool) -> str:
    """The planning power sentence: answers needed to detect the hoped-for change."""
    if plan is None:
        return ""
    needed = planning.needed_per_wave(plan)
    if needed is None:
        return gettext("No number of answers can be worked out for a change from %(before)s to %(after)s.",
                       before=percent(plan.hoped_before), after=percent(plan.hoped_after))  # fmt: skip
    if groups:
        return gettext(
            "To detect a change from %(before)s to %(after)s you need about %(n)s answers per wave and per group "
            "(campaign areas / comparison areas).",
            before=percent(plan.hoped_before), after=percent(plan.hoped_after), n=format_decimal(needed),
        )  # fmt: skip
    return gettext("To detect a change from %(before)s to %(after)s you need about %(n)s answers per wave.",
                   before=percent(plan.hoped_before), after=percent(plan.hoped_after),
                   n=format_decimal(needed))  # fmt: skip


@bp.route("/")
def overview(campaign_id: int) -> Any:
    """The campaign's waves, their links and answers, its own questions and its primary outcome."""
    campaign = _campaign(campaign_id)
    waves = planning.waves(campaign.id)
    refusals = _refusals([w.id for w in waves])
    rows = []
    for wave in waves:
        gaps = planning.untranslated(wave)
        refused = refusals.get(wave.id) if wave.status == WaveStatus.PLANNED else None
        # Links to hand out: absolute, with a QR code of each to print.
        links = [(code, url_for("public_surveys.answer", token=wave.token, locale=code, _external=True),
                  url_for("surveys.qr_code", campaign_id=campaign.id, wave_id=wave.id, locale=code))
                 for code in wave.locales]  # fmt: skip
        given = answers.count(wave.id)
        rows.append({
            "wave": wave, "answers": given, "answers_hidden": _small(given), "gaps": _gaps_text(gaps),
            "refused": refused, "links": links,
            "xlsform": url_for("surveys.wave_xlsform", campaign_id=campaign.id, wave_id=wave.id),
            "field_import": url_for("surveys.wave_import", campaign_id=campaign.id, wave_id=wave.id),
            "codes": url_for("surveys.issue", campaign_id=campaign.id, wave_id=wave.id),
        })  # fmt: skip
    plan = planning.plan_of(campaign.id)
    groups = any(w.comparison_areas for w in waves)
    known = answers.campaign_questions(campaign.id)
    return render_template(
        "surveys/overview.html", campaign=campaign, rows=rows, plan=plan, power=power_text(plan, groups),
        plan_question=known.get(plan.primary_question) if plan else None,
        questions=planning.custom_questions(campaign.id),
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, access_labels=ACCESS_LABELS,
        question_kind_labels=QUESTION_KIND_LABELS, read_only=campaign.status == CampaignStatus.EVALUATED,
        report_url=url_for("reports.campaign", campaign_id=campaign.id),
    )  # fmt: skip


# --- waves ---------------------------------------------------------------------------------------


def _wave_plan(errors: dict[str, str]) -> planning.WavePlan:
    form = request.form
    try:
        kind = WaveKind(form.get("kind", ""))
    except ValueError:
        errors["kind"] = gettext("Choose the kind of wave.")
        kind = WaveKind.BASELINE
    try:
        access = WaveAccess(form.get("access", WaveAccess.LINK.value))
    except ValueError:
        access = WaveAccess.LINK
    typed = re.split(r"[\s,;]+", strip_controls(form.get("comparison_other")))
    comparison = [c[:64] for c in (*form.getlist("comparison"), *typed) if c]
    return planning.WavePlan(
        kind=kind, opens_on=form_date("opens_on", errors), closes_on=form_date("closes_on", errors),
        locales=tuple(form.getlist("locale")), questions=tuple(k[:40] for k in form.getlist("question")),
        comparison_areas=tuple(comparison), access=access,
    )  # fmt: skip


def _wave_page(campaign: Campaign, wave: SurveyWave | None, errors: dict[str, str], form: Any) -> str:
    known = answers.campaign_questions(campaign.id)
    chosen = list(wave.questions) if wave is not None else [q.key for q in bank_questions.bank()]
    if form is not None:
        chosen = form.getlist("question")
    order = [*[k for k in chosen if k in known], *[k for k in known if k not in chosen]]
    suggestions = planning.suggest_comparison(campaign) if campaign.ranking_run_id else []
    picked = [a["code"] for a in wave.comparison_areas] if wave is not None else []
    if form is not None:
        picked = form.getlist("comparison")
    others = [a for a in (wave.comparison_areas if wave is not None else [])
              if a["code"] not in {s.code for s in suggestions}]  # fmt: skip
    return render_template(
        "surveys/wave_form.html", campaign=campaign, wave=wave, errors=errors, form=form,
        questions=[known[k] for k in order], chosen=chosen,
        suggestions=[(s, suggestion_reason(s)) for s in suggestions],
        picked=picked, others=others, kind_labels=KIND_LABELS, access_labels=ACCESS_LABELS,
        gaps=_gaps_text(planning.untranslated(wave)) if wave is not None else [],
    )  # fmt: skip


def suggestion_reason(s: planning.Suggestion) -> str:
    """One line on why an area suits comparison."""
    return gettext("score %(score)s vs campaign mean %(mean)s; population %(population)s; not next to a campaign area",
                   score=format_decimal(round(s.score, 2)), mean=format_decimal(round(s.campaign_score, 2)),
                   population=format_decimal(s.population))  # fmt: skip


def _save_wave(campaign: Campaign, wave: SurveyWave | None) -> Any:
    errors: dict[str, str] = {}
    plan = _wave_plan(errors)
    if not errors:
        existing = wave
        if existing is None:
            refused = _refusal(lambda: planning.create_wave(g.actor, campaign, plan))
        else:
            refused = _refusal(lambda: planning.update_wave(g.actor, existing, plan))
        if refused is None:
            flash(gettext("Wave saved."), "success")
            return _overview(campaign)
        errors[refused.field or "form"] = problem_text(refused)
        campaign = _campaign(campaign.id)
        wave = _wave(campaign, wave.id) if wave is not None else None
    return _wave_page(campaign, wave, errors, request.form), 422


@bp.route("/new", methods=["GET", "POST"])
def new_wave(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    if (refused := _read_only(campaign)) is not None:
        return refused
    if request.method == "POST":
        return _save_wave(campaign, None)
    return _wave_page(campaign, None, {}, None)


@bp.route("/<int:wave_id>/edit", methods=["GET", "POST"])
def edit_wave(campaign_id: int, wave_id: int) -> Any:
    campaign = _campaign(campaign_id)
    wave = _wave(campaign, wave_id)
    if (refused := _read_only(campaign)) is not None:
        return refused
    if request.method == "POST":
        return _save_wave(campaign, wave)
    return _wave_page(campaign, wave, {}, None)


def _wave_action(campaign_id: int, wave_id: int, change: Callable[[SurveyWave], object], done: str) -> Any:
    campaign = _campaign(campaign_id)
    wave = _wave(campaign, wave_id)
    refused = _refusal(lambda: change(wave))
    if refused is not None:
        flash(problem_text(refused), "error")
    else:
        flash(done, "success")
    return _overview(campaign)


@bp.route("/<int:wave_id>/open", methods=["POST"])
def open_wave(campaign_id: int, wave_id: int) -> Any:
    return _wave_action(campaign_id, wave_id, lambda w: planning.open_wave(g.actor, w, date.today()),
                        gettext("The wave is open for answers."))  # fmt: skip


@bp.route("/<int:wave_id>/close", methods=["POST"])
def close_wave(campaign_id: int, wave_id: int) -> Any:
    return _wave_action(campaign_id, wave_id, lambda w: planning.close_wave(g.actor, w, date.today()),
                        gettext("The wave is closed: it takes no more answers."))  # fmt: skip


@bp.route("/<int:wave_id>/delete", methods=["POST"])
def delete_wave(campaign_id: int, wave_id: int) -> Any:
    return _wave_action(campaign_id, wave_id, lambda w: planning.delete_wave(g.actor, w, answers.count(w.id)),
                        gettext("The wave was deleted."))  # fmt: skip


# --- the campaign's own questions ----------------------------------------------------------------


def _question_locales(campaign: Campaign, question: SurveyQuestion | None) -> list[str]:
    extra = list(question.texts) if question is not None else []
    return list(dict.fromkeys([*campaign.locales, *extra]))


def _choice_codes(question: SurveyQuestion | None) -> list[int]:
    """Existing choices keep their codes (answers are stored as codes); new rows follow on."""
    existing = [int(c["code"]) for c in question.choices] if question is not None else []
    start = max(existing, default=0) + 1
    return [*existing, *range(start, start + max(BLANK_CHOICES, 4 - len(existing)))]


def _question_plan(key: str, locales: list[str], codes: list[int], errors: dict[str, str]) -> planning.QuestionPlan:
    form = request.form
    try:
        kind = QuestionKind(form.get("kind", ""))
    except ValueError:
        errors["kind"] = problem_text(planning.SurveyError("kind_invalid"))
        kind = QuestionKind.YES_NO
    texts = {code: strip_controls(form.get(f"text-{code}"))[:1000] for code in locales}
    choices = {c: {loc: strip_controls(form.get(f"choice-{c}-{loc}"))[:1000] for loc in locales} for c in codes}
    field = "success" if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else f"success-{kind.value}"
    success = tuple(int(v) for v in form.getlist(field) if v.isdigit() and len(v) < 4)
    return planning.QuestionPlan(key=key, kind=kind, texts=texts, choices=choices, success=success)


def _question_page(campaign: Campaign, question: SurveyQuestion | None, errors: dict[str, str], form: Any) -> str:
    standard = {kind: bank_questions.standard_choices(kind) for kind in ("yes_no", "likert")}
    return render_template(
        "surveys/question_form.html", campaign=campaign, question=question, errors=errors, form=form,
        locales=_question_locales(campaign, question), codes=_choice_codes(question),
        choice_texts={int(c["code"]): c.get("texts", {}) for c in question.choices} if question else {},
        kind_labels=QUESTION_KIND_LABELS, standard=standard,
    )  # fmt: skip


def _save_question(campaign: Campaign, question: SurveyQuestion | None) -> Any:
    errors: dict[str, str] = {}
    key = question.key if question is not None else strip_controls(request.form.get("key")).strip().lower()[:40]
    plan = _question_plan(key, _question_locales(campaign, question), _choice_codes(question), errors)
    if not errors:
        existing = question
        if existing is None:
            refused = _refusal(lambda: planning.create_question(g.actor, campaign, plan))
        else:
            refused = _refusal(lambda: planning.update_question(g.actor, existing, plan))
        if refused is None:
            flash(gettext("Question “%(key)s” saved.", key=key), "success")
            return _overview(campaign)
        errors[refused.field or "form"] = problem_text(refused)
        campaign = _campaign(campaign.id)
        question = _question(campaign, question.key) if question is not None else None
    return _question_page(campaign, question, errors, request.form), 422


def _question(campaign: Campaign, key: str) -> SurveyQuestion:
    found = db.session.scalar(
        select(SurveyQuestion).where(SurveyQuestion.campaign_id == campaign.id, SurveyQuestion.key == key[:40])
    )
    if found is None:
        abort(404)
    return found


@bp.route("/questions/new", methods=["GET", "POST"])
def new_question(campaign_id: int) -> Any:
    campaign = _campaign(campaign_id)
    if (refused := _read_only(campaign)) is not None:
        return refused
    if request.method == "POST":
        return _save_question(campaign, None)
    return _question_page(campaign, None, {}, None)


@bp.route("/questions/<key>/edit", methods=["GET", "POST"])
def edit_question(campaign_id: int, key: str) -> Any:
    campaign = _campaign(campaign_id)
    question = _question(campaign, key)
    if (refused := _read_only(campaign)) is not None:
        return refused
    if request.method == "POST":
        return _save_question(campaign, question)
    return _question_page(campaign, question, {}, None)


# --- the primary outcome -------------------------------------------------------------------------


def _share(field: str, errors: dict[str, str]) -> float:
    """A share typed in per cent ("21", "21,5", "21 %") as a fraction; NaN-free, 0 when unreadable."""
    raw = re.sub(r"[\s\u00a0\u202f%]", "", request.form.get(field) or "").replace(",", ".")
    try:
        value = float(raw) / 100
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        errors[field] = problem_text(planning.SurveyError("share_invalid", field))
    return value


@bp.route("/plan", methods=["GET", "POST"])
def plan(campaign_id: int) -> Any:
    """The primary outcome and the shares hoped for, with the answers that takes."""
    campaign = _campaign(campaign_id)
    if (refused := _read_only(campaign)) is not None:
        return refused
    errors: dict[str, str] = {}
    if request.method == "POST":
        before, after = _share("hoped_before", errors), _share("hoped_after", errors)
        question = (request.form.get("primary_question") or "")[:40]
        if not errors:
            refusal = _refusal(lambda: planning.set_plan(g.actor, campaign, question, before, after))
            if refusal is None:
                flash(gettext("Primary outcome saved."), "success")
                return _overview(campaign)
            errors[refusal.field or "form"] = problem_text(refusal)
            campaign = _campaign(campaign_id)
    current = planning.plan_of(campaign.id)
    known = answers.campaign_questions(campaign.id)
    waves = planning.waves(campaign.id)
    return render_template(
        "surveys/plan_form.html", campaign=campaign, plan=current, errors=errors,
        form=request.form if request.method == "POST" else None,
        questions=[known[k] for k in planning.plan_questions(campaign.id)],
        power=power_text(current, any(w.comparison_areas for w in waves)),
        locked=current is not None and current.locked_at is not None,
    ), 422 if errors else 200  # fmt: skip


# --- the campaign page's survey block ------------------------------------------------------------


def _small(count: int) -> bool:
    """A count of answers from 1 to k-1: shown as hidden, like every small count the planner prints."""
    return 1 <= count < current_app.config["SETTINGS"].suppression_k


@bp.app_context_processor
def survey_summary_helper() -> dict[str, Any]:
    """`survey_summary(campaign_id)` for the campaign page's small Surveys block: how many waves and
    answers, and where the overview and the report are."""

    def survey_summary(campaign_id: int) -> dict[str, Any]:
        waves = db.session.scalar(select(func.count()).select_from(SurveyWave)
                                  .where(SurveyWave.campaign_id == campaign_id)) or 0  # fmt: skip
        given = db.session.scalar(
            select(func.count()).select_from(SurveyResponse).join(SurveyWave, SurveyWave.id == SurveyResponse.wave_id)
            .where(SurveyWave.campaign_id == campaign_id)
        ) or 0  # fmt: skip
        return {
            "waves": int(waves), "answers": int(given), "answers_hidden": _small(int(given)),
            "overview": url_for("surveys.overview", campaign_id=campaign_id),
            "report": url_for("reports.campaign", campaign_id=campaign_id),
        }  # fmt: skip

    return {"survey_summary": survey_summary}
