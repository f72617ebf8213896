"""The effectiveness report: its statistics against statsmodels on real data, its disclosure
control attacked the way an outsider would, and the page, PDF, CSV and freeze through the app."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as hs
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import Campaign, CampaignStatus, Role
from campaigns.outcome_stats import did_rates, did_shares, weighted_mean
from campaigns.reports import build
from campaigns.reports.build import published_share
from campaigns.surveys.models import ReportFreeze, SurveyAnswer, SurveyResponse, SurveyWave
from targeting.demo import load_demo_areas, synthetic_incidents
from tests.conftest import demo_client

K = 11
TOL = 1e-9


# --- statistics against statsmodels, on data that ships inside a package -----------------------

def _fair_cells() -> tuple[pd.DataFrame, pd.DataFrame]:
    """statsmodels' Fair (1978) affairs survey, 6,366 women: 'had an affair' by occupation (the
    clusters), with occupations 4-6 as the 'treated' group and age over 30 as 'after'."""
    data = sm.datasets.fair.load_pandas().data
    people = pd.DataFrame({
        "area": data["occupation"].astype(int).astype(str), "treated": data["occupation"] >= 4,
        "after": data["age"] > 30, "y": (data["affairs"] > 0).astype(float),
    })  # fmt: skip
    cells = people.groupby(["area", "treated", "after"]).agg(n=("y", "size"), count=("y", "sum")).reset_index()
    return people, cells


def test_difference_in_differences_equals_statsmodels_clustered_ols_on_the_individual_answers() -> None:
    people, cells = _fair_cells()
    ours = did_shares(cells)
    assert ours is not None
    reference = smf.ols("y ~ treated * after", data=people.assign(treated=people.treated.astype(float),
                                                                  after=people.after.astype(float))).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(people["area"])[0]}, use_t=True)  # fmt: skip
    term = "treated:after"
    assert ours.estimate == pytest.approx(reference.params[term], abs=TOL)
    assert ours.se == pytest.approx(reference.bse[term], abs=TOL)
    assert (ours.lower, ours.upper) == pytest.approx(tuple(reference.conf_int().loc[term]), abs=TOL)
    assert ours.p_value == pytest.approx(reference.pvalues[term], abs=TOL)
    assert ours.n == len(people) and ours.clusters == 6


def test_difference_in_differences_needs_both_groups_and_waves() -> None:
    _people, cells = _fair_cells()
    assert did_shares(cells[cells["treated"]]) is None
    assert did_shares(cells[~cells["after"]]) is None


def test_poisson_difference_in_differences_equals_statsmodels_glm_on_georgia() -> None:
    """Georgia's counties with their census population (shipped by libpysal) and seeded incidents."""
    areas = load_demo_areas("georgia")
    incidents = synthetic_incidents(areas)
    counts = incidents.groupby(["area_id", "period"]).size().unstack(fill_value=0)
    treated_ids = set(areas.sort_values("population", ascending=False)["area_id"].head(20))
    population = areas.set_index("area_id")["population"]
    long = counts.stack().rename("count").reset_index()
    long = long.assign(treated=long["area_id"].isin(treated_ids), after=long["period"] >= 2022,
                       exposure=long["area_id"].map(population).astype(float))  # fmt: skip
    cells = long.groupby(["area_id", "treated", "after"], as_index=False).agg(
        count=("count", "sum"), exposure=("exposure", "sum"))  # fmt: skip
    ours = did_rates(cells)
    assert ours is not None
    model = smf.glm("count ~ treated * after", data=cells.assign(treated=cells.treated.astype(float),
                                                                  after=cells.after.astype(float)),
                    family=sm.families.Poisson(), offset=np.log(cells["exposure"])).fit()  # fmt: skip
    term = "treated:after"
    assert ours.ratio == pytest.approx(np.exp(model.params[term]), rel=TOL)
    low, high = model.conf_int().loc[term]
    assert (ours.lower, ours.upper) == pytest.approx((np.exp(low), np.exp(high)), rel=TOL)
    assert ours.p_value == pytest.approx(model.pvalues[term], rel=1e-7)


def test_weighted_mean_equals_statsmodels_on_the_expanded_answers() -> None:
    counts = [37, 104, 141, 40, 34]
    mean, lower, upper = weighted_mean([1, 2, 3, 4, 5], counts)
    expanded = sm.stats.DescrStatsW(np.repeat([1.0, 2, 3, 4, 5], counts))
    assert mean == pytest.approx(expanded.mean, abs=TOL)
    assert (lower, upper) == pytest.approx(expanded.tconfint_mean(), abs=TOL)
    assert weighted_mean([1, 2], [0, 0]) == (None, None, None)


