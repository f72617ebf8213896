"""Planning a campaign's survey waves, its own questions and the outcome it is judged on.

The rules exist so that the report can compare like with like: a baseline is asked before the
campaign starts and an endline after it ends; once a wave is open its questions, languages and
areas stay as they are (answers to a different questionnaire would not compare); a wave does not
open in a language one of its questions has no text in (a respondent would read English, or
nothing); and the primary outcome is fixed before the endline's answers can be seen, so nobody
picks the question that happened to move.

Errors are `SurveyError`s with a code the pages phrase in the user's language (`PROBLEMS`) and
the form field to point at, as `services.campaigns.CampaignError` does. No Flask request here:
the pages and the scheduler call the same functions.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select

from content import questions as bank_questions
from content.locales import LOCALES
from targeting.contiguity import queen_contiguity

from ..extensions import db
from ..models import Area, Campaign, CampaignStatus, RankingRun, utcnow
from ..outcome_stats import sample_size_per_wave
from ..services import audit
from ..services.campaigns import CampaignError
from ..services.ranking import load_shapes, run_frame
from .answers import campaign_questions
from .models import QuestionKind, SurveyPlan, SurveyQuestion, SurveyWave, WaveAccess, WaveKind, WaveStatus

KEY: Final = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
TEXT_MAX: Final = 500
CHOICES_MAX: Final = 20

PROBLEMS: Final = (
    "read_only", "dates_missing", "campaign_dates_missing", "closes_before_opens", "baseline_after_start",
    "endline_before_end", "follow_up_before_endline", "follow_up_before_end", "one_baseline", "one_endline",
    "no_locales", "locale_not_in_campaign", "no_questions", "unknown_question", "comparison_in_campaign",
    "comparison_unknown", "wave_frozen", "wave_closed", "wave_not_planned", "wave_not_open", "wave_has_answers",
    "wave_past", "untranslated", "key_invalid", "key_taken", "kind_invalid", "text_missing", "text_too_long",
    "choices_too_few", "choices_too_many", "choice_text_missing", "success_invalid", "question_in_use",
    "plan_locked", "plan_question", "plan_number_question", "share_invalid", "shares_equal",
)  # fmt: skip


class SurveyError(CampaignError):
    """A change the survey rules refuse: `code` (one of PROBLEMS), the `field` to point at, and the
    values the message needs (dates, a question key, a locale)."""


# --- waves ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WavePlan:
    """A wave as a form gives it (already parsed). Empty locales mean all the campaign's, empty
    questions all the bank's; comparison areas are area codes of the campaign's boundary set."""

    kind: WaveKind
    opens_on: date | None
    closes_on: date | None
    locales: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    comparison_areas: tuple[str, ...] = ()
    access: WaveAccess = WaveAccess.LINK


def _check_campaign(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.EVALUATED:
        raise SurveyError("read_only")


def waves(campaign_id: int) -> list[SurveyWave]:
    """The campaign's waves in time order."""
    return list(db.session.scalars(
        select(SurveyWave).where(SurveyWave.campaign_id == campaign_id)
        .order_by(SurveyWave.opens_on, SurveyWave.id)
    ))  # fmt: skip


def _check_dates(campaign: Campaign, plan: WavePlan, others: Sequence[SurveyWave]) -> None:
    """The timing rules: a before/after comparison needs the baseline before the campaign, the
    endline after it and any follow-up after the endline."""
    if plan.opens_on is None or plan.closes_on is None:
        raise SurveyError("dates_missing", "opens_on" if plan.opens_on is None else "closes_on")
    if plan.closes_on < plan.opens_on:
        raise SurveyError("closes_before_opens", "closes_on", opens=plan.opens_on, closes=plan.closes_on)
    if campaign.starts is None or campaign.ends is None:
        raise SurveyError("campaign_dates_missing", "opens_on")
    if plan.kind == WaveKind.BASELINE:
        if any(w.kind == WaveKind.BASELINE for w in others):
            raise SurveyError("one_baseline", "kind")
        if plan.closes_on > campaign.starts:
            raise SurveyError("baseline_after_start", "closes_on", starts=campaign.starts)
    elif plan.kind == WaveKind.ENDLINE:
        if any(w.kind == WaveKind.ENDLINE for w in others):
            raise SurveyError("one_endline", "kind")
        if plan.opens_on < campaign.ends:
            raise SurveyError("endline_before_end", "opens_on", ends=campaign.ends)
    else:
        endline = next((w for w in others if w.kind == WaveKind.ENDLINE), None)
        if endline is not None and plan.opens_on <= endline.closes_on:
            raise SurveyError("follow_up_before_endline", "opens_on", closes=endline.closes_on)
        if endline is None and plan.opens_on <= campaign.ends:
            raise SurveyError("follow_up_before_end", "opens_on", ends=campaign.ends)


