"""Synthetic survey waves and helpline reports for the demo campaigns, so the effectiveness report
shows every section (shares, changes, Likert items, the difference in differences, breakdowns and
reports before and after) on data that is plainly generated.

The ended campaign gets a baseline, an endline and a follow-up in its areas and in comparison
areas; the running one a closed baseline and an endline planned after it ends. Answers go through
`surveys.answers.store`, the same checks and store as the public form and the field imports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from content.questions import bank

from ..extensions import db
from ..models import Area, Campaign, IncidentRecord, IncidentSet
from ..surveys import answers, planning
from ..surveys.models import ANSWERED, SurveyPlan, SurveyWave, WaveKind, WaveStatus
from .audit import Actor

SURVEY_SEED: Final = 2012
PER_AREA: Final = 30  # mean answers per area and wave (a demo, not a study: enough for every section)
COMPARISON_AREAS: Final = 6
SEGMENTS: Final = ("bank staff", "community members")
HELPLINE_SET: Final = "SYNTHETIC helpline reports"
# Share giving the hoped-for answer: (baseline, endline, follow-up) in campaign / comparison areas.
EFFECT: Final = {
    "signs-two": ((0.24, 0.47, 0.41), (0.23, 0.27, 0.26)),
    "knows-report": ((0.38, 0.55, 0.52), (0.37, 0.40, 0.39)),
    "act-differently": ((0.21, 0.45, 0.40), (0.22, 0.25, 0.24)),
    "trusts-helpline": ((0.35, 0.44, 0.42), (0.34, 0.35, 0.35)),
    "seen-material": ((0.12, 0.58, 0.36), (0.11, 0.14, 0.13)),
}


def comparison_areas(campaign: Campaign, n: int = COMPARISON_AREAS) -> list[dict[str, str]]:
    """The planner's own suggestions, as a coordinator would tick them."""
    return [{"code": s.code, "name": s.name} for s in planning.suggest_comparison(campaign, limit=n)]


def _answers(rng: np.random.Generator, wave: SurveyWave, codes: list[str], comparison: set[str],
             stage: int) -> answers.Batch:  # fmt: skip
    """One wave's responses, drawn per area (vectorised over respondents)."""
    per_area = rng.poisson(PER_AREA, len(codes))
    area = np.repeat(np.array(codes, dtype=object), per_area)
    n = len(area)
    is_comparison = np.isin(area, list(comparison))
    days = (wave.closes_on - wave.opens_on).days + 1
    responses = pd.DataFrame({
        "row": np.arange(1, n + 1), "area_code": area,
        "locale": np.where(rng.random(n) < 0.22, "lt", "en"),
        "segment": np.where(rng.random(n) < 0.35, SEGMENTS[0], SEGMENTS[1]),
        "day": [wave.opens_on + timedelta(days=int(d)) for d in rng.integers(0, days, n)],
        "instance_id": None,
    })  # fmt: skip
    parts: list[pd.DataFrame] = []

    def add(key: str, rows: np.ndarray, values: np.ndarray) -> None:
        parts.append(pd.DataFrame({"row": rows, "question": key, "value": values, "column": key}))

    answered = rng.random(n) > 0.03  # a few skip each question
    for question in bank():
        if question.key not in wave.questions:
            continue
        rows = responses["row"].to_numpy()[answered]
        p = np.where(is_comparison, EFFECT.get(question.key, ((0.3,) * 3, (0.3,) * 3))[1][stage],
                     EFFECT.get(question.key, ((0.3,) * 3, (0.3,) * 3))[0][stage])[answered]  # fmt: skip
        hit = rng.random(len(rows)) < p
        if question.kind == "yes_no":
            add(question.key, rows, np.where(hit, 1, 2))
        elif question.kind == "single":
            good = np.array(sorted(question.success))
            bad = np.array(sorted(set(question.codes()) - question.success))
            add(question.key, rows, np.where(hit, rng.choice(good, len(rows)), rng.choice(bad, len(rows))))
        elif question.kind == "likert":
            add(question.key, rows, np.where(hit, rng.choice([4, 5], len(rows), p=[0.65, 0.35]),
                                             rng.choice([1, 2, 3], len(rows), p=[0.12, 0.38, 0.5])))  # fmt: skip
        elif question.kind == "multiple":
            add(question.key, rows, np.full(len(rows), ANSWERED))
            for choice in question.choices:
                weight = 0.55 if choice.code in (1, 2, 3) and stage != 0 else 0.2
                chosen = rows[rng.random(len(rows)) < weight * np.where(is_comparison[answered], 0.5, 1.0)]
                add(question.key, chosen, np.full(len(chosen), choice.code))
        else:
            add(question.key, rows, rng.poisson(np.where(is_comparison[answered], 0.6, 0.6 + stage * 0.9)))
    return answers.Batch(responses, pd.concat(parts, ignore_index=True))


