"""Planning survey waves (issue 12): the timing and language rules of a wave, custom questions
and the translations a wave needs before it opens, the primary outcome fixed when the endline
opens, the power sentence, comparison-area suggestions away from the campaign's neighbours, the
scheduler job that opens and closes waves, and the pages as a coordinator and as other roles."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import demo_client
from flask import Flask
from flask_babel import format_date
from sqlalchemy import delete, select

from campaigns.db import write_intent
from campaigns.extensions import db
from campaigns.models import AuditEntry, Campaign, CampaignStatus, JobRun, RankingRun, Role, User
from campaigns.outcome_stats import sample_size_per_wave
from campaigns.scheduler import JOBS, run_job
from campaigns.services import audit
from campaigns.services import campaigns as campaign_service
from campaigns.services.demo import DEMO_USERS
from campaigns.services.ranking import load_shapes, run_frame
from campaigns.surveys import answers, planning
from campaigns.surveys.models import QuestionKind, SurveyPlan, SurveyWave, WaveKind, WaveStatus
from campaigns.surveys.planning import QuestionPlan, SurveyError, WavePlan
from campaigns.surveys.wave_pages import problem_text
from content.questions import bank

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def surveyless(demo_app: Flask) -> Flask:
    """The demo (two Georgia campaigns, a ranking) with the running campaign's demo waves and
    primary outcome removed, so each test plans its own."""
    with demo_app.app_context(), write_intent():
        campaign_id = running().id
        db.session.execute(delete(SurveyWave).where(SurveyWave.campaign_id == campaign_id))
        db.session.execute(delete(SurveyPlan).where(SurveyPlan.campaign_id == campaign_id))
        db.session.commit()
    return demo_app


@pytest.fixture
def ctx(surveyless: Flask) -> Iterator[Flask]:
    """An app context that may write, on `surveyless`."""
    with surveyless.app_context(), write_intent():
        yield surveyless
        db.session.rollback()


def running() -> Campaign:
    """The demo's running campaign (started 60 days ago, ends in 45, English and Lithuanian)."""
    return db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).one()


def coordinator() -> audit.Actor:
    user = db.session.scalars(select(User).where(User.email == DEMO_USERS[Role.COORDINATOR][0])).one()
    return audit.Actor("web", user)


def refused(code: str, change: Any) -> SurveyError:
    with pytest.raises(SurveyError) as caught:
        change()
    assert caught.value.code == code, caught.value.params
    return caught.value


def baseline(c: Campaign, **kw: Any) -> WavePlan:
    assert c.starts is not None
    return WavePlan(WaveKind.BASELINE, c.starts - timedelta(days=20), c.starts - timedelta(days=1), **kw)


def endline(c: Campaign, **kw: Any) -> WavePlan:
    assert c.ends is not None
    return WavePlan(WaveKind.ENDLINE, c.ends + timedelta(days=1), c.ends + timedelta(days=21), **kw)


def custom_question(c: Campaign, key: str = "knows-shelter", texts: dict[str, str] | None = None) -> None:
    planning.create_question(coordinator(), c, QuestionPlan(
        key=key, kind=QuestionKind.SINGLE, texts=texts or {"en": "Do you know the shelter in town?"},
        choices={1: {"en": "Yes, I have been there", "lt": "Taip, buvau"}, 2: {"en": "No", "lt": "Ne"}},
        success=(1,)))  # fmt: skip


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def text_of(exc: SurveyError, app: Flask) -> str:
    with app.test_request_context():
        return problem_text(exc)


def csrf(client: Any, path: str) -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


# --- waves ---------------------------------------------------------------------------------------


