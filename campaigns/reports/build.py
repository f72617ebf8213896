"""The effectiveness report of one campaign as plain, JSON-ready data.

Every number in it goes through `targeting.privacy` first and is then computed from the published
cells only (the planner's one disclosure-control mechanism, docs/threat-model.md):

* an outcome's answers per wave and group are the table [hoped-for, other] with its n published,
  so both are hidden together when either is 1..k-1 (complementary suppression against n), and
  the share, interval and change are then not shown at all rather than shown from a fill;
* a Likert item's five levels are suppressed side by side (the agree levels and the others each
  hide none or at least two, since the share publishes both sides' totals), and its mean is
  computed from the published levels (hidden ones weigh their side's remainder);
* breakdowns by language and group are two-way tables whose margins are published elsewhere in
  the report, suppressed with `suppress_table` against both margins;
* the difference in differences and the incident rate ratio are computed from per-area cells
  protected with `protect_counts` (hidden cells filled), which are never printed.

The result is a dict so a frozen report (`freeze.py`) stores exactly what the page showed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from content.questions import Question
from targeting.privacy import ProtectedCounts, protect_counts, published_count, suppress_table

from .. import outcome_stats as st
from ..extensions import db
from ..models import Area, Campaign, IncidentRecord, IncidentSet
from ..services import reach
from ..surveys.answers import campaign_questions
from ..surveys.models import ANSWERED, SurveyPlan, SurveyResponse, SurveyWave, WaveKind
from .counts import answer_counts

GROUPS: Final = ("campaign", "comparison")
WAVE_ORDER: Final = {WaveKind.BASELINE: 0, WaveKind.ENDLINE: 1, WaveKind.FOLLOW_UP: 2}


def _num(value: Any) -> float | None:
    """A float for JSON: None for NaN, None or infinities."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _estimate(count: int, n: int) -> dict[str, Any]:
    e = st.share(count, n)
    return {"n": n, "count": count, "share": e.share, "lower": e.lower, "upper": e.upper, "hidden": False}


def _hidden_row(n: int, k: int) -> dict[str, Any]:
    small_n = 1 <= n < k
    return {"n": None if small_n else n, "count": None, "share": None, "lower": None, "upper": None, "hidden": True,
            "too_few_answers": small_n}  # fmt: skip


def _by_side(levels: np.ndarray, success: np.ndarray, k: int) -> ProtectedCounts | None:
    """Suppression that keeps a share publishable: every side (hoped-for levels, other levels)
    hides no cell or at least two, so the side's total, which the share publishes, gives none back.
    None when a side hides a lone cell it has nothing to pair with (its total is then that cell)."""
    hidden = (levels >= 1) & (levels < k)
    for side in (success, ~success):
        positions = np.flatnonzero(side)
        if hidden[positions].sum() != 1:
            continue
        others = [int(i) for i in positions if not hidden[i]]
        if not others:
            return None
        hidden[min(others, key=lambda i: levels[i])] = True  # the smallest: least information lost
    published = levels.astype(float)
    for side in (success, ~success):
        mask = side & hidden
        if mask.any():
            # The side's total (published with the share) minus its shown levels, shared equally.
            published[mask] = float(levels[side].sum() - levels[side & ~hidden].sum()) / int(mask.sum())
    return ProtectedCounts(published, hidden, k)


def published_share(
    levels: np.ndarray, success: np.ndarray, k: int
) -> tuple[dict[str, Any], ProtectedCounts | None]:
    """An outcome's share from its per-level counts (two levels for a yes/no or single choice:
    [hoped-for, other]), as it may be published, and the levels as published (None when n is
    itself a small count). See the module docstring for the rules."""
    n = int(levels.sum())
    if n == 0:
        empty = {"n": 0, "count": None, "share": None, "lower": None, "upper": None, "hidden": False}
        return empty, ProtectedCounts(levels * 0.0, np.zeros(levels.shape, dtype=bool), k)
    if n < k:
        return _hidden_row(n, k), None
    count = int(levels[success].sum())
    sides_ok = not (1 <= count < k or 1 <= n - count < k)
    protected = _by_side(levels, success, k) if sides_ok and len(levels) > 2 else None
    if protected is None:
        protected = protect_counts(levels, k, known_total=n)
        one_side = not protected.hidden[~success].any() or not protected.hidden[success].any()
        sides_ok = sides_ok and one_side
    if not sides_ok:
        return _hidden_row(n, k), protected
    return _estimate(count, n), protected