def _waves(campaign: Campaign, today: date) -> list[tuple[SurveyWave, int]]:
    """(wave, stage): stage 0 baseline, 1 endline, 2 follow-up; answered only if closed by today."""
    assert campaign.starts is not None and campaign.ends is not None
    plan = [
        (WaveKind.BASELINE, campaign.starts - timedelta(days=28), campaign.starts - timedelta(days=1), 0),
        (WaveKind.ENDLINE, campaign.ends + timedelta(days=1), campaign.ends + timedelta(days=28), 1),
        (WaveKind.FOLLOW_UP, campaign.ends + timedelta(days=92), campaign.ends + timedelta(days=119), 2),
    ]
    comparison = comparison_areas(campaign)
    keys = [q.key for q in bank()]
    out = []
    for kind, opens, closes, stage in plan:
        if kind == WaveKind.FOLLOW_UP and closes >= today:
            continue
        status = WaveStatus.CLOSED if closes < today else WaveStatus.OPEN if opens <= today else WaveStatus.PLANNED
        wave = SurveyWave(campaign_id=campaign.id, kind=kind, opens_on=opens, closes_on=closes, status=status,
                          token=f"demo{campaign.id}{kind.value[:4]}{stage}", locales=list(campaign.locales),
                          questions=keys, comparison_areas=comparison)  # fmt: skip
        db.session.add(wave)
        out.append((wave, stage))
    db.session.flush()
    return out


def add_surveys(actor: Actor, campaign: Campaign, today: date, seed: int = SURVEY_SEED) -> int:
    """Waves, the primary outcome and answers for one demo campaign; returns the answers stored."""
    rng = np.random.default_rng(seed + campaign.id)
    plan = SurveyPlan(campaign_id=campaign.id, primary_question="act-differently", hoped_before=0.21,
                      hoped_after=0.35, updated_by_id=actor.user.id if actor.user else None)
    db.session.add(plan)
    stored = 0
    waves = _waves(campaign, today)
    if any(w.kind == WaveKind.ENDLINE and w.status != WaveStatus.PLANNED for w, _ in waves):
        plan.locked_at = datetime.now(UTC)  # the endline has opened: the primary outcome is fixed
    for wave, stage in waves:
        if wave.status != WaveStatus.CLOSED:
            continue
        codes = [a.area_code for a in campaign.areas] + [a["code"] for a in wave.comparison_areas]
        batch = _answers(rng, wave, codes, {a["code"] for a in wave.comparison_areas}, stage)
        batch.responses["instance_id"] = [f"demo:{wave.id}:{i}" for i in batch.responses["row"]]
        stored += answers.store(wave, batch, "demo")[0]
    return stored


def reserve_helpline_set(organisation_id: int, boundary_set_id: int) -> IncidentSet:
    """The helpline-report set, made before the demo's incident set and filled after the
    campaigns exist: its lower id keeps the incident set the ranking page's default, and
    'importing' keeps it out of every query until it is filled."""
    incident_set = IncidentSet(
        organisation_id=organisation_id, boundary_set_id=boundary_set_id, name=HELPLINE_SET, synthetic=True,
        status="importing", source="Generated by campaigns.services.demo_surveys (seeded); not real reports.",
    )  # fmt: skip
    db.session.add(incident_set)
    db.session.flush()
    return incident_set


def add_helpline_reports(incident_set: IncidentSet, campaign: Campaign, today: date, seed: int = SURVEY_SEED) -> int:
    """Yearly helpline reports per area, two years before the campaign to this year, a little up
    in the campaign's areas from its year on: the report's "did more people report?" section."""
    assert campaign.starts is not None
    areas = db.session.execute(select(Area.id, Area.code, Area.population).where(
        Area.boundary_set_id == campaign.boundary_set_id)).all()  # fmt: skip
    years = np.arange(campaign.starts.year - 2, today.year + 1)
    rng = np.random.default_rng(seed)
    ids = np.array([a[0] for a in areas])
    population = np.array([float(a[2] or 0) for a in areas])
    treated = np.isin([a[1] for a in areas], [a.area_code for a in campaign.areas])
    rate = 14 / 100_000 * np.exp(rng.normal(0, 0.25, len(areas)))
    uplift = np.where(treated[None, :] & (years[:, None] >= campaign.starts.year), 1.35, 1.0)
    counts = rng.poisson(population[None, :] * rate[None, :] * uplift)
    year_idx, area_idx = np.nonzero(counts)
    db.session.execute(insert(IncidentRecord), [
        {"incident_set_id": incident_set.id, "area_id": int(ids[a]), "period": int(years[y]),
         "count": int(counts[y, a]), "attributes": {}} for y, a in zip(year_idx, area_idx, strict=True)
    ])  # fmt: skip
    incident_set.status = "ready"
    return int(counts.sum())