def test_wave_dates_follow_the_campaign(ctx: Flask) -> None:
    c, actor = running(), coordinator()
    starts, ends = c.starts, c.ends
    assert starts is not None and ends is not None
    exc = refused("closes_before_opens", lambda: planning.create_wave(
        actor, c, WavePlan(WaveKind.BASELINE, starts - timedelta(days=5), starts - timedelta(days=6))))
    assert exc.field == "closes_on"
    exc = refused("baseline_after_start", lambda: planning.create_wave(
        actor, c, WavePlan(WaveKind.BASELINE, starts - timedelta(days=5), starts + timedelta(days=1))))
    with ctx.test_request_context():
        assert format_date(starts, "long") in problem_text(exc)  # the message names the start date
    assert "on or before the day the campaign starts" in text_of(exc, ctx)
    exc = refused("endline_before_end", lambda: planning.create_wave(
        actor, c, WavePlan(WaveKind.ENDLINE, ends - timedelta(days=1), ends + timedelta(days=10))))
    assert "on or after the day the campaign ends" in text_of(exc, ctx)
    refused("follow_up_before_end", lambda: planning.create_wave(
        actor, c, WavePlan(WaveKind.FOLLOW_UP, ends, ends + timedelta(days=10))))

    # The last day allowed is allowed: a baseline closing on the first day, an endline opening on the last.
    first = planning.create_wave(actor, c, WavePlan(WaveKind.BASELINE, starts - timedelta(days=9), starts))
    last = planning.create_wave(actor, c, WavePlan(WaveKind.ENDLINE, ends, ends + timedelta(days=14)))
    refused("one_baseline", lambda: planning.create_wave(actor, c, baseline(c)))
    refused("one_endline", lambda: planning.create_wave(actor, c, endline(c)))
    exc = refused("follow_up_before_endline", lambda: planning.create_wave(
        actor, c, WavePlan(WaveKind.FOLLOW_UP, ends + timedelta(days=14), ends + timedelta(days=30))))
    assert exc.params["closes"] == last.closes_on
    follow = planning.create_wave(actor, c, WavePlan(WaveKind.FOLLOW_UP, ends + timedelta(days=15),
                                                     ends + timedelta(days=30)))  # fmt: skip

    # Defaults: all the campaign's languages, all the bank's questions in the bank's order; a fresh token each.
    assert first.locales == ["en", "lt"]
    assert first.questions == [q.key for q in bank()]
    tokens = {first.token, last.token, follow.token}
    assert len(tokens) == 3 and all(len(t) >= 21 for t in tokens)
    assert first.status == WaveStatus.PLANNED


def test_locales_questions_and_areas_are_checked(ctx: Flask) -> None:
    c, actor = running(), coordinator()
    exc = refused("locale_not_in_campaign", lambda: planning.create_wave(actor, c, baseline(c, locales=("en", "pl"))))
    assert exc.params["locales"] == "pl" and "pl" not in c.locales
    assert "pl" in text_of(exc, ctx) and "en, lt" in text_of(exc, ctx)
    refused("unknown_question", lambda: planning.create_wave(actor, c, baseline(c, questions=("no-such-question",))))
    inside = c.areas[0].area_code
    refused("comparison_in_campaign", lambda: planning.create_wave(actor, c, baseline(c, comparison_areas=(inside,))))
    refused("comparison_unknown", lambda: planning.create_wave(actor, c, baseline(c, comparison_areas=("XX",))))

    order = ("trusts-helpline", "signs-two", "knows-report")
    wave = planning.create_wave(actor, c, baseline(c, locales=("lt",), questions=order))
    assert wave.questions == list(order) and wave.locales == ["lt"]  # the order given is kept


def test_an_open_wave_keeps_what_it_asks(ctx: Flask) -> None:
    c, actor = running(), coordinator()
    assert c.ends is not None
    wave = planning.create_wave(actor, c, endline(c, questions=("signs-two", "knows-report")))
    planning.open_wave(actor, wave, c.ends + timedelta(days=1))
    assert wave.status == WaveStatus.OPEN and wave.opened_at is not None
    for change in (dict(questions=("signs-two",)), dict(locales=("en",))):
        plan = WavePlan(WaveKind.ENDLINE, wave.opens_on, wave.closes_on,
                        **{"questions": ("signs-two", "knows-report"), **change})  # type: ignore[arg-type]
        refused("wave_frozen", lambda plan=plan: planning.update_wave(actor, wave, plan))
    longer = WavePlan(WaveKind.ENDLINE, wave.opens_on, wave.closes_on + timedelta(days=7),
                      questions=("signs-two", "knows-report"))  # fmt: skip
    planning.update_wave(actor, wave, longer)  # only the closing day moves
    assert wave.closes_on == c.ends + timedelta(days=28)
    refused("wave_not_planned", lambda: planning.delete_wave(actor, wave, 0))
    planning.close_wave(actor, wave, c.ends + timedelta(days=3))
    assert wave.closes_on == c.ends + timedelta(days=3)  # closed early: its dates say when answers came
    refused("wave_closed", lambda: planning.update_wave(actor, wave, longer))