def _levels(by_value: pd.Series, question: Question) -> tuple[np.ndarray, np.ndarray]:
    """Counts per level (from answers counted by value) and which levels count as the outcome:
    [hoped-for, other] for yes/no and single choice (their choices are not published one by
    one), the five levels for Likert."""
    if question.kind == "likert":
        codes = np.array(question.codes())
        return by_value.reindex(codes, fill_value=0).to_numpy(np.int64), np.isin(codes, list(question.success))
    hit = int(by_value[by_value.index.isin(list(question.success))].sum())
    return np.array([hit, int(by_value.sum()) - hit], dtype=np.int64), np.array([True, False])


def _options(question: Question) -> list[int | None]:
    """The binary outcomes a question gives: itself (None), or each option of a multiple choice."""
    return [c.code for c in question.choices] if question.kind == "multiple" else [None]


def _answers_of(frame: pd.DataFrame, question: Question, option: int | None) -> pd.DataFrame:
    """Rows (with `count`) in the shape `_levels` expects: a multiple choice's option becomes a
    yes (its code) or no (answered without it)."""
    if question.kind != "multiple":
        return frame
    keys = ["wave_id", "area_code", "comparison", "locale", "segment"]
    answered = frame[frame["value"] == ANSWERED].groupby(keys)["count"].sum()
    chosen = frame[frame["value"] == option].groupby(keys)["count"].sum().reindex(answered.index, fill_value=0)
    yes = chosen.reset_index().assign(value=option)
    no = (answered - chosen).reset_index().assign(value=-1)
    return pd.concat([yes, no], ignore_index=True)


def _outcome(
    frame: pd.DataFrame, question: Question, option: int | None, waves: Sequence[SurveyWave], k: int, primary: bool
) -> dict[str, Any]:
    q = question if option is None else Question(question.key, "yes_no", question.text, (), frozenset({option}))
    data = _answers_of(frame, question, option)
    rows: list[dict[str, Any]] = []
    likert_rows: list[dict[str, Any]] = []
    cells: dict[tuple[int, str], dict[str, Any]] = {}
    by_cell = data.groupby(["wave_id", "comparison", "value"])["count"].sum()
    present = set(zip(by_cell.index.get_level_values(0), by_cell.index.get_level_values(1), strict=True))
    nothing = pd.Series(dtype="int64")
    for wave in waves:
        for group in GROUPS:
            key = (wave.id, group == "comparison")
            if key not in present and group == "comparison" and not wave.comparison_areas:
                continue
            levels, success = _levels(by_cell.loc[key] if key in present else nothing, q)
            row, published = published_share(levels, success, k)
            row.update(wave=wave.id, wave_kind=wave.kind.value, group=group)
            rows.append(row)
            cells[(wave.id, group)] = row
            if q.kind == "likert":
                likert_rows.append(_likert_row(wave, group, levels, published, k))
    out: dict[str, Any] = {
        "key": question.key, "option": option, "kind": question.kind, "primary": primary and option is None,
        "rows": rows, "likert": likert_rows, "changes": _changes(cells, waves), "did": None,
        "breakdowns": {},
    }  # fmt: skip
    if q.kind != "number":
        out["did"] = _did(data, q, waves, k)
        if option is None:  # an option of a multiple choice is not broken down: the question is
            out["breakdowns"] = {by: _breakdown(data, q, waves, by, k) for by in ("locale", "segment")}
    return out


def _likert_row(
    wave: SurveyWave, group: str, levels: np.ndarray, published: ProtectedCounts | None, k: int
) -> dict[str, Any]:
    """The five levels as shown (the share's own suppression) and the mean computed from them."""
    n = int(levels.sum())
    if published is None:
        return {"wave": wave.id, "wave_kind": wave.kind.value, "group": group, "n": None, "levels": [None] * 5,
                "mean": None, "lower": None, "upper": None, "too_few_answers": True}  # fmt: skip
    mean, lower, upper = st.weighted_mean(st.LIKERT_LEVELS, published.published)
    return {"wave": wave.id, "wave_kind": wave.kind.value, "group": group, "n": n, "levels": published.shown_values(),
            "mean": mean, "lower": lower, "upper": upper, "too_few_answers": 0 < n < st.MIN_N}  # fmt: skip