# --- disclosure: what an outsider can work back from a published share ------------------------

@settings(max_examples=300, deadline=None)
@given(hs.lists(hs.integers(0, 60), min_size=5, max_size=5), hs.sets(hs.integers(0, 4), min_size=1, max_size=4))
def test_no_likert_level_or_share_gives_a_small_count_back(levels: list[int], success_levels: set[int]) -> None:
    values = np.array(levels, dtype=np.int64)
    success = np.isin(np.arange(5), list(success_levels))
    row, published = published_share(values, success, K)
    n = int(values.sum())
    if row["n"] is not None:
        assert not 1 <= row["n"] < K
    if row["count"] is not None:
        count = row["count"]
        assert count == int(values[success].sum())  # a shown share is the true one
        assert not 1 <= count < K and not 1 <= n - count < K
        assert row["share"] * n == pytest.approx(count)
    if published is None:
        return
    hidden = published.hidden
    assert not (((values >= 1) & (values < K)) & ~hidden).any()  # every small level is hidden
    shown = ~hidden
    assert (published.published[shown] == values[shown]).all()
    # Subtraction from the published n: a lone hidden level would be n minus the shown ones.
    assert hidden.sum() != 1
    if row["count"] is not None:
        # With the share shown, each side's total is published (count and n - count): a side
        # hiding a lone level would give it back as that total minus the side's shown levels.
        assert hidden[success].sum() != 1 and hidden[~success].sum() != 1


@settings(max_examples=300, deadline=None)
@given(hs.integers(0, 60), hs.integers(0, 60))
def test_a_yes_no_share_never_shows_a_small_count_on_either_side(yes: int, no: int) -> None:
    row, _published = published_share(np.array([yes, no]), np.array([True, False]), K)
    if row["share"] is not None:
        assert yes >= K and no >= K or (yes == 0 and no >= K) or (no == 0 and yes >= K)
    else:
        assert row["count"] is None and row["lower"] is None


# --- the report through the app ----------------------------------------------------------------

def _ended(app: Flask) -> Campaign:
    with app.app_context():
        found = db.session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.ENDED))
        assert found is not None
        db.session.expunge(found)
        return found


def test_demo_report_shows_every_section_with_n_and_interval(demo_app: Flask) -> None:
    campaign = _ended(demo_app)
    client = demo_client(demo_app, Role.REVIEWER)
    assert f'href="/reports/{campaign.id}"' in client.get("/reports/").get_data(as_text=True)
    html = client.get(f"/reports/{campaign.id}").get_data(as_text=True)
    for section in ('id="summary"', 'id="waves"', 'id="power"', 'class="did"', 'class="data likert"',
                    'id="incidents"', 'id="report-reach"', "By language", "By group of people"):
        assert section in html, section
    assert "Primary outcome:" in html and "Of " in html and "people asked after the campaign" in html
    assert "(secondary)" in html


def test_report_numbers_match_the_stored_answers(demo_app: Flask) -> None:
    campaign = _ended(demo_app)
    with demo_app.app_context():
        found = db.session.get(Campaign, campaign.id)
        assert found is not None
        numbers = build.build_report(found, K)
        primary = next(o for o in numbers["outcomes"] if o["primary"])
        row = next(r for r in primary["rows"] if r["wave_kind"] == "endline" and r["group"] == "campaign")
        wave_id = row["wave"]
        answers = SurveyAnswer
        mine = (answers.wave_id == wave_id, answers.question == primary["key"], answers.comparison.is_(False))
        n = db.session.scalar(select(func.count()).where(*mine))
        agree = db.session.scalar(select(func.count()).where(*mine, answers.value >= 4))
    assert (row["n"], row["count"]) == (n, agree)
    assert n and agree
    assert row["share"] == pytest.approx(agree / n)