# --- custom questions and translations -----------------------------------------------------------


def test_custom_question_rules(ctx: Flask) -> None:
    c, actor = running(), coordinator()
    refused("key_invalid", lambda: planning.create_question(actor, c, QuestionPlan("Bad Key", QuestionKind.YES_NO,
                                                                                   {"en": "x?"}, success=(1,))))
    refused("key_taken", lambda: planning.create_question(actor, c, QuestionPlan("signs-two", QuestionKind.YES_NO,
                                                                                 {"en": "x?"}, success=(1,))))
    refused("text_missing", lambda: planning.create_question(actor, c, QuestionPlan("q-one", QuestionKind.YES_NO,
                                                                                    {"en": "  "}, success=(1,))))
    refused("choices_too_few", lambda: planning.create_question(actor, c, QuestionPlan(
        "q-one", QuestionKind.SINGLE, {"en": "x?"}, {1: {"en": "only"}}, success=(1,))))
    refused("success_invalid", lambda: planning.create_question(actor, c, QuestionPlan(
        "q-one", QuestionKind.LIKERT, {"en": "x?"}, success=(9,))))
    custom_question(c)
    known = planning.custom_questions(c.id)
    assert [q.key for q in known] == ["knows-shelter"] and known[0].success == [1]


def test_untranslated_question_blocks_opening_by_hand(ctx: Flask) -> None:
    c, actor = running(), coordinator()
    assert c.ends is not None
    custom_question(c)  # English text only; its choices have Lithuanian
    wave = planning.create_wave(actor, c, endline(c, questions=("signs-two", "knows-shelter")))
    assert planning.untranslated(wave) == {"lt": ["knows-shelter"]}
    exc = refused("untranslated", lambda: planning.open_wave(actor, wave, c.ends + timedelta(days=1)))
    assert (exc.params["locale"], exc.params["question"]) == ("lt", "knows-shelter")
    message = text_of(exc, ctx)
    assert "knows-shelter" in message and "Lithuanian" in message
    assert wave.status == WaveStatus.PLANNED

    row = planning.custom_questions(c.id)[0]
    planning.update_question(actor, row, QuestionPlan(
        "knows-shelter", QuestionKind.SINGLE, {"en": row.texts["en"], "lt": "Ar žinote prieglaudą mieste?"},
        {1: {"en": "Yes, I have been there", "lt": "Taip, buvau"}, 2: {"en": "No", "lt": "Ne"}}, (1,)))
    assert planning.untranslated(wave) == {}
    planning.open_wave(actor, wave, c.ends + timedelta(days=1))
    assert wave.status == WaveStatus.OPEN
    # Its meaning is fixed now that answers can come in; its texts still change.
    refused("question_in_use", lambda: planning.update_question(actor, row, QuestionPlan(
        "knows-shelter", QuestionKind.YES_NO, {"en": "Changed?"}, success=(1,))))


def test_untranslated_question_blocks_the_scheduler_and_shows(surveyless: Flask) -> None:
    with surveyless.app_context(), write_intent():
        c = running()
        custom_question(c)
        wave = planning.create_wave(coordinator(), c, endline(c, questions=("knows-shelter",)))
        wave_id, campaign_id, opens = wave.id, c.id, wave.opens_on
        db.session.commit()
    run_job(surveyless, "open_close_waves", noon(opens))
    with surveyless.app_context():
        stored = db.session.get(SurveyWave, wave_id)
        assert stored is not None and stored.status == WaveStatus.PLANNED
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "survey_wave.open_refused")).one()
        assert entry.target_id == str(wave_id)
        assert (entry.details["locale"], entry.details["question"]) == ("lt", "knows-shelter")
        run = db.session.scalars(select(JobRun).where(JobRun.job_id == "open_close_waves")).one()
        assert run.result["refused"] == [wave_id] and run.result["opened"] == []
    page = demo_client(surveyless).get(f"/campaigns/{campaign_id}/surveys/").get_data(as_text=True)
    assert "The scheduler did not open this wave" in page
    assert "“knows-shelter” has no text in Lithuanian." in page