def _changes(cells: dict[tuple[int, str], dict[str, Any]], waves: Sequence[SurveyWave]) -> list[dict[str, Any]]:
    """Baseline -> each later wave, per group, from the published counts (Newcombe + z test)."""
    out: list[dict[str, Any]] = []
    baseline = next((w for w in waves if w.kind == WaveKind.BASELINE), None)
    if baseline is None:
        return out
    for later in (w for w in waves if w.kind != WaveKind.BASELINE):
        for group in GROUPS:
            before, after = cells.get((baseline.id, group)), cells.get((later.id, group))
            if before is None or after is None:
                continue
            few = bool(before["hidden"] or after["hidden"] or min(before["n"] or 0, after["n"] or 0) < st.MIN_N)
            row: dict[str, Any] = {"group": group, "from": baseline.id, "to": later.id, "to_kind": later.kind.value,
                                   "difference": None, "lower": None, "upper": None, "statistic": None,
                                   "p_value": None, "significant": False, "too_few_answers": few}  # fmt: skip
            if not (before["hidden"] or after["hidden"]) and before["n"] and after["n"]:
                ch = st.change(before["count"], before["n"], after["count"], after["n"])
                row.update(difference=ch.difference, lower=ch.lower, upper=ch.upper, statistic=ch.statistic,
                           p_value=ch.p_value, significant=ch.significant())  # fmt: skip
            out.append(row)
    return out


def _did(data: pd.DataFrame, q: Question, waves: Sequence[SurveyWave], k: int) -> dict[str, Any] | None:
    """Campaign vs comparison areas, baseline -> endline, clustered by area, on protected cells."""
    baseline = next((w for w in waves if w.kind == WaveKind.BASELINE), None)
    endline = next((w for w in waves if w.kind == WaveKind.ENDLINE), None)
    if baseline is None or endline is None or not data["comparison"].any():
        return None
    mine = data[data["wave_id"].isin([baseline.id, endline.id])]
    hit = mine["value"].isin(list(q.success))
    per = mine.assign(hit=np.where(hit, mine["count"], 0)).groupby(["area_code", "comparison", "wave_id"])[
        ["hit", "count"]
    ].sum().reset_index()
    if per.empty:
        return None
    table = np.column_stack([per["hit"].to_numpy(), (per["count"] - per["hit"]).to_numpy()])
    published = protect_counts(table, k).published
    cells = pd.DataFrame({
        "area": per["area_code"], "treated": ~per["comparison"], "after": per["wave_id"] == endline.id,
        "count": published[:, 0], "n": published.sum(axis=1),
    })  # fmt: skip
    result = st.did_shares(cells)
    return None if result is None else asdict(result) | {"significant": result.significant()}


def _breakdown(data: pd.DataFrame, q: Question, waves: Sequence[SurveyWave], by: str, k: int) -> list[dict[str, Any]]:
    """Per wave and group, the outcome by language or by group of people, suppressed with its
    margins (the row totals and the wave's own [hoped-for, other], both published)."""
    out: list[dict[str, Any]] = []
    values = sorted(v for v in data[by].dropna().unique() if v != "")
    if len(values) < 2:
        return out
    hit = np.where(data["value"].isin(list(q.success)), data["count"], 0)
    per = data.assign(hit=hit).groupby(["wave_id", "comparison", by])[["hit", "count"]].sum()
    kinds = {w.id: w.kind.value for w in waves}
    for (wave_id, comparison), block in per.groupby(level=[0, 1], sort=True):
        block = block.droplevel([0, 1]).reindex(values, fill_value=0)
        table = np.column_stack([block["hit"].to_numpy(), (block["count"] - block["hit"]).to_numpy()]).astype(np.int64)
        suppressed = suppress_table(table, k)
        hidden, totals_hidden = suppressed.cells_hidden, suppressed.hidden[:-1, -1]
        for i, value in enumerate(values):
            n = int(table[i].sum())
            row: dict[str, Any]
            if hidden[i].any():
                row = {"n": None if totals_hidden[i] else n, "count": None, "share": None, "lower": None,
                       "upper": None, "hidden": True, "too_few_answers": bool(totals_hidden[i])}  # fmt: skip
            elif n:
                row = _estimate(int(table[i, 0]), n)
            else:
                row = {"n": 0, "count": 0, "share": None, "lower": None, "upper": None, "hidden": False}
            group = "comparison" if comparison else "campaign"
            row.update(wave=int(wave_id), wave_kind=kinds[int(wave_id)], group=group, value=value)
            out.append(row)
    order = {w.id: i for i, w in enumerate(waves)}
    return sorted(out, key=lambda r: (order[r["wave"]], r["group"] != "campaign"))