def _comparison(campaign: Campaign, codes: Sequence[str]) -> list[dict[str, Any]]:
    """The comparison areas as stored: code and name, checked against the campaign's areas and
    its boundary set."""
    wanted = list(dict.fromkeys(c for c in codes if c))
    if not wanted:
        return []
    inside = sorted(set(wanted) & {a.area_code for a in campaign.areas})
    if inside:
        raise SurveyError("comparison_in_campaign", "comparison", areas=", ".join(inside))
    names = dict(db.session.execute(
        select(Area.code, Area.name).where(Area.boundary_set_id == campaign.boundary_set_id, Area.code.in_(wanted))
    ).all())  # fmt: skip
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise SurveyError("comparison_unknown", "comparison", areas=", ".join(unknown))
    return [{"code": c, "name": names[c]} for c in wanted]


def _resolved(campaign: Campaign, plan: WavePlan) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Locales, questions and comparison areas the wave will store, defaults filled in."""
    locales = list(dict.fromkeys(plan.locales)) or list(campaign.locales)
    if not locales:
        raise SurveyError("no_locales", "locales")
    foreign = [code for code in locales if code not in campaign.locales]
    if foreign:
        raise SurveyError("locale_not_in_campaign", "locales", locales=", ".join(foreign),
                          allowed=", ".join(campaign.locales))  # fmt: skip
    known = campaign_questions(campaign.id)
    questions = list(dict.fromkeys(plan.questions)) or [q.key for q in bank_questions.bank()]
    unknown = [key for key in questions if key not in known]
    if unknown:
        raise SurveyError("unknown_question", "questions", keys=", ".join(unknown))
    if not questions:
        raise SurveyError("no_questions", "questions")
    return locales, questions, _comparison(campaign, plan.comparison_areas)


def create_wave(actor: audit.Actor, campaign: Campaign, plan: WavePlan) -> SurveyWave:
    """A planned wave with a fresh unguessable token (the public link is the token)."""
    _check_campaign(campaign)
    _check_dates(campaign, plan, waves(campaign.id))
    locales, questions, comparison = _resolved(campaign, plan)
    wave = SurveyWave(
        campaign_id=campaign.id, kind=plan.kind, opens_on=plan.opens_on, closes_on=plan.closes_on,
        status=WaveStatus.PLANNED, token=secrets.token_urlsafe(16), access=plan.access, locales=locales,
        questions=questions, comparison_areas=comparison, created_by_id=actor.user.id if actor.user else None,
    )  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    audit.record(actor, "survey_wave.create", "survey_wave", wave.id, campaign=campaign.id, kind=plan.kind.value,
                 questions=len(questions), comparison=len(comparison))  # fmt: skip
    return wave


def update_wave(actor: audit.Actor, wave: SurveyWave, plan: WavePlan) -> SurveyWave:
    """Save an edit. A closed wave is final; an open one may only move its dates (what it asks,
    in which languages and where stays, so its answers compare)."""
    campaign = wave.campaign
    _check_campaign(campaign)
    if wave.status == WaveStatus.CLOSED:
        raise SurveyError("wave_closed")
    _check_dates(campaign, plan, [w for w in waves(campaign.id) if w.id != wave.id])
    locales, questions, comparison = _resolved(campaign, plan)
    if wave.status == WaveStatus.OPEN:
        same = (plan.kind == wave.kind and plan.access == wave.access and locales == list(wave.locales)
                and questions == list(wave.questions) and comparison == list(wave.comparison_areas)
                and plan.opens_on == wave.opens_on)  # fmt: skip
        if not same:
            raise SurveyError("wave_frozen")
    assert plan.opens_on is not None and plan.closes_on is not None  # _check_dates refused the rest
    wave.kind, wave.opens_on, wave.closes_on, wave.access = plan.kind, plan.opens_on, plan.closes_on, plan.access
    wave.locales, wave.questions, wave.comparison_areas = locales, questions, comparison
    db.session.flush()
    audit.record(actor, "survey_wave.update", "survey_wave", wave.id, campaign=campaign.id)
    return wave


def delete_wave(actor: audit.Actor, wave: SurveyWave, answers: int) -> None:
    """Remove a planned wave that holds no answers (`answers`: `answers.count(wave.id)`); a wave
    that has been open is evidence and stays."""
    _check_campaign(wave.campaign)
    if wave.status != WaveStatus.PLANNED:
        raise SurveyError("wave_not_planned")
    if answers:
        raise SurveyError("wave_has_answers", answers=answers)
    audit.record(actor, "survey_wave.delete", "survey_wave", wave.id, campaign=wave.campaign_id)
    db.session.delete(wave)
    db.session.flush()


def untranslated(wave: SurveyWave) -> dict[str, list[str]]:
    """{locale: [question keys]} of the wave's own questions that lack a text (or a choice's text)
    in one of its locales; empty when the wave can open everywhere."""
    known = campaign_questions(wave.campaign_id)
    asked = [known[key] for key in wave.questions if key in known and not known[key].bank]
    out: dict[str, list[str]] = {}
    for locale in wave.locales:
        missing = [q.key for q in asked if bank_questions.missing_translations(q, locale)]
        if missing:
            out[locale] = missing
    return out


def _check_translated(wave: SurveyWave) -> None:
    gaps = untranslated(wave)
    if gaps:
        locale, keys = next(iter(gaps.items()))
        raise SurveyError("untranslated", "locales", locale=locale, question=keys[0],
                          gaps={code: list(v) for code, v in gaps.items()})  # fmt: skip


def open_wave(actor: audit.Actor, wave: SurveyWave, today: date, *, by_hand: bool = True) -> SurveyWave:
    """Open a planned wave for answers. By hand before its first day moves `opens_on` to today
    (answers are checked against the wave's days), within the timing rules. Opening the endline
    locks the primary outcome."""
    campaign = wave.campaign
    _check_campaign(campaign)
    if wave.status != WaveStatus.PLANNED:
        raise SurveyError("wave_not_planned")
    if wave.closes_on < today:
        raise SurveyError("wave_past", "closes_on", closes=wave.closes_on)
    if by_hand and today < wave.opens_on:
        plan = WavePlan(wave.kind, today, wave.closes_on)
        _check_dates(campaign, plan, [w for w in waves(campaign.id) if w.id != wave.id])
        wave.opens_on = today
    _check_translated(wave)
    wave.status, wave.opened_at = WaveStatus.OPEN, utcnow()
    if wave.kind == WaveKind.ENDLINE:
        lock_plan(actor, campaign.id)
    db.session.flush()
    audit.record(actor, "survey_wave.open", "survey_wave", wave.id, campaign=campaign.id,
                 organisation_id=campaign.organisation_id)  # fmt: skip
    return wave


def close_wave(actor: audit.Actor, wave: SurveyWave, today: date) -> SurveyWave:
    """Stop taking answers. Closing early makes today the wave's last day, so its dates say when
    answers were really collected."""
    if wave.status != WaveStatus.OPEN:
        raise SurveyError("wave_not_open")
    wave.status, wave.closed_at = WaveStatus.CLOSED, utcnow()
    if today < wave.closes_on:
        wave.closes_on = max(today, wave.opens_on)
    db.session.flush()
    audit.record(actor, "survey_wave.close", "survey_wave", wave.id, campaign=wave.campaign_id,
                 organisation_id=wave.campaign.organisation_id)  # fmt: skip
    return wave


def open_and_close(actor: audit.Actor, today: date) -> dict[str, Any]:
    """The scheduler's pass: close open waves past their last day, open planned waves whose first
    day has come. A wave with an untranslated question stays planned and the refusal is audited
    (the overview shows it). Running it again the same day finds nothing more to do."""
    result: dict[str, Any] = {"opened": [], "closed": [], "refused": [], "campaigns": []}
    due_close = db.session.scalars(
        select(SurveyWave).where(SurveyWave.status == WaveStatus.OPEN, SurveyWave.closes_on < today)
        .order_by(SurveyWave.id)
    ).all()  # fmt: skip
    for wave in due_close:
        close_wave(actor, wave, today)
        result["closed"].append(wave.id)
        result["campaigns"].append(wave.campaign_id)
    due_open = db.session.scalars(
        select(SurveyWave).join(Campaign, Campaign.id == SurveyWave.campaign_id)
        .where(SurveyWave.status == WaveStatus.PLANNED, SurveyWave.opens_on <= today, SurveyWave.closes_on >= today,
               Campaign.status != CampaignStatus.EVALUATED)
        .order_by(SurveyWave.opens_on, SurveyWave.id)
    ).all()  # fmt: skip
    for wave in due_open:
        try:  # refused before anything changed: nothing to roll back
            open_wave(actor, wave, today, by_hand=False)
        except SurveyError as exc:
            audit.record(actor, "survey_wave.open_refused", "survey_wave", wave.id, campaign=wave.campaign_id,
                         organisation_id=wave.campaign.organisation_id, code=exc.code,
                         locale=exc.params.get("locale"), question=exc.params.get("question"))  # fmt: skip
            result["refused"].append(wave.id)
        else:
            result["opened"].append(wave.id)
        result["campaigns"].append(wave.campaign_id)
    result["campaigns"] = sorted(set(result["campaigns"]))
    return result


# --- the campaign's own questions ----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPlan:
    """A custom question as a form gives it: texts per locale, choices as {code: {locale: text}}
    (single and multiple choice only), and the codes that count as success."""

    key: str
    kind: QuestionKind
    texts: Mapping[str, str]
    choices: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    success: tuple[int, ...] = ()


def _in_use(campaign_id: int, key: str) -> bool:
    """Whether a wave that has been open asks the question (its answers fix what it means)."""
    return any(key in w.questions for w in waves(campaign_id) if w.status != WaveStatus.PLANNED)


def _checked_question(plan: QuestionPlan) -> tuple[dict[str, str], list[dict[str, Any]], list[int]]:
    """Texts, choices and success codes as stored, or the first problem (the key is not checked:
    it never changes once made, exports name it)."""
    texts = {code: text.strip() for code, text in plan.texts.items() if code in LOCALES and text.strip()}
    if not texts:
        raise SurveyError("text_missing", "text")
    long = [code for code, text in texts.items() if len(text) > TEXT_MAX]
    if long:
        raise SurveyError("text_too_long", f"text-{long[0]}", limit=TEXT_MAX)
    choices: list[dict[str, Any]] = []
    if plan.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        for code, by_locale in sorted(plan.choices.items()):
            kept = {loc: t.strip()[:TEXT_MAX] for loc, t in by_locale.items() if loc in LOCALES and t.strip()}
            if kept:
                choices.append({"code": int(code), "texts": kept})
        if len(choices) < 2:
            raise SurveyError("choices_too_few", "choices")
        if len(choices) > CHOICES_MAX:
            raise SurveyError("choices_too_many", "choices", limit=CHOICES_MAX)
        codes = {c["code"] for c in choices}
    elif plan.kind == QuestionKind.NUMBER:
        codes = set()
    else:
        codes = {c.code for c in bank_questions.standard_choices(plan.kind.value)}
    success = sorted(set(plan.success))
    if plan.kind == QuestionKind.NUMBER:
        success = []
    elif not success or not set(success) <= codes:
        raise SurveyError("success_invalid", "success")
    return texts, choices, success


def create_question(actor: audit.Actor, campaign: Campaign, plan: QuestionPlan) -> SurveyQuestion:
    """A question of the campaign's own, next to the bank's; its key names it in exports."""
    _check_campaign(campaign)
    if not KEY.match(plan.key):
        raise SurveyError("key_invalid", "key")
    if plan.key in campaign_questions(campaign.id):
        raise SurveyError("key_taken", "key", key=plan.key)
    texts, choices, success = _checked_question(plan)
    question = SurveyQuestion(campaign_id=campaign.id, key=plan.key, kind=plan.kind, texts=texts, choices=choices,
                              success=success, created_by_id=actor.user.id if actor.user else None)  # fmt: skip
    db.session.add(question)
    db.session.flush()
    audit.record(actor, "survey_question.create", "survey_question", question.id, campaign=campaign.id,
                 kind=plan.kind.value, locales=sorted(texts))  # fmt: skip
    return question


def update_question(actor: audit.Actor, question: SurveyQuestion, plan: QuestionPlan) -> SurveyQuestion:
    """Change texts and translations at any time; kind, choices and success only while no wave
    that asks it has opened (answers already stored would mean something else)."""
    campaign = db.session.get(Campaign, question.campaign_id)
    assert campaign is not None
    _check_campaign(campaign)
    texts, choices, success = _checked_question(plan)
    meaning_changed = (plan.kind != question.kind or success != list(question.success)
                       or [c["code"] for c in choices] != [int(c["code"]) for c in question.choices])  # fmt: skip
    if meaning_changed and _in_use(campaign.id, question.key):
        raise SurveyError("question_in_use", "kind", key=question.key)
    question.kind, question.texts, question.choices, question.success = plan.kind, texts, choices, success
    db.session.flush()
    audit.record(actor, "survey_question.update", "survey_question", question.id, campaign=campaign.id,
                 locales=sorted(texts))  # fmt: skip
    return question


def custom_questions(campaign_id: int) -> list[SurveyQuestion]:
    return list(db.session.scalars(
        select(SurveyQuestion).where(SurveyQuestion.campaign_id == campaign_id).order_by(SurveyQuestion.id)
    ))  # fmt: skip


# --- the primary outcome -------------------------------------------------------------------------


def plan_of(campaign_id: int) -> SurveyPlan | None:
    return db.session.get(SurveyPlan, campaign_id)


def _endline_started(campaign_id: int) -> bool:
    return any(w.kind == WaveKind.ENDLINE and w.status != WaveStatus.PLANNED for w in waves(campaign_id))


def plan_questions(campaign_id: int) -> list[str]:
    """Keys a primary outcome may be: a share (not a number) that the campaign's waves ask."""
    known = campaign_questions(campaign_id)
    keys = dict.fromkeys(key for w in waves(campaign_id) for key in w.questions)
    return [key for key in keys if key in known and known[key].binary]


def set_plan(
    actor: audit.Actor, campaign: Campaign, question: str, hoped_before: float, hoped_after: float
) -> SurveyPlan:
    """Choose (or change) the primary outcome and the shares hoped for before and after. Refused
    once the endline has opened: the outcome must be chosen before its answers can be seen."""
    _check_campaign(campaign)
    current = plan_of(campaign.id)
    if (current is not None and current.locked_at is not None) or _endline_started(campaign.id):
        raise SurveyError("plan_locked", "primary_question")
    known = campaign_questions(campaign.id)
    if question in known and not known[question].binary:
        raise SurveyError("plan_number_question", "primary_question", question=question)
    if question not in plan_questions(campaign.id):
        raise SurveyError("plan_question", "primary_question", question=question)
    for name, share in (("hoped_before", hoped_before), ("hoped_after", hoped_after)):
        if not 0.0 < share < 1.0:
            raise SurveyError("share_invalid", name)
    if hoped_before == hoped_after:
        raise SurveyError("shares_equal", "hoped_after")
    if current is None:
        current = SurveyPlan(campaign_id=campaign.id)
        db.session.add(current)
    current.primary_question, current.hoped_before, current.hoped_after = question, hoped_before, hoped_after
    current.updated_by_id, current.updated_at = (actor.user.id if actor.user else None), utcnow()
    db.session.flush()
    audit.record(actor, "survey_plan.set", "campaign", campaign.id, question=question,
                 before=hoped_before, after=hoped_after)  # fmt: skip
    return current


def lock_plan(actor: audit.Actor, campaign_id: int) -> SurveyPlan | None:
    """Freeze the primary outcome (called when the endline opens, by hand or by the scheduler)."""
    current = plan_of(campaign_id)
    if current is not None and current.locked_at is None:
        current.locked_at = utcnow()
        audit.record(actor, "survey_plan.lock", "campaign", campaign_id, question=current.primary_question)
    return current


def needed_per_wave(plan: SurveyPlan) -> int | None:
    """Answers needed per wave and per group to detect the hoped-for change (80 % power, 5 %
    two-sided), or None when statsmodels cannot say (no change, or an extreme one)."""
    try:
        return sample_size_per_wave(plan.hoped_before, plan.hoped_after)
    except ValueError:
        return None


# --- comparison areas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A comparison area: like the campaign's areas in score and population, not next to one."""

    code: str
    name: str
    score: float
    population: int
    distance: float
    campaign_score: float


def _neighbours(campaign: Campaign, codes: pd.Index) -> np.ndarray:
    """Boolean mask over `codes`: in the campaign or a queen neighbour of a campaign area (people
    there may have seen the campaign: spill-over would shrink the measured difference)."""
    shapes = load_shapes(campaign.boundary_set)
    cache_dir = Path(current_app.instance_path) / "cache" / "contiguity"
    ids = shapes["area_id"].astype(str).tolist()
    matrix = queen_contiguity(shapes.geometry.values, ids=ids, cache_dir=cache_dir).matrix
    inside = np.isin(np.asarray(ids), [a.area_code for a in campaign.areas])
    touched = np.asarray(matrix @ inside.astype(np.int8)).ravel() > 0
    excluded = pd.Series(inside | touched, index=ids)
    return excluded.reindex(codes, fill_value=False).to_numpy(dtype=bool)


def suggest_comparison(campaign: Campaign, limit: int = 5) -> list[Suggestion]:
    """Areas to ask for comparison, most similar first: not in the campaign, not adjacent to it,
    nearest by standardised distance on (score, log population) to the campaign areas' mean.

    Read from the ranking the campaign was planned from; empty without one."""
    run = db.session.get(RankingRun, campaign.ranking_run_id) if campaign.ranking_run_id else None
    frame = run_frame(run) if run is not None and run.rows else pd.DataFrame()
    if frame.empty or not {"area_id", "score", "population"} <= set(frame.columns):
        return []
    frame = frame.assign(area_id=frame["area_id"].astype(str),
                         score=pd.to_numeric(frame["score"], errors="coerce"),
                         population=pd.to_numeric(frame["population"], errors="coerce"))  # fmt: skip
    frame = frame[np.isfinite(frame["score"]) & (frame["population"] > 0)].set_index("area_id")
    codes = {a.area_code for a in campaign.areas}
    mine = frame.index.isin(list(codes))
    if not mine.any() or len(frame) < 2:
        return []
    features = np.column_stack([frame["score"].to_numpy(float), np.log(frame["population"].to_numpy(float))])
    spread = features.std(axis=0)
    spread[spread == 0] = 1.0
    z = (features - features.mean(axis=0)) / spread
    distance = np.sqrt(((z - z[mine].mean(axis=0)) ** 2).sum(axis=1))
    eligible = ~_neighbours(campaign, frame.index)
    ranked = frame.assign(distance=distance)[eligible].sort_values(["distance", "score"], kind="stable").head(limit)
    campaign_score = float(frame.loc[mine, "score"].mean())
    names = ranked["name"] if "name" in ranked.columns else pd.Series(ranked.index, index=ranked.index)
    return [
        Suggestion(code=str(code), name=str(name), score=float(score), population=int(population),
                   distance=float(d), campaign_score=campaign_score)
        for code, name, score, population, d in zip(ranked.index, names, ranked["score"], ranked["population"],
                                                     ranked["distance"], strict=True)
    ]  # fmt: skip