# --- the primary outcome and power ---------------------------------------------------------------


def test_primary_outcome_locks_when_the_endline_opens(surveyless: Flask) -> None:
    with surveyless.app_context(), write_intent():
        c, actor = running(), coordinator()
        refused("plan_question", lambda: planning.set_plan(actor, c, "signs-two", 0.21, 0.30))  # no wave asks it yet
        planning.create_wave(actor, c, baseline(c, questions=("signs-two", "people-told", "knows-report")))
        wave = planning.create_wave(actor, c, endline(c, questions=("signs-two", "people-told", "knows-report")))
        refused("plan_number_question", lambda: planning.set_plan(actor, c, "people-told", 0.21, 0.30))
        refused("share_invalid", lambda: planning.set_plan(actor, c, "signs-two", 0.0, 0.30))
        refused("shares_equal", lambda: planning.set_plan(actor, c, "signs-two", 0.3, 0.3))
        planning.set_plan(actor, c, "signs-two", 0.21, 0.30)
        planning.set_plan(actor, c, "knows-report", 0.40, 0.50)  # changes freely before the endline
        wave_id, campaign_id, opens = wave.id, c.id, wave.opens_on
        db.session.commit()
    run_job(surveyless, "open_close_waves", noon(opens))
    with surveyless.app_context(), write_intent():
        plan = db.session.get(SurveyPlan, campaign_id)
        stored = db.session.get(SurveyWave, wave_id)
        assert stored is not None and stored.status == WaveStatus.OPEN
        assert plan is not None and plan.locked_at is not None and plan.primary_question == "knows-report"
        again = db.session.get(Campaign, campaign_id)
        assert again is not None
        exc = refused("plan_locked", lambda: planning.set_plan(coordinator(), again, "signs-two", 0.21, 0.30))
        assert "endline has opened" in text_of(exc, surveyless)
    client = demo_client(surveyless)
    token = csrf(client, f"/campaigns/{campaign_id}/surveys/")
    response = client.post(f"/campaigns/{campaign_id}/surveys/plan", data={
        "csrf_token": token, "primary_question": "signs-two", "hoped_before": "21", "hoped_after": "30"})
    assert response.status_code == 422
    with surveyless.app_context():
        plan = db.session.get(SurveyPlan, campaign_id)
        assert plan is not None and plan.primary_question == "knows-report" and plan.hoped_after == 0.5


def test_power_is_statsmodels_sample_size(ctx: Flask) -> None:
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    direct = NormalIndPower().solve_power(effect_size=proportion_effectsize(0.30, 0.21), alpha=0.05, power=0.8,
                                          ratio=1.0, alternative="two-sided")  # fmt: skip
    h = 2 * math.asin(math.sqrt(0.30)) - 2 * math.asin(math.sqrt(0.21))
    closed = ((1.959963984540054 + 0.8416212335729143) / h) ** 2 * 2  # n per group, two equal groups
    plan = SurveyPlan(campaign_id=0, primary_question="signs-two", hoped_before=0.21, hoped_after=0.30)
    needed = planning.needed_per_wave(plan)
    assert needed == sample_size_per_wave(0.21, 0.30) == math.ceil(direct) == math.ceil(closed - 1e-9)
    assert 300 < needed < 450
    plan.hoped_after = 0.21
    assert planning.needed_per_wave(plan) is None  # no change, no finite number


# --- comparison areas ----------------------------------------------------------------------------