def _numbers(frame: pd.DataFrame, question: Question, waves: Sequence[SurveyWave], k: int) -> list[dict[str, Any]]:
    out = []
    for wave in waves:
        for group in GROUPS:
            mine = frame[(frame["wave_id"] == wave.id) & (frame["comparison"] == (group == "comparison"))]
            by_value = mine.groupby("value")["count"].sum()  # one number question: a few rows
            n = int(by_value.sum())
            if n == 0 and group == "comparison" and not wave.comparison_areas:
                continue
            mean, lower, upper = (None, None, None) if 0 < n < k else st.weighted_mean(by_value.index, by_value)
            out.append({"wave": wave.id, "wave_kind": wave.kind.value, "group": group,
                        "n": None if 0 < n < k else n, "mean": mean, "lower": lower, "upper": upper,
                        "too_few_answers": n < st.MIN_N})  # fmt: skip
    return out


def _power(plan: SurveyPlan | None, outcomes: list[dict[str, Any]]) -> dict[str, Any] | None:
    if plan is None:
        return None
    try:
        needed = st.sample_size_per_wave(plan.hoped_before, plan.hoped_after)
    except ValueError:
        needed = None
    primary = next((o for o in outcomes if o["primary"]), None)
    reached: dict[str, bool | None] = {}
    if primary is not None and needed is not None:
        for row in primary["rows"]:
            if row["group"] == "campaign" and row["wave_kind"] in ("baseline", "endline"):
                reached[row["wave_kind"]] = (row["n"] or 0) >= needed
    return {"question": plan.primary_question, "hoped_before": plan.hoped_before, "hoped_after": plan.hoped_after,
            "needed": needed, "reached": reached, "locked": plan.locked_at is not None}  # fmt: skip


def _reach(campaign: Campaign) -> dict[str, Any]:
    """What the campaign reached, as the campaign page shows it (reach figures are platform
    totals per area, not counts of individuals' records, and carry no survey answer)."""
    cov = reach.coverage(campaign)
    timeline = cov.timeline
    records = []
    if len(timeline):
        frame = timeline[timeline["reached"].notna()]
        records = [{"channel": str(c), "period_start": s.isoformat(), "period_end": e.isoformat(), "reached": int(v)}
                   for c, s, e, v in zip(frame["channel"], frame["period_start"], frame["period_end"], frame["reached"],
                                         strict=True)]  # fmt: skip
    return {
        "channels": [{"channel": c.channel, "reached": c.reached_low, "added_up": c.reached_summed,
                      "population": c.population, "coverage": c.coverage, "target": c.target,
                      "frequency": c.frequency} for c in cov.channels],
        "areas": [{"code": a.code, "name": a.name, "population": a.population, "reached": a.reached_low,
                   "coverage": a.coverage} for a in cov.areas],
        "timeline": records,
        "last_day": cov.last_day.isoformat() if cov.last_day else None,
    }  # fmt: skip