def test_csv_has_one_row_per_outcome_wave_and_group_with_the_test(demo_app: Flask) -> None:
    campaign = _ended(demo_app)
    client = demo_client(demo_app, Role.REVIEWER)
    response = client.get(f"/reports/{campaign.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {"n", "count", "share", "lower", "upper", "statistic", "p_value"} <= set(rows[0])
    main = [r for r in rows if r["outcome"] == "act-differently" and not r["breakdown"] and r["option"] == ""
            and r["wave"] in ("baseline", "endline", "follow_up")]  # fmt: skip
    assert len(main) == 6  # three waves x campaign and comparison areas
    tested = [r for r in main if r["wave"] == "endline"]
    assert all(r["statistic"] and r["p_value"] for r in tested)
    for r in rows:
        if r["count"]:
            assert not 1 <= int(r["count"]) < K
            assert not 1 <= int(r["n"]) - int(r["count"]) < K


def test_pdf_holds_the_report(demo_app: Flask, tmp_path: Path) -> None:
    campaign = _ended(demo_app)
    response = demo_client(demo_app, Role.REVIEWER).get(f"/reports/{campaign.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    target = tmp_path / "report.pdf"
    target.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-raw", str(target), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "What the campaign reached and changed" in text and "people asked after the campaign" in text


def test_trainers_cannot_read_reports(demo_app: Flask) -> None:
    campaign = _ended(demo_app)
    client = demo_client(demo_app, Role.TRAINER)
    for path in ("/reports/", f"/reports/{campaign.id}", f"/reports/{campaign.id}.pdf", f"/reports/{campaign.id}.csv"):
        assert client.get(path).status_code == 403, path


def test_marking_evaluated_freezes_the_report_and_it_can_be_reproduced(demo_app: Flask) -> None:
    campaign = _ended(demo_app)
    coordinator = demo_client(demo_app, Role.COORDINATOR)
    from tests.conftest import csrf_token

    token = csrf_token(coordinator, f"/campaigns/{campaign.id}")
    response = coordinator.post(f"/campaigns/{campaign.id}/status",
                                data={"csrf_token": token, "version": campaign.version, "to": "evaluated"})  # fmt: skip
    assert response.status_code in (302, 303)
    with demo_app.app_context():
        frozen = db.session.get(ReportFreeze, campaign.id)
        assert frozen is not None and len(frozen.data_hash) == 64 and "+" in frozen.code_version
        shown = next(o for o in frozen.numbers["outcomes"] if o["primary"])["rows"][2]["share"]
    reviewer = demo_client(demo_app, Role.REVIEWER)
    page = reviewer.get(f"/reports/{campaign.id}").get_data(as_text=True)
    assert 'id="frozen"' in page
    assert "every number is the same" in reviewer.get(f"/reports/{campaign.id}/verify").get_data(as_text=True)
    # Data changed behind the report's back (an evaluated campaign is read-only; this is the DB):
    with demo_app.app_context():
        response_row = db.session.scalars(select(SurveyResponse).join(SurveyWave).where(
            SurveyWave.campaign_id == campaign.id).limit(1)).one()  # fmt: skip
        db.session.add(SurveyAnswer(response_id=response_row.id, wave_id=response_row.wave_id, area_code="x",
                                    locale="en", question="act-differently", value=5))  # fmt: skip
        db.session.commit()
        kept = db.session.get(ReportFreeze, campaign.id)
        assert kept is not None
        still = next(o for o in kept.numbers["outcomes"] if o["primary"])
        assert still["rows"][2]["share"] == shown
    verify = reviewer.get(f"/reports/{campaign.id}/verify").get_data(as_text=True)
    assert "The data has changed since it was frozen" in verify


def test_building_twice_gives_the_same_numbers(demo_app: Flask) -> None:
    """The report reads stored data only (no clock, no randomness), so a frozen one can be checked."""
    campaign = _ended(demo_app)
    with demo_app.app_context():
        found = db.session.get(Campaign, campaign.id)
        assert found is not None
        assert build.build_report(found, K) == build.build_report(found, K)


def test_no_hidden_breakdown_cell_comes_back_by_subtraction(demo_app: Flask) -> None:
    """An outsider subtracts the shown languages (or groups) from the wave's published total: a
    row hidden alone would come back exactly. The demo hides some (few Lithuanian answers in the
    comparison areas), so this attacks real output, not an empty case."""
    campaign = _ended(demo_app)
    with demo_app.app_context():
        found = db.session.get(Campaign, campaign.id)
        assert found is not None
        numbers = build.build_report(found, K)
    attacked = 0
    for outcome in numbers["outcomes"]:
        totals = {(r["wave"], r["group"]): r for r in outcome["rows"]}
        for by, rows in outcome["breakdowns"].items():
            for key in {(r["wave"], r["group"]) for r in rows}:
                block = [r for r in rows if (r["wave"], r["group"]) == key]
                hidden = [r for r in block if r["hidden"]]
                attacked += bool(hidden)
                if totals[key]["count"] is not None:
                    assert len(hidden) != 1, (outcome["key"], by, key)
                for r in block:
                    if r["count"] is not None:
                        assert not 1 <= r["count"] < K and not 1 <= r["n"] - r["count"] < K
    assert attacked  # some cells were hidden, so the attack had something to try