def test_comparison_suggestions_avoid_the_campaign_and_its_neighbours(ctx: Flask) -> None:
    from libpysal.weights import Queen

    c = running()
    suggestions = planning.suggest_comparison(c, limit=5)
    assert len(suggestions) == 5
    shapes = load_shapes(c.boundary_set).set_index("area_id")
    queen = Queen.from_dataframe(shapes, use_index=True, silence_warnings=True)
    mine = {a.area_code for a in c.areas}
    neighbours = {n for code in mine for n in queen.neighbors[code]} - mine
    assert neighbours  # the rule has something to exclude
    codes = {s.code for s in suggestions}
    assert not codes & mine and not codes & neighbours

    # The order is the standardised distance on (score, log population) to the campaign's mean,
    # recomputed here from the stored ranking with pandas, over every area not excluded.
    run = db.session.get(RankingRun, c.ranking_run_id)
    assert run is not None
    frame = run_frame(run).set_index("area_id")
    frame = frame[frame["score"].notna() & (frame["population"] > 0)]
    feats = pd.DataFrame({"score": frame["score"].astype(float), "logpop": np.log(frame["population"].astype(float))})
    z = (feats - feats.mean()) / feats.std(ddof=0)
    centre = z.loc[z.index.isin(list(mine))].mean()
    distance = ((z - centre) ** 2).sum(axis=1).pow(0.5)
    allowed = distance[~distance.index.isin(list(mine | neighbours))].sort_values(kind="stable")
    assert [s.code for s in suggestions] == list(allowed.index[:5])
    assert [round(s.distance, 9) for s in suggestions] == [round(d, 9) for d in allowed.iloc[:5]]
    nearest_overall = distance[~distance.index.isin(list(mine))].idxmin()
    assert suggestions[0].distance >= distance[nearest_overall]


def test_suggestions_show_their_reason_on_the_wave_form(surveyless: Flask) -> None:
    with surveyless.app_context():
        campaign_id = running().id
    page = demo_client(surveyless).get(f"/campaigns/{campaign_id}/surveys/new").get_data(as_text=True)
    reasons = re.findall(r'class="meta suggestion-reason">([^<]+)<', page)
    assert len(reasons) == 5
    assert all(re.match(r"score [\d.]+ vs campaign mean [\d.]+; population [\d,]+; not next to a campaign area", r)
               for r in reasons), reasons  # fmt: skip


# --- the scheduler -------------------------------------------------------------------------------


def test_scheduler_opens_and_closes_on_dates_once_a_day(surveyless: Flask) -> None:
    with surveyless.app_context(), write_intent():
        c = running()
        assert c.ends is not None
        wave = planning.create_wave(coordinator(), c, endline(c, questions=("signs-two",)))
        wave_id, opens, closes = wave.id, wave.opens_on, wave.closes_on
        db.session.commit()

    def status() -> tuple[WaveStatus, Any, Any]:
        with surveyless.app_context():
            w = db.session.get(SurveyWave, wave_id)
            assert w is not None
            return w.status, w.opened_at, w.closed_at

    run_job(surveyless, "open_close_waves", noon(opens - timedelta(days=1)))
    assert status()[0] == WaveStatus.PLANNED  # not yet
    run_job(surveyless, "open_close_waves", noon(opens))
    opened = status()
    assert opened[0] == WaveStatus.OPEN
    assert "skipped" in run_job(surveyless, "open_close_waves", noon(opens) + timedelta(hours=3))
    with surveyless.app_context(), write_intent():  # the pass itself finds nothing more to do that day
        assert planning.open_and_close(audit.SCHEDULER, opens) == {"opened": [], "closed": [], "refused": [],
                                                                   "campaigns": []}  # fmt: skip
    assert status() == opened
    run_job(surveyless, "open_close_waves", noon(closes))
    assert status()[0] == WaveStatus.OPEN  # its last day still takes answers
    run_job(surveyless, "open_close_waves", noon(closes + timedelta(days=1)))
    closed = status()
    assert closed[0] == WaveStatus.CLOSED and closed[2] is not None
    run_job(surveyless, "open_close_waves", noon(closes + timedelta(days=2)))
    assert status() == closed
    with surveyless.app_context():
        results = db.session.scalars(select(JobRun.result).where(JobRun.job_id == "open_close_waves")
                                     .order_by(JobRun.period_key)).all()  # fmt: skip
        assert [r["opened"] for r in results] == [[], [wave_id], [], [], []]
        assert [r["closed"] for r in results] == [[], [], [], [wave_id], []]