def _incidents(campaign: Campaign, waves: Sequence[SurveyWave], k: int) -> dict[str, Any] | None:
    """Reports per year in campaign vs comparison areas, before vs from the campaign's year on,
    as a Poisson difference in differences on protected counts with population as exposure."""
    if campaign.starts is None:
        return None
    comparison = sorted({a["code"] for w in waves for a in w.comparison_areas})
    treated = [a.area_code for a in campaign.areas]
    if not comparison or not treated:
        return None
    start_year = campaign.starts.year
    sets = db.session.execute(
        select(IncidentSet.id, IncidentSet.name, func.min(IncidentRecord.period), func.max(IncidentRecord.period))
        .join(IncidentRecord, IncidentRecord.incident_set_id == IncidentSet.id)
        .where(IncidentSet.boundary_set_id == campaign.boundary_set_id, IncidentSet.status == "ready",
               IncidentSet.organisation_id == campaign.organisation_id)
        .group_by(IncidentSet.id, IncidentSet.name)
    ).all()  # fmt: skip
    usable = [s for s in sets if s[2] < start_year <= s[3]]
    if not usable:
        return {"available": False}
    set_id, set_name, first, last = max(usable, key=lambda s: (s[3], s[0]))
    rows = db.session.execute(
        select(Area.code, Area.population, IncidentRecord.period, func.sum(IncidentRecord.count))
        .join(Area, Area.id == IncidentRecord.area_id)
        .where(IncidentRecord.incident_set_id == set_id, Area.code.in_(treated + comparison))
        .group_by(Area.code, Area.population, IncidentRecord.period)
    ).all()  # fmt: skip
    frame = pd.DataFrame(rows, columns=["area", "population", "period", "count"])
    populations = dict(db.session.execute(
        select(Area.code, Area.population).where(Area.boundary_set_id == campaign.boundary_set_id,
                                                  Area.code.in_(treated + comparison))).all())  # fmt: skip
    years_before = start_year - int(first)
    years_after = int(last) - start_year + 1
    frame["after"] = frame["period"] >= start_year
    per = frame.groupby(["area", "after"])["count"].sum().unstack(fill_value=0).reindex(
        treated + comparison, fill_value=0).reindex(columns=[False, True], fill_value=0)  # fmt: skip
    pop = np.array([float(populations.get(a) or 0) for a in per.index])
    exposure = np.column_stack([pop * years_before, pop * years_after])
    protected = protect_counts(per.to_numpy(np.int64), k, exposure=exposure)
    cells = pd.DataFrame({
        "treated": np.repeat(per.index.isin(treated), 2), "after": np.tile([False, True], len(per)),
        "count": protected.published.ravel(), "exposure": exposure.ravel(),
    })  # fmt: skip
    result = st.did_rates(cells)
    return {"available": result is not None, "set": set_name, "first": int(first), "last": int(last),
            "start_year": start_year, "result": None if result is None else asdict(result),
            "significant": bool(result and result.significant()), "areas": len(treated),
            "comparison_areas": len(comparison)}  # fmt: skip


def waves_of(campaign: Campaign) -> list[SurveyWave]:
    waves = db.session.scalars(select(SurveyWave).where(SurveyWave.campaign_id == campaign.id)).all()
    return sorted(waves, key=lambda w: (WAVE_ORDER[w.kind], w.opens_on, w.id))


def build_report(campaign: Campaign, k: int, today: date | None = None) -> dict[str, Any]:
    """Everything the report shows, computed now from the stored answers, reach and incidents."""
    waves = waves_of(campaign)
    plan = db.session.get(SurveyPlan, campaign.id)
    known = campaign_questions(campaign.id)
    asked = list(dict.fromkeys(key for w in waves for key in w.questions if key in known))
    if plan is not None and plan.primary_question in asked:
        asked.remove(plan.primary_question)
        asked.insert(0, plan.primary_question)
    frame = answer_counts([w.id for w in waves])
    responses = dict(db.session.execute(
        select(SurveyResponse.wave_id, func.count()).where(SurveyResponse.wave_id.in_([w.id for w in waves]))
        .group_by(SurveyResponse.wave_id)).all())  # fmt: skip
    outcomes: list[dict[str, Any]] = []
    numbers: list[dict[str, Any]] = []
    for key in asked:
        question = known[key]
        mine = frame[frame["question"] == key]
        if question.kind == "number":
            numbers.append({"key": key, "rows": _numbers(mine, question, waves, k)})
            continue
        for option in _options(question):
            primary = plan is not None and plan.primary_question == key
            outcomes.append(_outcome(mine, question, option, waves, k, primary))
    return {
        "campaign": {"id": campaign.id, "name": campaign.name, "status": campaign.status.value,
                     "starts": campaign.starts.isoformat() if campaign.starts else None,
                     "ends": campaign.ends.isoformat() if campaign.ends else None, "areas": len(campaign.areas),
                     "synthetic": campaign.synthetic},
        "k": k,
        "waves": [{"id": w.id, "kind": w.kind.value, "opens_on": w.opens_on.isoformat(),
                   "closes_on": w.closes_on.isoformat(), "status": w.status.value, "locales": list(w.locales),
                   "comparison_areas": len(w.comparison_areas),
                   "responses": published_count(int(responses.get(w.id, 0)), k)} for w in waves],
        "questions": {key: {"kind": known[key].kind, "text": known[key].text, "bank": known[key].bank,
                            "texts": dict(known[key].texts),
                            "choices": {str(c.code): c.text for c in known[key].choices}} for key in asked},
        "outcomes": outcomes,
        "numbers": numbers,
        "power": _power(plan, outcomes),
        "reach": _reach(campaign),
        "incidents": _incidents(campaign, waves, k),
    }  # fmt: skip