def test_the_job_is_listed_for_admins(surveyless: Flask) -> None:
    assert "open_close_waves" in {job.id for job in JOBS}
    page = demo_client(surveyless, Role.ADMIN).get("/admin/jobs").get_data(as_text=True)
    assert "Open survey waves on their first day and close them after their last." in page


# --- the pages -----------------------------------------------------------------------------------


def test_coordinator_plans_surveys_through_the_pages(surveyless: Flask) -> None:
    with surveyless.app_context():
        c = running()
        campaign_id, starts = c.id, c.starts
        assert starts is not None
        first_suggestion = planning.suggest_comparison(c, limit=1)[0].code
    client = demo_client(surveyless)
    base = f"/campaigns/{campaign_id}/surveys"
    assert client.get(f"{base}/").status_code == 200

    token = csrf(client, f"{base}/new")
    response = client.post(f"{base}/new", data={
        "csrf_token": token, "kind": "baseline", "opens_on": (starts - timedelta(days=30)).isoformat(),
        "closes_on": (starts + timedelta(days=2)).isoformat(), "locale": ["en", "lt"], "question": ["signs-two"]})
    assert response.status_code == 422
    assert "on or before the day the campaign starts" in response.get_data(as_text=True)

    response = client.post(f"{base}/new", data={
        "csrf_token": token, "kind": "baseline", "opens_on": (starts - timedelta(days=30)).isoformat(),
        "closes_on": (starts - timedelta(days=1)).isoformat(), "locale": ["en", "lt"],
        "question": ["knows-report", "signs-two"], "comparison": [first_suggestion], "access": "link"})
    assert response.status_code == 303, response.get_data(as_text=True)
    with surveyless.app_context():
        wave = db.session.scalars(select(SurveyWave).where(SurveyWave.campaign_id == campaign_id)).one()
        assert wave.questions == ["knows-report", "signs-two"]
        assert [a["code"] for a in wave.comparison_areas] == [first_suggestion]
        wave_id, token_of_wave = wave.id, wave.token

    response = client.post(f"{base}/questions/new", data={
        "csrf_token": token, "key": "knows-shelter", "kind": "single",
        "text-en": "Do you know the shelter in town?", "text-lt": "Ar žinote prieglaudą mieste?",
        "choice-1-en": "Yes", "choice-1-lt": "Taip", "choice-2-en": "No", "choice-2-lt": "Ne", "success": ["1"]})
    assert response.status_code == 303, response.get_data(as_text=True)
    edit = client.get(f"{base}/questions/knows-shelter/edit").get_data(as_text=True)
    assert "Ar žinote prieglaudą mieste?" in edit

    response = client.post(f"{base}/{wave_id}/edit", data={
        "csrf_token": token, "kind": "baseline", "opens_on": (starts - timedelta(days=30)).isoformat(),
        "closes_on": (starts - timedelta(days=1)).isoformat(), "locale": ["en", "lt"],
        "question": ["knows-report", "signs-two", "knows-shelter"], "comparison": [first_suggestion]})
    assert response.status_code == 303, response.get_data(as_text=True)

    response = client.post(f"{base}/plan", data={
        "csrf_token": token, "primary_question": "knows-shelter", "hoped_before": "21", "hoped_after": "30 %"})
    assert response.status_code == 303, response.get_data(as_text=True)
    with surveyless.app_context():
        plan = db.session.get(SurveyPlan, campaign_id)
        assert plan is not None and (plan.primary_question, plan.hoped_before, plan.hoped_after) == (
            "knows-shelter", 0.21, 0.30)

    for path in (f"{base}/plan", f"{base}/questions/new", f"{base}/{wave_id}/edit"):
        assert client.get(path).status_code == 200, path
    assert 'value="21"' in client.get(f"{base}/plan").get_data(as_text=True)
    page = client.get(f"{base}/").get_data(as_text=True)
    needed = sample_size_per_wave(0.21, 0.30)
    assert f"you need about {needed:,} answers per wave and per group" in page
    assert f"/s/{token_of_wave}/lt" in page and f"{base}/{wave_id}/xlsform" in page
    assert "wave-untranslated" not in page
    campaign_page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert re.search(r'id="survey-status">1 wave, 0 answers', campaign_page)

    # The wave closed before today: too late to open it by hand, and the page says why.
    response = client.post(f"{base}/{wave_id}/open", data={"csrf_token": token}, follow_redirects=True)
    assert "has passed" in response.get_data(as_text=True)
    response = client.post(f"{base}/{wave_id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    with surveyless.app_context():
        assert db.session.get(SurveyWave, wave_id) is None


def test_open_now_and_close_now(surveyless: Flask) -> None:
    with surveyless.app_context(), write_intent():
        c = running()
        assert c.ends is not None
        # A follow-up far off would be refused "open now" only for its dates: use a wave that covers today.
        c.ends = date.today() - timedelta(days=1)
        wave = planning.create_wave(coordinator(), c, WavePlan(WaveKind.ENDLINE, date.today() + timedelta(days=2),
                                                               date.today() + timedelta(days=20)))  # fmt: skip
        wave_id, campaign_id = wave.id, c.id
        db.session.commit()
    client = demo_client(surveyless)
    base = f"/campaigns/{campaign_id}/surveys"
    token = csrf(client, f"{base}/")
    assert client.post(f"{base}/{wave_id}/open", data={"csrf_token": token}).status_code == 303
    with surveyless.app_context():
        opened = db.session.get(SurveyWave, wave_id)
        assert opened is not None and opened.status == WaveStatus.OPEN and opened.opens_on == date.today()
    assert "Close now" in client.get(f"{base}/").get_data(as_text=True)
    assert client.post(f"{base}/{wave_id}/close", data={"csrf_token": token}).status_code == 303
    with surveyless.app_context():
        closed = db.session.get(SurveyWave, wave_id)
        assert closed is not None and closed.status == WaveStatus.CLOSED and closed.closes_on == date.today()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.TRAINER])
def test_reviewers_and_trainers_cannot_reach_the_survey_pages(surveyless: Flask, role: Role) -> None:
    with surveyless.app_context(), write_intent():
        c = running()
        wave = planning.create_wave(coordinator(), c, baseline(c))
        campaign_id, wave_id = c.id, wave.id
        db.session.commit()
    client = demo_client(surveyless, role)
    base = f"/campaigns/{campaign_id}/surveys"
    for path in (f"{base}/", f"{base}/new", f"{base}/{wave_id}/edit", f"{base}/plan", f"{base}/questions/new"):
        assert client.get(path).status_code == 403, path
    token = csrf(client, "/account")
    for action in ("open", "close", "delete"):
        assert client.post(f"{base}/{wave_id}/{action}", data={"csrf_token": token}).status_code == 403
    with surveyless.app_context():
        assert db.session.get(SurveyWave, wave_id) is not None


def test_an_evaluated_campaign_is_read_only(surveyless: Flask) -> None:
    with surveyless.app_context(), write_intent():
        ended = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ENDED)).one()
        campaign_service.move(coordinator(), ended, CampaignStatus.EVALUATED, version=ended.version,
                              today=date.today())  # fmt: skip
        campaign_id = ended.id
        counts = {w.id: answers.count(w.id) for w in planning.waves(campaign_id)}
        db.session.commit()
    assert counts and all(counts.values())  # the demo's waves of the ended campaign hold answers
    client = demo_client(surveyless)
    base = f"/campaigns/{campaign_id}/surveys"
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "no longer changed" in page and "Plan a wave" not in page and "Open now" not in page
    shown = dict(re.findall(r'id="wave-(\d+)".*?class="wave-answers">([\d,]+)<', page, flags=re.S))
    assert {int(k): int(v.replace(",", "")) for k, v in shown.items()} == counts
    token = csrf(client, f"{base}/")
    response = client.post(f"{base}/new", data={"csrf_token": token, "kind": "follow_up",
                                                 "opens_on": "2099-01-01", "closes_on": "2099-02-01"})  # fmt: skip
    assert response.status_code == 303
    with surveyless.app_context():
        assert len(planning.waves(campaign_id)) == len(counts)
